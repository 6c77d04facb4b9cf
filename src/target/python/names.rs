//! Python names for generated code: [`PyIdent`] (an identifier that is safe as a class
//! attribute on both a SQLAlchemy model and a Pydantic model) and [`PyStr`] (a string
//! literal that prints escaped, quotes included).
//!
//! Invariant: a name is mangled the same way everywhere (models, schemas, routes, tests),
//! and no two attributes of one class end up with the same identifier.

use std::collections::BTreeSet;
use std::fmt::{self, Write};

use crate::ir::names::is_python_keyword;

/// A Python identifier, already safe to use as an attribute or variable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyIdent(String);

impl PyIdent {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PyIdent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names that cannot be a plain attribute of a generated class: members of
/// SQLAlchemy's declarative base and of Pydantic's `BaseModel`, and soft keywords and
/// builtins that would confuse readers or linters.
const RESERVED_ATTRIBUTES: &[&str] = &[
    // SQLAlchemy DeclarativeBase.
    "metadata",
    "registry",
    "query",
    "query_class",
    // Pydantic BaseModel (v2 members and the deprecated v1 ones that still exist).
    "construct",
    "copy",
    "dict",
    "fields",
    "from_orm",
    "json",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "update_forward_refs",
    "validate",
    "model_computed_fields",
    "model_config",
    "model_construct",
    "model_copy",
    "model_dump",
    "model_dump_json",
    "model_extra",
    "model_fields",
    "model_fields_set",
    "model_json_schema",
    "model_parametrized_name",
    "model_post_init",
    "model_rebuild",
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    // Members of the models' metaclasses (ABCMeta's `register`, `type.mro`): Pydantic
    // refuses a field that shadows them.
    "mro",
    "register",
    // The first parameter of the models' constructor: `Model(self=…)` cannot be called.
    "self",
    // Soft keywords and the builtins a model most often shadows.
    "match",
    "case",
    "type",
    "_",
];

/// Module-level names of the generated modules. A class attribute of the same name
/// would shadow them for the rest of the class body (`sa.String(…)`, `Field(…)`), a key
/// parameter of a route would shadow them in its body (`crud`), and a model class of the
/// same name would replace them (`class Base(Base)`). The routes' own parameters and
/// locals (`body`, `session`) are [`ROUTE_NAMES`]: only a key column, which becomes a
/// parameter, must keep clear of them.
pub const MODULE_NAMES: &[&str] = &[
    "sa",
    "orm",
    "datetime",
    "decimal",
    "typing",
    "fastapi",
    "crud",
    "utcnow",
    "model_validator",
    "Annotated",
    "Base",
    "BaseModel",
    "Bool",
    "ConfigDict",
    "ExactNumeric",
    "Field",
    "Float64",
    "Int32",
    "KeyInt",
    "Literal",
    "LongString",
    "LongText",
    "ParamStr",
    "PreciseTime",
    "QueryFloat",
    "QueryInt",
    "Self",
    "SessionDep",
    "Str",
    "TYPE_CHECKING",
    "TimeOfDay",
    "UtcDateTime",
    "UtcDatetime",
    "Any",
    "APIRouter",
    "TestClient",
];

/// Module-level names that the modules importing a model class (its models, schemas and
/// routes modules) define besides [`MODULE_NAMES`], which the class must not take: a
/// class `COLUMNS` would be imported into the router that defines `COLUMNS`.
pub const DEFINED_NAMES: &[&str] = &["COLUMNS"];

/// The builtins that generated code reads (annotations, defaults, route and helper
/// bodies). An attribute or parameter with one of these names would rebind it for the
/// rest of its scope (`bool: Bool` makes a later `bool | None` read the field).
/// `tests/generate.rs` checks that generated code reads no other builtin, and the scope
/// check of [`super::scopes`] rejects any file where one is shadowed anyway.
pub const BUILTINS_READ: &[&str] = &[
    "OverflowError",
    "UnicodeEncodeError",
    "ValueError",
    "abs",
    "all",
    "any",
    "bool",
    "bytes",
    "dict",
    "divmod",
    "float",
    "frozenset",
    "getattr",
    "int",
    "isinstance",
    "iter",
    "len",
    "list",
    "next",
    "setattr",
    "sorted",
    "str",
    "super",
    "tuple",
    "type",
    "zip",
];

/// The names a generated route function reads or binds besides its parameters (its
/// locals, and the route module's own names): the route functions take the key columns
/// as parameters, and a key named like one of these would shadow it in the body.
pub const ROUTE_NAMES: &[&str] = &["COLUMNS", "body", "count", "field", "get_session", "live", "other", "query", "router", "row", "rows", "session", "value"];

/// What an attribute name must not be, besides the fixed names above: the Python names
/// that the schema itself brings into the generated modules (model classes, their
/// schema classes, enum aliases), which class bodies read in annotations.
#[derive(Debug, Default)]
pub struct SchemaNames(BTreeSet<String>);

impl SchemaNames {
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        Self(names.into_iter().collect())
    }

    fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

/// How a name is used in generated code: as a class attribute only, or also as a route
/// function's parameter (a key column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Attribute,
    Parameter,
}

/// True when `name` may not be used as a generated attribute (or parameter) as it is.
fn needs_mangling(name: &str, use_: Use, schema: &SchemaNames) -> bool {
    is_python_keyword(name)
        || RESERVED_ATTRIBUTES.contains(&name)
        || MODULE_NAMES.contains(&name)
        || BUILTINS_READ.contains(&name)
        || name.starts_with('_')
        || schema.contains(name)
        || (use_ == Use::Parameter && ROUTE_NAMES.contains(&name))
}

/// Assigns attribute identifiers to the names of one class (columns and relationships),
/// in order: names that need no change keep them first; the others get a trailing `_`
/// (leading underscores moved to the end) until unique.
pub fn attribute_idents<'a>(names: impl IntoIterator<Item = (&'a str, Use)>, schema: &SchemaNames) -> Vec<PyIdent> {
    let names: Vec<(&str, Use)> = names.into_iter().collect();
    let mut taken: BTreeSet<String> = names.iter().filter(|(name, use_)| !needs_mangling(name, *use_, schema)).map(|(name, _)| (*name).to_owned()).collect();
    names
        .iter()
        .map(|&(name, use_)| {
            if !needs_mangling(name, use_, schema) {
                return PyIdent(name.to_owned());
            }
            let trimmed = name.trim_start_matches('_');
            let stem = if trimmed.is_empty() { "field".to_owned() } else { trimmed.to_owned() };
            let leading = name.len() - trimmed.len();
            let mut candidate = format!("{stem}{}", "_".repeat(leading.max(1)));
            while taken.contains(&candidate) || needs_mangling(&candidate, use_, schema) {
                candidate.push('_');
            }
            taken.insert(candidate.clone());
            PyIdent(candidate)
        })
        .collect()
}

/// A module name for a table (`order` → `order`, `import` → `import_`).
pub fn module_ident(table_name: &str) -> PyIdent {
    if is_python_keyword(table_name) || table_name.starts_with('_') || MODULE_CLASHES.contains(&table_name) {
        PyIdent(format!("{}_", table_name.trim_start_matches('_')))
    } else {
        PyIdent(table_name.to_owned())
    }
}

/// `ClassName` as a Python function-name part, snake_case as PEP 8 spells it:
/// `PersonTag` → `person_tag`, `HTTPRequest` → `http_request`, `Base_` → `base_`.
pub fn snake_case(class_name: &str) -> String {
    let chars: Vec<char> = class_name.chars().collect();
    let mut out = String::with_capacity(class_name.len() + 4);
    for (at, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && at > 0 {
            let previous = chars[at - 1];
            let next_lower = chars.get(at + 1).is_some_and(char::is_ascii_lowercase);
            // A word starts after a lowercase letter or digit, and at the last capital
            // of an acronym that a lowercase letter follows (`HTTPRequest`).
            if (previous.is_ascii_lowercase() || previous.is_ascii_digit() || (previous.is_ascii_uppercase() && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Module names that would shadow what the generated package imports.
const MODULE_CLASHES: &[&str] = &["base", "typing", "datetime", "decimal", "enum", "sqlalchemy", "fastapi", "pydantic"];

/// A Python string literal: `Display` prints it quoted and escaped, so any text (quotes,
/// backslashes, newlines, braces, non-ASCII) can be placed in generated code safely.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyStr(String);

impl PyStr {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&python_string_literal(&self.0))
    }
}

/// `text` as a double-quoted Python literal with only printable characters between the
/// quotes: control characters, line and paragraph separators are escaped.
pub fn python_string_literal(text: &str) -> String {
    // ruff's preference: double quotes, unless single quotes need fewer escapes.
    let quote = if text.matches('"').count() > text.matches('\'').count() { '\'' } else { '"' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for character in text.chars() {
        match character {
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{feff}') => {
                let code = u32::from(c);
                let _ = if code <= 0xff { write!(out, "\\x{code:02x}") } else { write!(out, "\\u{code:04x}") };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A comment line's text: one line, no control characters (descriptions in `#` comments).
pub fn comment_text(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_framework_members_are_mangled_without_collisions() {
        let schema = SchemaNames::new(["Post".to_owned()]);
        let names = ["class", "class_", "metadata", "model_config", "_note", "name", "bool", "id", "Post", "value"].map(|name| (name, Use::Attribute));
        let idents = attribute_idents(names, &schema);
        let names: Vec<&str> = idents.iter().map(PyIdent::as_str).collect();
        assert_eq!(names, ["class__", "class_", "metadata_", "model_config_", "note_", "name", "bool_", "id", "Post_", "value"]);
        let idents = attribute_idents([("value", Use::Parameter), ("id", Use::Parameter)], &schema);
        assert_eq!(idents.iter().map(PyIdent::as_str).collect::<Vec<_>>(), ["value_", "id"]);
    }

    #[test]
    fn class_names_become_snake_case_words() {
        let cases = [
            ("Post", "post"),
            ("PersonTag", "person_tag"),
            ("HTTPRequest", "http_request"),
            ("ABC", "abc"),
            ("Item2Go", "item2_go"),
            ("Class_Name", "class_name"),
            ("Base_", "base_"),
            ("X", "x"),
        ];
        for (class, snake) in cases {
            assert_eq!(snake_case(class), snake, "{class}");
        }
    }

    #[test]
    fn string_literals_escape_everything_that_could_break_out() {
        assert_eq!(python_string_literal("a\"b\\c\nd"), r#"'a"b\\c\nd'"#);
        assert_eq!(python_string_literal("it's"), r#""it's""#);
        assert_eq!(python_string_literal("\u{2028}\u{0}"), r#""\u2028\x00""#);
        assert_eq!(python_string_literal("{{ x }} %s é"), "\"{{ x }} %s é\"");
    }
}
