//! What a diagnostic is about, named from the document: the table, column or
//! relationship that its JSON pointer lies in (`` column `posts.title` ``,
//! `` relationship `posts` → `users` ``). JSON and GitHub output carry no snippet, so the
//! message is all a CI annotation shows; every message gets its subject here, in one
//! place, whichever stage reported it. See: issue 10.
//!
//! Names come from the document as written, valid or not, the last occurrence of a
//! repeated key winning as in lowering. A table, column or relationship without a
//! usable name (absent, not a string, empty) is named by its position, counted from 1:
//! `table #3`, ``column #2 of table `users` ``. A name over [`SHOWN_CHARS`] characters is
//! shortened, so that a hostile name is not repeated in full in every diagnostic.
//!
//! Invariant: the subject depends only on the pointer and the document, never on which
//! rule reported the diagnostic, so the same place is always named the same way.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::source::JsonPointer;
use crate::syntax::json::{Value, ValueKind};

/// Names up to this many characters are shown whole; longer ones are cut, with `…`.
pub const SHOWN_CHARS: usize = 64;

/// The part of the document a pointer lies in, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Table(usize),
    Column(usize, usize),
    Relationship(usize, usize),
}

impl Place {
    /// Where `pointer` lies: inside `/schema/T`, and there inside `columns/C` or
    /// `relationships/R`. `None` for the project's own members.
    fn of(pointer: &JsonPointer) -> Option<Self> {
        let mut segments = pointer.as_str().split('/').skip(1);
        if segments.next()? != "schema" {
            return None;
        }
        let table = index(segments.next()?)?;
        let place = match (segments.next(), segments.next().and_then(index)) {
            (Some("columns"), Some(column)) => Place::Column(table, column),
            (Some("relationships"), Some(relationship)) => Place::Relationship(table, relationship),
            _ => Place::Table(table),
        };
        Some(place)
    }
}

/// A pointer segment that is an array index (as [`JsonPointer::index`] writes it).
fn index(segment: &str) -> Option<usize> {
    let plain = !segment.is_empty() && segment.bytes().all(|byte| byte.is_ascii_digit()) && (segment == "0" || !segment.starts_with('0'));
    plain.then(|| segment.parse().ok()).flatten()
}

/// Prefixes every diagnostic's message with its subject, named from `root`.
pub fn name_subjects(root: &Value, diagnostics: &mut Diagnostics) {
    let tables = member(root, "schema").and_then(elements).unwrap_or_default();
    // One lookup per place: a table with thousands of diagnostics (or of keys) is
    // searched for its name once.
    let mut names: BTreeMap<Place, String> = BTreeMap::new();
    diagnostics.name_subjects(|pointer| {
        let place = Place::of(pointer)?;
        Some(names.entry(place).or_insert_with(|| describe(tables, place)).clone())
    });
}

/// The subject of `place` in words.
fn describe(tables: &[Value], place: Place) -> String {
    let (Place::Table(table_idx) | Place::Column(table_idx, _) | Place::Relationship(table_idx, _)) = place;
    let table = tables.get(table_idx);
    let table_name = table.and_then(|table| name(table, "table_name"));
    let table_label = table_name.as_ref().map_or_else(|| format!("table #{}", table_idx + 1), |name| format!("table `{name}`"));
    match place {
        Place::Table(_) => table_label,
        Place::Column(_, column_idx) => {
            let Some(column) = table.and_then(|table| part(table, "columns", column_idx)) else {
                return table_label;
            };
            match (&table_name, name(column, "name")) {
                (Some(table_name), Some(column_name)) => format!("column `{table_name}.{column_name}`"),
                (_, Some(column_name)) => format!("column `{column_name}` of {table_label}"),
                (_, None) => format!("column #{} of {table_label}", column_idx + 1),
            }
        }
        Place::Relationship(_, relationship_idx) => {
            let Some(relationship) = table.and_then(|table| part(table, "relationships", relationship_idx)) else {
                return table_label;
            };
            let target = name(relationship, "target_table");
            // Two relationships of one table to one target are told apart by the
            // attribute they pair with, or by their foreign key.
            let siblings = target.as_ref().map_or(0, |target| {
                table
                    .and_then(|table| member(table, "relationships"))
                    .and_then(elements)
                    .map_or(0, |all| all.iter().filter(|other| name(other, "target_table").as_ref() == Some(target)).count())
            });
            let which = if siblings > 1 {
                match (name(relationship, "back_populates"), name(relationship, "foreign_key")) {
                    (Some(back), _) => format!(" (back_populates `{back}`)"),
                    (None, Some(key)) => format!(" (foreign_key `{key}`)"),
                    (None, None) => format!(" (#{})", relationship_idx + 1),
                }
            } else {
                String::new()
            };
            match (&table_name, target) {
                (Some(table_name), Some(target)) => format!("relationship `{table_name}` → `{target}`{which}"),
                (_, Some(target)) => format!("relationship #{} of {table_label}, to `{target}`", relationship_idx + 1),
                (_, None) => format!("relationship #{} of {table_label}", relationship_idx + 1),
            }
        }
    }
}

/// Element `idx` of the array `key` of `object`.
fn part<'v>(object: &'v Value<'v>, key: &str, idx: usize) -> Option<&'v Value<'v>> {
    member(object, key).and_then(elements)?.get(idx)
}

/// The value of `key` in `object` (its last occurrence, as lowering reads it).
fn member<'v>(object: &'v Value<'v>, key: &str) -> Option<&'v Value<'v>> {
    let ValueKind::Object(members) = &object.kind else { return None };
    members.iter().rev().find(|member| member.key == key).map(|member| &member.value)
}

fn elements<'v>(value: &'v Value<'v>) -> Option<&'v [Value<'v>]> {
    if let ValueKind::Array(elements) = &value.kind { Some(elements) } else { None }
}

/// The non-empty string `key` of `object`, shortened for display.
fn name(object: &Value, key: &str) -> Option<String> {
    match &member(object, key)?.kind {
        ValueKind::String(text) if !text.is_empty() => Some(shorten(text)),
        _ => None,
    }
}

/// `text` whole when it has at most [`SHOWN_CHARS`] characters, else its start and `…`.
fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS { text.to_owned() } else { format!("{}…", text.chars().take(SHOWN_CHARS - 1).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::{Place, describe, shorten};
    use crate::source::JsonPointer;
    use crate::syntax::json::{ValueKind, parse};

    fn place(pointer: &str) -> Option<Place> {
        let mut built = JsonPointer::root();
        for segment in pointer.split('/').skip(1) {
            built = segment.parse().map_or_else(|_| built.key(segment), |idx| built.index(idx));
        }
        Place::of(&built)
    }

    #[test]
    fn pointers_find_their_place() {
        assert_eq!(place("/schema/2/columns/1/type"), Some(Place::Column(2, 1)));
        assert_eq!(place("/schema/0/relationships/3"), Some(Place::Relationship(0, 3)));
        assert_eq!(place("/schema/1/columns"), Some(Place::Table(1)));
        assert_eq!(place("/schema/1/options/use_timestamps"), Some(Place::Table(1)));
        assert_eq!(place("/schema/1"), Some(Place::Table(1)));
        assert_eq!(place("/schema"), None);
        assert_eq!(place("/project_name"), None);
        assert_eq!(place(""), None);
        assert_eq!(Place::of(&JsonPointer::root().key("schema").key("01")), None);
    }

    #[test]
    fn long_names_are_shortened() {
        assert_eq!(shorten("users"), "users");
        let long = "x".repeat(100);
        let shown = shorten(&long);
        assert_eq!(shown.chars().count(), super::SHOWN_CHARS);
        assert!(shown.ends_with('…'));
        assert_eq!(shorten(&"é".repeat(64)), "é".repeat(64));
    }

    #[test]
    fn two_relationships_to_one_table_are_told_apart() {
        let text = r#"{"schema": [{"table_name": "posts", "relationships": [
            {"target_table": "users", "back_populates": "authored"},
            {"target_table": "users", "foreign_key": "editor_id"},
            {"target_table": "tags"}]}]}"#;
        let document = parse(text).expect("JSON");
        let ValueKind::Object(members) = &document.kind else { panic!("an object") };
        let ValueKind::Array(tables) = &members[0].value.kind else { panic!("an array") };
        assert_eq!(describe(tables, Place::Relationship(0, 0)), "relationship `posts` → `users` (back_populates `authored`)");
        assert_eq!(describe(tables, Place::Relationship(0, 1)), "relationship `posts` → `users` (foreign_key `editor_id`)");
        assert_eq!(describe(tables, Place::Relationship(0, 2)), "relationship `posts` → `tags`");
    }
}
