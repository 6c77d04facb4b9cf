//! Rules on foreign keys: what they may target and what their `on_delete` needs.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{Column, ForeignKey, OnDelete, Schema};

/// Every foreign-key column with its key.
fn foreign_keys(schema: &Schema) -> impl Iterator<Item = (&Column, &ForeignKey)> {
    schema.tables.iter().flat_map(|table| table.columns.iter().filter_map(|column| column.foreign_key.as_ref().map(|key| (column, key))))
}

pub(super) fn target_is_unique(schema: &Schema, diagnostics: &mut Diagnostics) {
    for (_, key) in foreign_keys(schema) {
        let target_table = schema.table(key.target.table);
        let target = schema.column(key.target);
        let sole_key = target.primary_key && target_table.primary_key().count() == 1;
        if sole_key || target.unique {
            continue;
        }
        let why = if target.primary_key { "part of a composite primary key" } else { "neither the primary key nor unique" };
        diagnostics.push(
            Diagnostic::new(Code::FkNotPkOrUnique, &key.target_origin, format!("the foreign key targets `{}`, which is {why}", schema.qualified(key.target)))
                .with_label("target is not unique")
                .with_secondary(target.name_origin.span, "target column declared here")
                .with_help(if target.primary_key {
                    format!(
                        "one column cannot reference the composite key of `{}`; give it a single-column key (or a unique column) and target that",
                        target_table.name
                    )
                } else {
                    format!("target the primary key of `{}`, or mark `{}` `\"unique\": true`", target_table.name, target.name)
                }),
        );
    }
}

pub(super) fn set_null_column_is_nullable(schema: &Schema, diagnostics: &mut Diagnostics) {
    for (column, key) in foreign_keys(schema) {
        if key.on_delete == OnDelete::SetNull && !column.nullable {
            let origin = key.on_delete_origin.as_ref().unwrap_or(&key.target_origin);
            let why = if column.primary_key { "a primary-key column" } else { "declared `\"nullable\": false`" };
            diagnostics.push(
                Diagnostic::new(Code::SetNullNotNullable, origin, "`on_delete: SET NULL`, but the column cannot be null")
                    .with_label(format!("the column is {why}"))
                    .with_help(if column.primary_key {
                        "a primary-key column is never null: use `CASCADE` or `RESTRICT`"
                    } else {
                        "make the column nullable, or use `CASCADE` or `RESTRICT`"
                    }),
            );
        }
    }
}

pub(super) fn set_default_column_has_default(schema: &Schema, diagnostics: &mut Diagnostics) {
    for (column, key) in foreign_keys(schema) {
        if key.on_delete != OnDelete::SetDefault {
            continue;
        }
        let origin = key.on_delete_origin.as_ref().unwrap_or(&key.target_origin);
        if column.default.is_none() {
            diagnostics.push(
                Diagnostic::new(Code::SetDefaultNoDefault, origin, "`on_delete: SET DEFAULT`, but the column has no default")
                    .with_label("no `default` to set")
                    .with_help(format!("add a `default` that is a key of `{}`, or use another action", schema.table(key.target.table).name)),
            );
        }
        diagnostics.push(
            Diagnostic::new(Code::SetDefaultUnsupported, origin, "`on_delete: SET DEFAULT` is rejected by MariaDB and MySQL")
                .with_label("InnoDB does not support SET DEFAULT")
                .with_help("the backend will fail to migrate on MariaDB/MySQL; use `SET NULL`, `CASCADE` or `RESTRICT` to run everywhere"),
        );
    }
}

pub(super) fn self_reference_is_nullable(schema: &Schema, diagnostics: &mut Diagnostics) {
    for (table_id, table) in schema.tables() {
        for column in &table.columns {
            let Some(key) = &column.foreign_key else { continue };
            if key.target.table == table_id && !column.nullable {
                diagnostics.push(
                    Diagnostic::new(Code::NotNullSelfReference, &key.target_origin, "NOT NULL foreign key to its own table")
                        .with_label("the first row would have nothing to point at")
                        .with_help("make the column nullable (`\"nullable\": true`, the default for a non-key column)"),
                );
            }
        }
    }
}
