//! Rules on `default` literals.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::literal::{LiteralValue, interpret};
use crate::ir::{ColumnSource, ScalarType, Schema};

pub(super) fn default_fits_type(schema: &Schema, diagnostics: &mut Diagnostics) {
    for table in &schema.tables {
        for column in table.columns.iter().filter(|column| column.source == ColumnSource::Declared) {
            let Some(literal) = &column.default else { continue };
            let Err(reason) = interpret(&column.ty, &literal.value) else { continue };
            let shown = match &literal.value {
                LiteralValue::Bool(flag) => flag.to_string(),
                LiteralValue::Number(raw) => raw.clone(),
                LiteralValue::String(text) => format!("\"{}\"", text.escape_debug()),
            };
            let through = if column.foreign_key.is_some() { " (the type of its target)" } else { "" };
            diagnostics.push(
                Diagnostic::new(
                    Code::DefaultInvalid,
                    &literal.origin,
                    format!("default `{shown}` is not valid for `{}` column `{}.{}`{through}", type_label(&column.ty), table.name, column.name),
                )
                .with_label(reason)
                .with_help(example(&column.ty)),
            );
        }
    }
}

fn type_label(ty: &ScalarType) -> String {
    match ty {
        ScalarType::String { length } => format!("String({length})"),
        ScalarType::Numeric { precision, scale } => format!("Numeric({precision}, {scale})"),
        other => other.name().to_owned(),
    }
}

/// What a valid default of `ty` looks like.
fn example(ty: &ScalarType) -> String {
    match ty {
        ScalarType::Integer => "write a whole number between -2147483648 and 2147483647, without quotes".to_owned(),
        ScalarType::String { length } => format!("write a string of at most {length} characters"),
        ScalarType::Text => "write a string".to_owned(),
        ScalarType::Boolean => "write `true` or `false`, without quotes".to_owned(),
        ScalarType::DateTime => "write `\"2024-01-31T12:00:00Z\"` (offset optional, UTC assumed) or `\"now\"`".to_owned(),
        ScalarType::Date => "write `\"YYYY-MM-DD\"`, e.g. `\"2024-01-31\"`".to_owned(),
        ScalarType::Time => "write `\"HH:MM:SS\"`, e.g. `\"09:30:00\"`".to_owned(),
        ScalarType::Numeric { precision, scale } => {
            let digits = precision - scale;
            format!(
                "write a number with at most {digits} digits before the point and {scale} after it, e.g. `\"{}\"`",
                if *scale > 0 { format!("0.{}", "0".repeat(*scale as usize)) } else { "0".to_owned() }
            )
        }
        ScalarType::Float => "write a number".to_owned(),
        ScalarType::Enum { values } => {
            let shown: Vec<String> = values.iter().take(8).map(|value| format!("`\"{}\"`", value.escape_debug())).collect();
            format!("write one of the values: {}{}", shown.join(", "), if values.len() > 8 { ", …" } else { "" })
        }
    }
}
