//! Rules on primary keys, unique columns and indexes.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{ColumnId, ColumnRef, ColumnSource, ScalarType, Schema, TableId};

/// Beyond this many characters a `String` cannot be indexed by MariaDB (3072-byte keys
/// at 4 bytes a character).
const MARIADB_INDEX_CHARS: u32 = 768;

pub(super) fn table_has_primary_key(schema: &Schema, diagnostics: &mut Diagnostics) {
    for table in schema.tables.iter().filter(|table| !table.incomplete) {
        if table.primary_key().next().is_none() {
            let help = if table.column_named("id").is_some() {
                "mark the `id` column `\"primary_key\": true`".to_owned()
            } else {
                "add `{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}` or mark an existing column `\"primary_key\": true`".to_owned()
            };
            diagnostics
                .push(Diagnostic::new(Code::NoPrimaryKey, &table.name_origin, "no primary key").with_label("no column is `primary_key`").with_help(help));
        }
    }
}

pub(super) fn primary_key_is_single_column(schema: &Schema, diagnostics: &mut Diagnostics) {
    for table in &schema.tables {
        let key: Vec<&str> = table.primary_key().map(|(_, column)| column.name.as_str()).collect();
        if key.len() > 1 {
            diagnostics.push(
                Diagnostic::new(Code::CompositePrimaryKey, &table.name_origin, format!("composite primary key ({})", key.join(", ")))
                    .with_label("composite key")
                    .with_help(format!("its rows are addressed as `/{}/{{{}}}`", table.name, key.join("}/{"))),
            );
        }
    }
}

pub(super) fn primary_key_type_is_exact(schema: &Schema, diagnostics: &mut Diagnostics) {
    for table in &schema.tables {
        for (_, column) in table.primary_key().filter(|(_, column)| column.ty == ScalarType::Float) {
            diagnostics.push(
                Diagnostic::new(Code::PkType, &column.name_origin, "a `Float` primary key")
                    .with_label("floating-point key")
                    .with_help("floats compare inexactly; use `Integer`, `String` or `Numeric` for a key"),
            );
        }
    }
}

pub(super) fn text_is_not_a_key(schema: &Schema, diagnostics: &mut Diagnostics) {
    for table in &schema.tables {
        for column in table.columns.iter().filter(|column| column.ty == ScalarType::Text) {
            let uses: Vec<&str> = [(column.primary_key, "a primary key"), (column.unique, "unique"), (column.index, "indexed")]
                .into_iter()
                .filter_map(|(flag, name)| flag.then_some(name))
                .collect();
            if !uses.is_empty() {
                diagnostics.push(
                    Diagnostic::new(Code::TextKey, &column.name_origin, format!("a `Text` column cannot be {}", uses.join(" or ")))
                        .with_label("unbounded text cannot be indexed")
                        .with_help("use `\"type\": \"String\"` with a `length` (at most 768 for an index on MariaDB)"),
                );
            }
        }
    }
}

pub(super) fn indexed_string_fits_mariadb(schema: &Schema, diagnostics: &mut Diagnostics) {
    for table in &schema.tables {
        // A composite key is one index: its String columns add up.
        let key_lengths: Vec<u32> =
            table.primary_key().filter_map(|(_, column)| if let ScalarType::String { length } = column.ty { Some(length) } else { None }).collect();
        let total: u32 = key_lengths.iter().sum();
        if key_lengths.len() > 1 && total > MARIADB_INDEX_CHARS {
            diagnostics.push(
                Diagnostic::new(
                    Code::IndexTooLong,
                    &table.name_origin,
                    format!("the primary key has {total} characters of `String` columns, too long for a MariaDB index"),
                )
                .with_label(format!("{total} characters in the key"))
                .with_help(format!("MariaDB indexes at most {MARIADB_INDEX_CHARS} characters; shorten the key's `String` columns")),
            );
        }
        for column in table.columns.iter().filter(|column| column.source == ColumnSource::Declared && column.foreign_key.is_none()) {
            if let ScalarType::String { length } = column.ty
                && length > MARIADB_INDEX_CHARS
                && (column.primary_key || column.unique || column.index)
            {
                diagnostics.push(
                    Diagnostic::new(Code::IndexTooLong, &column.name_origin, format!("indexed `String({length})` is too long for a MariaDB index"))
                        .with_label(format!("{length} characters"))
                        .with_help(format!("MariaDB indexes at most {MARIADB_INDEX_CHARS} characters; lower `length` to {MARIADB_INDEX_CHARS} or less")),
                );
            }
        }
    }
}

pub(super) fn write_only_is_not_a_key(schema: &Schema, diagnostics: &mut Diagnostics) {
    // What a foreign key targets is shown by every row that references it.
    let targets: std::collections::BTreeSet<ColumnRef> =
        schema.tables.iter().flat_map(|table| &table.columns).filter_map(|column| column.foreign_key.as_ref().map(|key| key.target)).collect();
    for (table_id, table) in schema.tables.iter().enumerate() {
        for (column_id, column) in table.columns.iter().enumerate().filter(|(_, column)| column.write_only) {
            let target = ColumnRef { table: TableId(table_id), column: ColumnId(column_id) };
            let role = if column.primary_key {
                "part of the primary key"
            } else if column.foreign_key.is_some() {
                "a foreign key"
            } else if targets.contains(&target) {
                "the target of a foreign key"
            } else {
                continue;
            };
            diagnostics.push(
                Diagnostic::new(Code::WriteOnlyKey, &column.name_origin, format!("a `write_only` column cannot be {role}"))
                    .with_label("keys are read back")
                    .with_help("remove `\"write_only\": true`; keep it for values a client sets but never reads, such as a password hash"),
            );
        }
    }
}
