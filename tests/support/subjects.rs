//! Every diagnostic says what it is about (issue 10): where its JSON pointer lies inside
//! a table, the table's name appears in the JSON message or help; inside a column, the
//! column's name too; inside a relationship, its target table. Shared by
//! `tests/diagnostics.rs` (every fixture) and `tests/properties.rs` (random documents).
//!
//! The expected names are read from the document itself with serde_json, independently
//! of backbone's parser: a part without a usable name (absent, not a string, empty) is
//! expected by its position, `table #3`, `column #2`, `relationship #1`.

use backbone::diagnostics::render::FileReport;
use backbone::ir::lower::SHOWN_CHARS;
use serde_json::Value;

/// The problems with the subjects of `report`'s diagnostics on the document `text`; empty
/// when every diagnostic names what it is about, or when `text` is not JSON that
/// serde_json reads (then no pointer can be resolved, and none lies in a table).
pub(crate) fn missing_subjects(text: &str, report: &FileReport) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Value>(text) else { return Vec::new() };
    let mut problems = Vec::new();
    for diagnostic in &report.diagnostics {
        let said = format!("{}\n{}", diagnostic.message, diagnostic.help.as_deref().unwrap_or_default());
        for name in expected_names(&document, &diagnostic.path) {
            if !said.contains(&name) {
                problems.push(format!(
                    "{} at `{}` does not name `{name}`: message {:?}, help {:?}",
                    diagnostic.code, diagnostic.path, diagnostic.message, diagnostic.help
                ));
            }
        }
    }
    problems
}

/// The names a diagnostic at `pointer` must mention.
fn expected_names(document: &Value, pointer: &str) -> Vec<String> {
    let segments: Vec<String> = pointer.split('/').skip(1).map(|segment| segment.replace("~1", "/").replace("~0", "~")).collect();
    let [first, table_segment, rest @ ..] = segments.as_slice() else { return Vec::new() };
    let Some(table_idx) = index(table_segment).filter(|_| first == "schema") else { return Vec::new() };
    let Some(table) = document.get("schema").and_then(Value::as_array).and_then(|tables| tables.get(table_idx)) else { return Vec::new() };
    let mut names = vec![name_or_position(table, "table_name", "table", table_idx)];
    if let [list, item, ..] = rest
        && let Some(item_idx) = index(item)
    {
        let part = match list.as_str() {
            "columns" => Some(("name", "column")),
            "relationships" => Some(("target_table", "relationship")),
            _ => None,
        };
        if let Some((key, what)) = part
            && let Some(element) = table.get(list).and_then(Value::as_array).and_then(|elements| elements.get(item_idx))
        {
            names.push(name_or_position(element, key, what, item_idx));
        }
    }
    names
}

/// An array index as a JSON pointer writes it.
fn index(segment: &str) -> Option<usize> {
    let plain = !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit()) && (segment == "0" || !segment.starts_with('0'));
    if plain { segment.parse().ok() } else { None }
}

/// The non-empty string `key` of `object` (its start, when backbone shortens it), or
/// `what #n` for the element at `idx`.
fn name_or_position(object: &Value, key: &str, what: &str, idx: usize) -> String {
    match object.get(key).and_then(Value::as_str).filter(|name| !name.is_empty()) {
        Some(name) if name.chars().count() > SHOWN_CHARS => name.chars().take(SHOWN_CHARS - 1).collect(),
        Some(name) => name.to_owned(),
        None => format!("{what} #{}", idx + 1),
    }
}
