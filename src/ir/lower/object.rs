//! Reading one JSON object of the document: duplicate and unknown keys, required and
//! optional members, strict JSON types (no coercion from strings or numbers).

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::source::{JsonPointer, Origin, Span};
use crate::syntax::json::{Member, Value, ValueKind};

/// An object of the document with the keys it may hold.
pub(super) struct Object<'a> {
    members: &'a [Member<'a>],
    pub(super) pointer: JsonPointer,
    span: Span,
    kind: Kind,
}

/// Which object of the document an [`Object`] is, for its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Project,
    Options,
    Table,
    Column,
    Relationship,
}

impl Kind {
    /// The object in words: "the column", "the project".
    fn what(self) -> &'static str {
        match self {
            Kind::Project => "the project",
            Kind::Options => "the options",
            Kind::Table => "the table",
            Kind::Column => "the column",
            Kind::Relationship => "the relationship",
        }
    }

    /// Whether the object is itself the subject of its diagnostics (see
    /// `subject`): the prefix `` column `posts.title`: `` then says which object, so
    /// the message does not repeat it.
    fn is_subject(self) -> bool {
        matches!(self, Kind::Table | Kind::Column | Kind::Relationship)
    }

    /// `" in the options"`, or nothing when the subject says it.
    fn in_what(self) -> String {
        if self.is_subject() { String::new() } else { format!(" in {}", self.what()) }
    }
}

/// A string member with where it is written.
pub(super) struct Text<'a> {
    pub(super) value: &'a str,
    pub(super) origin: Origin,
}

impl<'a> Object<'a> {
    /// Reads `value` as an object whose defined keys are `known`; reports a non-object,
    /// repeated keys and unknown keys.
    pub(super) fn read(value: &'a Value<'a>, pointer: JsonPointer, known: &[&str], kind: Kind, diagnostics: &mut Diagnostics) -> Option<Self> {
        let what = kind.what();
        let ValueKind::Object(members) = &value.kind else {
            let origin = Origin::new(pointer, super::head(value));
            let message = if kind.is_subject() {
                format!("expected an object, found {}", value.kind.describe())
            } else {
                format!("{what} must be an object, found {}", value.kind.describe())
            };
            diagnostics.push(
                Diagnostic::new(Code::WrongType, &origin, message)
                    .with_label("expected `{ … }` here")
                    .with_help(format!("write {what} as an object: `{{\"key\": value, …}}`")),
            );
            return None;
        };
        // Occurrences by key (a map keeps this linear for objects with many keys).
        let mut occurrences: BTreeMap<&str, Vec<&Member<'_>>> = BTreeMap::new();
        for member in members {
            occurrences.entry(member.key.as_ref()).or_default().push(member);
        }
        for (key, repeated) in occurrences.iter().filter(|(_, repeated)| repeated.len() > 1) {
            let Some((last, earlier)) = repeated.split_last() else { continue };
            let times = if repeated.len() == 2 { "twice".to_owned() } else { format!("{} times", repeated.len()) };
            let mut diagnostic =
                Diagnostic::new(Code::DuplicateKey, &Origin::new(pointer.key(key), last.key_span), format!("key `{key}` appears {times}{}", kind.in_what()))
                    .with_label("this last occurrence is used")
                    .with_help(if repeated.len() == 2 { "remove one of the two" } else { "keep one of them" });
            for member in earlier {
                diagnostic = diagnostic.with_secondary(member.key_span, "ignored");
            }
            diagnostics.push(diagnostic);
        }
        for member in members {
            if !known.contains(&member.key.as_ref()) {
                let suggestion = did_you_mean(&member.key, known.iter().copied());
                let help = match suggestion {
                    Some(key) => format!("did you mean `{key}`?"),
                    None => format!("the keys of {what} are {}", list(known)),
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownField,
                        &Origin::new(pointer.key(&member.key), member.key_span),
                        format!("unknown key `{}`{}", member.key, kind.in_what()),
                    )
                    .with_label("ignored")
                    .with_help(help),
                );
            }
        }
        Some(Self { members, pointer, span: value.span, kind })
    }

    /// The value of `key` (its last occurrence), `null` included.
    pub(super) fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        self.members.iter().rev().find(|member| member.key == key).map(|member| &member.value)
    }

    /// The value of `key`, with `null` read as absent.
    pub(super) fn get_non_null(&self, key: &str) -> Option<&'a Value<'a>> {
        self.get(key).filter(|value| value.kind != ValueKind::Null)
    }

    pub(super) fn origin(&self, key: &str) -> Origin {
        let span = self.get(key).map_or(self.anchor(), |value| value.span);
        Origin::new(self.pointer.key(key), span)
    }

    pub(super) fn whole(&self) -> Origin {
        Origin::new(self.pointer.clone(), self.span)
    }

    /// Where to point when the object as a whole is at fault: its naming member if it
    /// has one, else its opening brace (never the whole multi-line object).
    pub(super) fn anchor(&self) -> Span {
        ["name", "table_name", "target_table"]
            .iter()
            .find_map(|key| self.members.iter().find(|member| member.key == *key))
            .map_or(Span::new(self.span.start, self.span.start + 1), |member| member.value.span)
    }

    pub(super) fn anchor_origin(&self) -> Origin {
        Origin::new(self.pointer.clone(), self.anchor())
    }

    /// A required string; reports it missing, `null` or not a string.
    pub(super) fn required_string(&self, key: &str, diagnostics: &mut Diagnostics) -> Option<Text<'a>> {
        let Some(value) = self.get(key) else {
            diagnostics.push(self.missing(key));
            return None;
        };
        self.string_value(key, value, diagnostics)
    }

    /// A required key is absent; a misspelt key present instead is named in the help.
    pub(super) fn missing(&self, key: &str) -> Diagnostic {
        let misspelt = self.members.iter().map(|member| member.key.as_ref()).find(|written| did_you_mean(written, [key]) == Some(key));
        let help = match misspelt {
            Some(written) => format!("`{written}` looks like a misspelling of `{key}`; rename it"),
            None => format!("add `\"{key}\": …` to {}", self.kind.what()),
        };
        let message = if self.kind.is_subject() { format!("`{key}` is missing") } else { format!("{} has no `{key}`", self.kind.what()) };
        Diagnostic::new(Code::MissingField, &self.anchor_origin(), message).with_label(format!("`{key}` is required here")).with_help(help)
    }

    /// An optional string; `null` means absent.
    pub(super) fn optional_string(&self, key: &str, diagnostics: &mut Diagnostics) -> Option<Text<'a>> {
        let value = self.get_non_null(key)?;
        self.string_value(key, value, diagnostics)
    }

    fn string_value(&self, key: &str, value: &'a Value<'a>, diagnostics: &mut Diagnostics) -> Option<Text<'a>> {
        match &value.kind {
            ValueKind::String(text) => Some(Text { value: text, origin: Origin::new(self.pointer.key(key), value.span) }),
            other => {
                let help = match other {
                    ValueKind::Number(number) => format!("write it as a string: `\"{}\"`", number.raw()),
                    ValueKind::Bool(flag) => format!("write it as a string: `\"{flag}\"`"),
                    _ => format!("`{key}` is a string in double quotes"),
                };
                self.wrong_type(key, value, "a string", help, diagnostics);
                None
            }
        }
    }

    /// An optional boolean; `null` means absent.
    pub(super) fn optional_bool(&self, key: &str, diagnostics: &mut Diagnostics) -> Option<bool> {
        let value = self.get_non_null(key)?;
        self.bool_value(key, value, diagnostics)
    }

    /// A boolean that may be absent but not `null` (`nullable`).
    pub(super) fn bool_not_null(&self, key: &str, diagnostics: &mut Diagnostics) -> Option<bool> {
        let value = self.get(key)?;
        self.bool_value(key, value, diagnostics)
    }

    fn bool_value(&self, key: &str, value: &Value, diagnostics: &mut Diagnostics) -> Option<bool> {
        match &value.kind {
            ValueKind::Bool(flag) => Some(*flag),
            ValueKind::String(text) if matches!(text.to_ascii_lowercase().as_str(), "true" | "false") => {
                let help = format!("write `{}` without quotes: strings are not read as booleans", text.to_ascii_lowercase());
                self.wrong_type(key, value, "a boolean", help, diagnostics);
                None
            }
            ValueKind::Number(number) if matches!(number.raw(), "0" | "1") => {
                let help = format!("write `{}`: numbers are not read as booleans", number.raw() == "1");
                self.wrong_type(key, value, "a boolean", help, diagnostics);
                None
            }
            ValueKind::Null => {
                let help = format!("write `true` or `false`, or leave `{key}` out for its default");
                self.wrong_type(key, value, "a boolean", help, diagnostics);
                None
            }
            _ => {
                self.wrong_type(key, value, "a boolean", "write `true` or `false`".to_owned(), diagnostics);
                None
            }
        }
    }

    /// An optional integer; `null` means absent. Integers beyond `i64` are reported as
    /// out of range by the caller's bounds, so they come back saturated.
    pub(super) fn optional_integer(&self, key: &str, diagnostics: &mut Diagnostics) -> Option<i64> {
        let value = self.get_non_null(key)?;
        match &value.kind {
            ValueKind::Number(number) if number.is_integer() => {
                Some(number.as_i64().unwrap_or(if number.raw().starts_with('-') { i64::MIN } else { i64::MAX }))
            }
            ValueKind::String(text) if text.trim().parse::<i64>().is_ok() => {
                let help = format!("write `{}` without quotes: strings are not read as numbers", text.trim());
                self.wrong_type(key, value, "an integer", help, diagnostics);
                None
            }
            _ => {
                self.wrong_type(key, value, "an integer", format!("write `{key}` as a whole number, e.g. `\"{key}\": 10`"), diagnostics);
                None
            }
        }
    }

    pub(super) fn wrong_type(&self, key: &str, value: &Value, expected: &str, help: String, diagnostics: &mut Diagnostics) {
        diagnostics.push(
            Diagnostic::new(
                Code::WrongType,
                &Origin::new(self.pointer.key(key), super::head(value)),
                format!("`{key}` must be {expected}, found {}", value.kind.describe()),
            )
            .with_label(format!("expected {expected}"))
            .with_help(help),
        );
    }
}

/// `a`, `b` and `c`, in backticks.
pub(super) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
