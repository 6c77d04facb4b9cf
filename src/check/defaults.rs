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
                LiteralValue::Number(raw) => shorten(raw),
                LiteralValue::String(text) => format!("\"{}\"", shorten(&text.escape_debug().to_string())),
            };
            let through = if column.foreign_key.is_some() { " (the type of its target)" } else { "" };
            diagnostics.push(
                Diagnostic::new(Code::DefaultInvalid, &literal.origin, format!("default `{shown}` is not a valid `{}`{through}", type_label(&column.ty)))
                    .with_label(reason)
                    .with_help(near_miss(&column.ty, &literal.value).unwrap_or_else(|| example(&column.ty))),
            );
        }
    }
}

/// A value as shown in a message: at most 40 characters.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 { text.to_owned() } else { format!("{}…", text.chars().take(40).collect::<String>()) }
}

fn type_label(ty: &ScalarType) -> String {
    match ty {
        ScalarType::String { length } => format!("String({length})"),
        ScalarType::Numeric { precision, scale } => format!("Numeric({precision}, {scale})"),
        other => other.name().to_owned(),
    }
}

/// A fix for a default that is almost right: a differently cased enum value, `now()`.
fn near_miss(ty: &ScalarType, literal: &LiteralValue) -> Option<String> {
    let LiteralValue::String(text) = literal else { return None };
    match ty {
        ScalarType::Enum { values } => crate::diagnostics::did_you_mean(text, values.iter().map(String::as_str))
            .map(|value| format!("did you mean `\"{}\"`? enum values are case-sensitive", value.escape_debug())),
        ScalarType::DateTime if text.trim().to_ascii_lowercase().trim_end_matches("()") == "now" || text.eq_ignore_ascii_case("current_timestamp") => {
            Some("write `\"now\"` for the time of insertion".to_owned())
        }
        ScalarType::DateTime | ScalarType::Date if text.contains(' ') => Some("separate date and time with `T`: `\"2024-01-31T12:00:00Z\"`".to_owned()),
        _ => None,
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
