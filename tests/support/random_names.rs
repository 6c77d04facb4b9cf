//! Random valid documents whose names come from the names generated Python already
//! uses: every builtin, every keyword and soft keyword, every name any generated module
//! imports, defines or reads, and names 63 characters long, in every position (table,
//! class, column, relationship attribute, enum value), with descriptions that hold code.
//!
//! Shared by `tests/names.rs` (many documents, checked in-process) and
//! `tests/backend.rs` (a few, run through ruff, mypy and the databases).

use std::collections::BTreeSet;

use backbone::source::Source;
use backbone::target::python;
use backbone::{CompileOptions, compile};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Python's keywords and soft keywords.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for",
    "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "match",
    "case", "type", "_",
];

/// Free text that looks like code, for descriptions and enum values.
const CODE_TEXT: &[&str] = &[
    "LongText(",
    "values.number()",
    "import os",
    "\"\"\"",
    "'''",
    "{{ x }}",
    "{% if %}",
    "sa.String(10)",
    "Annotated[int, 1]",
    "=utcnow",
    "\\",
    "# noqa",
    "%s %d",
    "a\nb",
    "Field(",
    "from app.db import Base",
];

/// The names every generated module binds or reads, for the examples: what a schema name
/// must never be confused with.
fn generated_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for example in ["examples/blog.json", "examples/all_types.json", "examples/library.json", "tests/backend/edge_cases.json"] {
        let source = Source::new(example, std::fs::read_to_string(example).expect("readable example"));
        let compilation = compile(&source, &CompileOptions::default());
        let (schema, order) = compilation.valid_schema().expect("valid example");
        for (path, file) in python::render(schema, order).expect("the templates render").iter() {
            if python::verify::is_python(path) {
                let parsed = ruff_python_parser::parse_module(&file.contents).expect("generated Python parses");
                names.extend(python::scopes::names(parsed.syntax()));
            }
        }
    }
    names
}

/// The pool names are drawn from.
pub(crate) fn pool() -> Vec<String> {
    let mut names: BTreeSet<String> = python::scopes::BUILTINS.iter().chain(KEYWORDS).map(|name| (*name).to_owned()).collect();
    names.extend(generated_names());
    let mut pool: Vec<String> = names.into_iter().collect();
    // Names as long as a name may be.
    pool.push(format!("a{}", "b".repeat(62)));
    pool.push(format!("Z{}", "y_".repeat(31)));
    pool.push(format!("{}_id", "k".repeat(60)));
    pool
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_keyword(name: &str) -> bool {
    KEYWORDS[..35].contains(&name)
}

/// `name` as a column name, if it can be one.
fn column_name(name: &str) -> Option<String> {
    (is_identifier(name) && !name.starts_with("__") && name.len() <= 63).then(|| name.to_owned())
}

/// `name` as an attribute name (a relationship end), if it can be one.
fn attribute_name(name: &str, max: usize) -> Option<String> {
    (is_identifier(name) && !is_keyword(name) && !name.starts_with("__") && name.len() <= max).then(|| name.to_owned())
}

/// `name` as a table name: lowercased, if that is one.
fn table_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let valid = !lower.is_empty()
        && lower.len() <= 63
        && lower.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !lower.starts_with(|c: char| c.is_ascii_digit())
        && lower.chars().any(|c| c.is_ascii_lowercase());
    valid.then_some(lower)
}

/// `name` as a class name: as it is when it is one, else PascalCased.
fn class_name(name: &str) -> Option<String> {
    let valid = |name: &str| name.starts_with(|c: char| c.is_ascii_uppercase()) && is_identifier(name) && !is_keyword(name) && name.len() <= 63;
    if valid(name) {
        return Some(name.to_owned());
    }
    let pascal: String = name
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| first.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect();
    valid(&pascal).then_some(pascal)
}

/// Takes the name at `pick` (an index into `pool`, modulo its length) if `accept` turns into a name not
/// yet in `taken` (compared ignoring case); falls back to `fallback` numbered.
fn unique(pool: &[String], pick: usize, taken: &mut BTreeSet<String>, accept: impl Fn(&str) -> Option<String>, fallback: &str) -> String {
    let candidate = accept(&pool[pick % pool.len()]).filter(|name| !taken.contains(&name.to_ascii_lowercase()));
    // `taken` is finite, so one of its length + 1 numbered names is free.
    let name = candidate
        .unwrap_or_else(|| (0..=taken.len()).map(|n| format!("{fallback}{n}")).find(|name| !taken.contains(&name.to_ascii_lowercase())).unwrap_or_default());
    taken.insert(name.to_ascii_lowercase());
    name
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnSpec {
    name: usize,
    kind: u8,
    nullable: bool,
    unique: bool,
    write_only: bool,
    description: Option<usize>,
    values: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    table: usize,
    class: usize,
    key: usize,
    string_key: bool,
    soft_delete: bool,
    timestamps: bool,
    description: Option<usize>,
    columns: Vec<ColumnSpec>,
    /// A foreign key to an earlier table: (which, stem, parent's attribute, nullable).
    parent: Option<(usize, usize, usize, bool)>,
}

fn column_spec() -> impl Strategy<Value = ColumnSpec> {
    (
        any::<usize>(),
        0u8..10,
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
        prop::option::weighted(0.3, any::<usize>()),
        prop::collection::vec(any::<usize>(), 1..4),
    )
        .prop_map(|(name, kind, nullable, unique, write_only, description, values)| ColumnSpec {
            name,
            kind,
            nullable,
            unique,
            write_only,
            description,
            values,
        })
}

fn table_spec() -> impl Strategy<Value = TableSpec> {
    (
        (any::<usize>(), any::<usize>(), any::<usize>(), prop::bool::weighted(0.2), any::<bool>(), any::<bool>()),
        prop::option::weighted(0.3, any::<usize>()),
        prop::collection::vec(column_spec(), 1..7),
        prop::option::weighted(0.7, (any::<usize>(), any::<usize>(), any::<usize>(), any::<bool>())),
    )
        .prop_map(|((table, class, key, string_key, soft_delete, timestamps), description, columns, parent)| TableSpec {
            table,
            class,
            key,
            string_key,
            soft_delete,
            timestamps,
            description,
            columns,
            parent,
        })
}

/// The specification of a document: one to five tables.
pub(crate) fn document_spec() -> impl Strategy<Value = Vec<TableSpec>> {
    prop::collection::vec(table_spec(), 1..=5)
}

/// Free text for a description: code-like text next to a pool name.
fn text(pool: &[String], pick: usize) -> String {
    format!("{} {}", CODE_TEXT[pick % CODE_TEXT.len()], pool[pick / CODE_TEXT.len() % pool.len()])
}

/// The document `spec` describes, valid by construction.
pub(crate) fn document(pool: &[String], spec: &[TableSpec], db_type: &str) -> Value {
    let mut tables_taken = BTreeSet::new();
    let mut classes_taken = BTreeSet::new();
    let tables: Vec<(String, String)> = spec
        .iter()
        .map(|table| (unique(pool, table.table, &mut tables_taken, table_name, "table_"), unique(pool, table.class, &mut classes_taken, class_name, "Class")))
        .collect();
    // Per table: the names its class already has (columns and relationship attributes).
    let mut members: Vec<BTreeSet<String>> = vec![BTreeSet::new(); spec.len()];
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); spec.len()];
    let mut relationships: Vec<Vec<Value>> = vec![Vec::new(); spec.len()];
    let mut keys: Vec<(String, bool)> = Vec::new();
    for (idx, table) in spec.iter().enumerate() {
        let key = unique(pool, table.key, &mut members[idx], column_name, "key");
        let mut key_column = json!({"name": key, "type": "Integer", "primary_key": true});
        if table.string_key {
            key_column = json!({"name": key, "type": "String", "length": 40, "primary_key": true});
        }
        columns[idx].push(key_column);
        keys.push((key, table.string_key));
        // Option columns are named by the format; a declared column may not take them.
        for option in ["created_at", "updated_at", "deleted_at", "is_deleted"] {
            members[idx].insert(option.to_owned());
        }
    }
    for (idx, table) in spec.iter().enumerate() {
        for column in &table.columns {
            let name = unique(pool, column.name, &mut members[idx], column_name, "column_");
            let mut value = match column.kind {
                0 => json!({"name": name, "type": "String", "length": 1 + column.values[0] % 300}),
                1 => json!({"name": name, "type": "Text"}),
                2 => json!({"name": name, "type": "Integer"}),
                3 => json!({"name": name, "type": "Boolean"}),
                4 => json!({"name": name, "type": "Float"}),
                5 => json!({"name": name, "type": "Numeric", "precision": 10, "scale": 2}),
                6 => json!({"name": name, "type": "Date"}),
                7 => json!({"name": name, "type": "DateTime"}),
                8 => json!({"name": name, "type": "Time"}),
                _ => {
                    let mut seen = BTreeSet::new();
                    let values: Vec<String> = column
                        .values
                        .iter()
                        .map(|pick| if pick % 3 == 0 { text(pool, *pick) } else { pool[pick % pool.len()].clone() })
                        .map(|value| value.replace(|c: char| c.is_control(), " ").trim().chars().take(60).collect::<String>())
                        .filter(|value| !value.is_empty() && seen.insert(value.to_lowercase()))
                        .collect();
                    let values = if values.is_empty() { vec!["one".to_owned()] } else { values };
                    json!({"name": name, "type": "Enum", "values": values})
                }
            };
            value["nullable"] = json!(column.nullable);
            if column.unique && matches!(column.kind, 0 | 2) {
                value["unique"] = json!(true);
            }
            if column.write_only {
                value["write_only"] = json!(true);
            }
            if let Some(pick) = column.description {
                value["description"] = json!(text(pool, pick));
            }
            columns[idx].push(value);
        }
        let Some((parent_pick, stem, parent_attr, nullable)) = table.parent.filter(|_| idx > 0) else { continue };
        let parent = parent_pick % idx;
        // `_` would make the column `__id`, a name Python reserves.
        let stem = unique(pool, stem, &mut members[idx], |name| attribute_name(name, 60).filter(|stem| stem != "_"), "parent_");
        let column = format!("{stem}_id");
        members[idx].insert(column.to_ascii_lowercase());
        let back = unique(pool, parent_attr, &mut members[parent], |name| attribute_name(name, 63), "children_");
        let (parent_table, parent_class) = &tables[parent];
        columns[idx].push(json!({
            "name": column,
            "type": "ForeignKey",
            "target": format!("{parent_table}.{}", keys[parent].0),
            "nullable": nullable,
            "on_delete": if nullable { "SET NULL" } else { "CASCADE" },
        }));
        relationships[idx].push(json!({
            "target_table": parent_table, "target_class": parent_class, "type": "many_to_one", "back_populates": back, "foreign_key": column,
        }));
        let (child_table, child_class) = &tables[idx];
        relationships[parent].push(json!({"target_table": child_table, "target_class": child_class, "type": "one_to_many", "back_populates": stem}));
    }
    let schema: Vec<Value> = spec
        .iter()
        .enumerate()
        .map(|(idx, table)| {
            let mut value = json!({
                "table_name": tables[idx].0,
                "class_name": tables[idx].1,
                "columns": columns[idx],
                "relationships": relationships[idx],
                "options": {"timestamps": table.timestamps, "soft_delete": table.soft_delete},
            });
            if let Some(pick) = table.description {
                value["description"] = json!(text(pool, pick));
            }
            value
        })
        .collect();
    json!({"project_name": "random_names", "db_type": db_type, "description": "Names drawn from what generated code uses.", "schema": schema})
}
