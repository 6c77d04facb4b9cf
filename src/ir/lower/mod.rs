//! Lowering: the spanned JSON tree → [`Schema`], with every shape, name and reference
//! problem reported. Name resolution happens here: foreign-key targets become
//! [`ColumnRef`](super::ColumnRef)s and relationship entries become paired
//! [`Relation`](super::Relation)s.
//!
//! Invariant: lowering never fails. A rejected value is left out of the schema (and its
//! table marked incomplete) so that later rules do not report consequences of it.

use std::collections::BTreeMap;

mod columns;
mod foreign_keys;
mod object;
mod relations;
mod subject;

use self::columns::ColumnDecl;
use self::object::{Kind, Object, list};
use self::relations::RelationshipDecl;
use super::names::{is_python_keyword, to_pascal_case, to_snake_case};
use super::{ClassName, DbType, Options, Schema, TableName};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::source::{JsonPointer, Origin};
use crate::syntax::json::{Value, ValueKind};

/// Keys of the project object, in docs/format.md §3.1.
/// `$schema` lets editors find the JSON Schema; it is ignored.
pub const PROJECT_KEYS: &[&str] = &["$schema", "project_name", "db_type", "description", "schema"];
/// Keys of a table object, in docs/format.md §3.2.
pub const TABLE_KEYS: &[&str] = &["table_name", "class_name", "description", "options", "columns", "relationships"];
/// Keys of an options object, in docs/format.md §3.3.
pub const OPTIONS_KEYS: &[&str] = &["use_timestamps", "use_soft_delete"];
pub use columns::COLUMN_KEYS;
pub use relations::RELATIONSHIP_KEYS;
pub use subject::{SHOWN_CHARS, name_subjects};

/// Optional caps on the size of a document (docs/format.md §7); none by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_tables: Option<usize>,
    pub max_columns: Option<usize>,
    pub max_relationships: Option<usize>,
}

/// Lowers a parsed document. Every problem goes to `diagnostics`.
pub fn lower(root: &Value, limits: &Limits, diagnostics: &mut Diagnostics) -> Schema {
    let mut schema = Schema {
        project_name: String::new(),
        db_type: DbType::Sqlite,
        description: None,
        tables: Vec::new(),
        relations: Vec::new(),
        origin: Origin::new(JsonPointer::root(), root.span),
        table_index: BTreeMap::new(),
        relations_by_owner: Vec::new(),
        relations_by_target: Vec::new(),
    };
    let Some(project) = Object::read(root, JsonPointer::root(), PROJECT_KEYS, Kind::Project, diagnostics) else {
        return schema;
    };
    if let Some(name) = project.required_string("project_name", diagnostics) {
        check_project_name(&name, diagnostics);
        name.value.clone_into(&mut schema.project_name);
    }
    if let Some(db_type) = project.required_string("db_type", diagnostics) {
        match DbType::from_name(db_type.value) {
            Some(db_type) => schema.db_type = db_type,
            None => diagnostics.push(bad_value("db_type", &db_type, &DbType::NAMES, db_type_alias(db_type.value))),
        }
    }
    schema.description = project.optional_string("description", diagnostics).map(|text| text.value.to_owned());

    let mut tables = Vec::new();
    // A table rejected for its name could be the one another table refers to, so
    // references to unknown tables are then not reported.
    let mut tables_dropped = false;
    if let Some(list_value) = project.get("schema") {
        let pointer = project.pointer.key("schema");
        match &list_value.kind {
            ValueKind::Array(elements) if elements.is_empty() => diagnostics.push(
                Diagnostic::new(Code::Empty, &Origin::new(pointer, list_value.span), "`schema` has no tables")
                    .with_label("empty list")
                    .with_help("add at least one table: `{\"table_name\": …, \"class_name\": …, \"columns\": [ … ]}`"),
            ),
            ValueKind::Array(elements) => {
                check_limit(limits.max_tables, elements, &pointer, "tables", Some("the project"), diagnostics);
                for (idx, element) in elements.iter().enumerate() {
                    match lower_table(element, pointer.index(idx), limits, diagnostics) {
                        Some(table) => tables.push(table),
                        None => tables_dropped = true,
                    }
                }
            }
            _ => project.wrong_type("schema", list_value, "an array of tables", "write `\"schema\": [ {table}, … ]`".to_owned(), diagnostics),
        }
    } else {
        diagnostics.push(
            Diagnostic::new(Code::MissingField, &Origin::new(JsonPointer::root(), project.anchor()), "the project has no `schema`")
                .with_label("`schema` is required here")
                .with_help("add `\"schema\": [ … ]` with the tables"),
        );
    }
    check_duplicate_tables(&tables, diagnostics);
    let (tables, declarations) = foreign_keys::resolve(tables, tables_dropped, diagnostics);
    schema.set_tables(tables);
    let relations = relations::pair(&schema, declarations, tables_dropped, diagnostics);
    schema.set_relations(relations);
    schema
}

/// A table as declared, before foreign keys are resolved.
struct TableDecl {
    name: TableName,
    name_origin: Origin,
    class_name: ClassName,
    class_origin: Origin,
    description: Option<String>,
    options: Options,
    columns: Vec<ColumnDecl>,
    relationships: Vec<RelationshipDecl>,
    origin: Origin,
    /// Names of columns that were rejected; references to them are not reported again.
    rejected_columns: Vec<String>,
    incomplete: bool,
}

fn lower_table(value: &Value, pointer: JsonPointer, limits: &Limits, diagnostics: &mut Diagnostics) -> Option<TableDecl> {
    let errors_before = diagnostics.error_count();
    let table = Object::read(value, pointer, TABLE_KEYS, Kind::Table, diagnostics)?;
    let name = table.required_string("table_name", diagnostics);
    let class_name = table.required_string("class_name", diagnostics);
    let name = name.filter(|name| check_table_name(name, diagnostics));
    let class_name = class_name.filter(|class_name| check_class_name(class_name, diagnostics));
    let description = table.optional_string("description", diagnostics).map(|text| text.value.to_owned());
    let (options, options_origin) = lower_options(&table, diagnostics);
    let mut incomplete = false;

    let mut columns = Vec::new();
    let mut rejected_columns = Vec::new();
    match table.get("columns") {
        None => {
            diagnostics.push(
                Diagnostic::new(Code::MissingField, &table.anchor_origin(), "`columns` is missing")
                    .with_label("`columns` is required here")
                    .with_help("add `\"columns\": [ … ]` with at least a primary-key column"),
            );
            incomplete = true;
        }
        Some(list_value) => {
            let pointer = table.pointer.key("columns");
            match &list_value.kind {
                ValueKind::Array(elements) if elements.is_empty() => {
                    diagnostics.push(
                        Diagnostic::new(Code::Empty, &Origin::new(pointer, list_value.span), "`columns` is empty")
                            .with_label("empty list")
                            .with_help("add at least a primary-key column: `{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}`"),
                    );
                    incomplete = true;
                }
                ValueKind::Array(elements) => {
                    check_limit(limits.max_columns, elements, &pointer, "columns", None, diagnostics);
                    for (idx, element) in elements.iter().enumerate() {
                        match columns::lower_column(element, pointer.index(idx), diagnostics) {
                            Ok(column) => columns.push(column),
                            Err(columns::RejectedColumn(name)) => {
                                incomplete = true;
                                rejected_columns.extend(name);
                            }
                        }
                    }
                }
                _ => {
                    table.wrong_type("columns", list_value, "an array of columns", "write `\"columns\": [ {column}, … ]`".to_owned(), diagnostics);
                    incomplete = true;
                }
            }
        }
    }
    columns::finish_columns(&mut columns, options, &options_origin, diagnostics);

    let mut relationships = Vec::new();
    if let Some(list_value) = table.get("relationships") {
        let pointer = table.pointer.key("relationships");
        match &list_value.kind {
            ValueKind::Array(elements) => {
                check_limit(limits.max_relationships, elements, &pointer, "relationships", None, diagnostics);
                for (idx, element) in elements.iter().enumerate() {
                    match relations::lower_relationship(element, pointer.index(idx), diagnostics) {
                        Some(relationship) => relationships.push(relationship),
                        None => incomplete = true,
                    }
                }
            }
            _ => {
                let help = if list_value.kind == ValueKind::Null {
                    "write `[]`, or leave `relationships` out"
                } else {
                    "write `\"relationships\": [ {relationship}, … ]`"
                };
                table.wrong_type("relationships", list_value, "an array of relationships", help.to_owned(), diagnostics);
                incomplete = true;
            }
        }
    }

    // Any error in the table makes it incomplete: rules about what is absent stay silent.
    incomplete |= diagnostics.error_count() > errors_before;
    let name = name?;
    // A table without a usable class still resolves references to its name.
    let class_name = class_name.unwrap_or_else(|| object::Text { value: "", origin: table.anchor_origin() });
    Some(TableDecl {
        name: TableName::new(name.value),
        name_origin: name.origin,
        class_name: ClassName::new(class_name.value),
        class_origin: class_name.origin,
        description,
        options,
        columns,
        relationships,
        origin: table.whole(),
        rejected_columns,
        incomplete,
    })
}

/// The options object and where each option is written (for the columns they add).
fn lower_options(table: &Object<'_>, diagnostics: &mut Diagnostics) -> (Options, OptionOrigins) {
    let mut options = Options::default();
    let mut origins = OptionOrigins { timestamps: table.origin("options"), soft_delete: table.origin("options") };
    let Some(value) = table.get("options") else {
        return (options, origins);
    };
    if value.kind == ValueKind::Null {
        table.wrong_type("options", value, "an object", "write `{}` or leave `options` out".to_owned(), diagnostics);
        return (options, origins);
    }
    let Some(object) = Object::read(value, table.pointer.key("options"), OPTIONS_KEYS, Kind::Options, diagnostics) else {
        return (options, origins);
    };
    options.use_timestamps = object.optional_bool("use_timestamps", diagnostics).unwrap_or(false);
    options.use_soft_delete = object.optional_bool("use_soft_delete", diagnostics).unwrap_or(false);
    origins.timestamps = object.origin("use_timestamps");
    origins.soft_delete = object.origin("use_soft_delete");
    (options, origins)
}

/// Where `use_timestamps` and `use_soft_delete` are written.
struct OptionOrigins {
    timestamps: Origin,
    soft_delete: Origin,
}

fn check_project_name(name: &object::Text<'_>, diagnostics: &mut Diagnostics) {
    if name.value.is_empty() {
        diagnostics.push(empty("project_name", &name.origin));
        return;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !name.value.chars().all(allowed) || !name.value.chars().any(|c| c.is_ascii_alphanumeric()) {
        let suggestion: String = name.value.chars().map(|c| if allowed(c) { c } else { '_' }).collect();
        let problem = if !name.value.is_ascii() {
            "non-ASCII characters"
        } else if name.value.chars().all(allowed) {
            "no letter or digit"
        } else {
            "characters other than letters, digits, `-` and `_`"
        };
        diagnostics.push(
            Diagnostic::new(Code::BadProjectName, &name.origin, format!("project name `{}` has {problem}", name.value))
                .with_label("not a valid project name")
                .with_help(format!(
                    "use ASCII letters, digits, `-` and `_` only, e.g. `{}`",
                    if suggestion.chars().any(|c| c.is_ascii_alphanumeric()) { suggestion.trim_matches('_') } else { "my-project" }
                )),
        );
    }
}

fn check_table_name(name: &object::Text<'_>, diagnostics: &mut Diagnostics) -> bool {
    let value = name.value;
    if value.is_empty() {
        diagnostics.push(empty("table_name", &name.origin));
        return false;
    }
    let problem = if !value.is_ascii() {
        Some("has non-ASCII characters")
    } else if value.chars().count() > 63 {
        Some("is longer than 63 characters")
    } else if value.chars().any(|c| c.is_ascii_uppercase()) {
        Some("has uppercase letters")
    } else if !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        Some("has characters other than lowercase letters, digits and `_`")
    } else if value.starts_with(|c: char| c.is_ascii_digit()) {
        Some("starts with a digit")
    } else if !value.chars().any(|c| c.is_ascii_lowercase()) {
        Some("has no letter")
    } else {
        None
    };
    let Some(problem) = problem else {
        return true;
    };
    let suggestion = to_snake_case(value);
    let help = if suggestion.is_empty() || suggestion == value || suggestion.len() > 63 || suggestion.starts_with(|c: char| c.is_ascii_digit()) {
        "a table name is lowercase snake_case (`^[a-z_][a-z0-9_]*$`, at least one letter, at most 63 characters)".to_owned()
    } else {
        format!("write `{suggestion}`; table names are lowercase snake_case")
    };
    diagnostics.push(Diagnostic::new(Code::BadTableName, &name.origin, format!("the name {problem}")).with_label("not a valid table name").with_help(help));
    // The name still resolves references; only its spelling is wrong.
    true
}

fn check_class_name(name: &object::Text<'_>, diagnostics: &mut Diagnostics) -> bool {
    let value = name.value;
    if value.is_empty() {
        diagnostics.push(empty("class_name", &name.origin));
        return false;
    }
    let problem = if !value.is_ascii() {
        Some("has non-ASCII characters")
    } else if !value.starts_with(|c: char| c.is_ascii_uppercase()) {
        Some("does not start with an uppercase letter")
    } else if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Some("has characters other than letters, digits and `_`")
    } else if is_python_keyword(value) {
        Some("is a Python keyword")
    } else {
        None
    };
    if let Some(problem) = problem {
        let suggestion = to_pascal_case(value);
        let help =
            if suggestion.is_empty() || suggestion == value || is_python_keyword(&suggestion) || !suggestion.starts_with(|c: char| c.is_ascii_uppercase()) {
                "a class name is PascalCase (`^[A-Z][A-Za-z0-9_]*$`) and not `None`, `True` or `False`".to_owned()
            } else {
                format!("write `{suggestion}`; class names are PascalCase")
            };
        diagnostics.push(
            Diagnostic::new(Code::BadClassName, &name.origin, format!("class name `{value}` {problem}")).with_label("not a valid class name").with_help(help),
        );
    }
    true
}

fn check_duplicate_tables(tables: &[TableDecl], diagnostics: &mut Diagnostics) {
    // First declarations by name, so that the check stays linear in the table count.
    let mut first_by_name: BTreeMap<&str, &TableDecl> = BTreeMap::new();
    let mut first_by_class: BTreeMap<&str, &TableDecl> = BTreeMap::new();
    for table in tables {
        if let Some(first) = first_by_name.get(table.name.as_str()) {
            diagnostics.push(
                Diagnostic::new(Code::DuplicateTable, &table.name_origin, "declared twice")
                    .with_label("second declaration")
                    .with_secondary(first.name_origin.span, "first declared here")
                    .with_help("rename one of the tables or merge their columns"),
            );
        }
        if let Some(first) = first_by_class.get(table.class_name.as_str()).filter(|_| !table.class_name.as_str().is_empty()) {
            diagnostics.push(
                Diagnostic::new(Code::DuplicateClass, &table.class_origin, format!("class `{}` is already the class of `{}`", table.class_name, first.name))
                    .with_label(format!("also the class of `{}`", first.name))
                    .with_secondary(first.class_origin.span, format!("first used by `{}`", first.name))
                    .with_help(format!("give `{}` its own class name, e.g. `{}`", table.name, to_pascal_case(table.name.as_str()))),
            );
        }
        first_by_name.entry(table.name.as_str()).or_insert(table);
        first_by_class.entry(table.class_name.as_str()).or_insert(table);
    }
}

/// Reports a list longer than `limit`, pointing at its first element over the limit.
/// The pointer is the list's: the list is what is too long, not that element. `whose`
/// names the list's owner when the subject prefix does not (the project has none).
fn check_limit(limit: Option<usize>, elements: &[Value], pointer: &JsonPointer, what: &str, whose: Option<&str>, diagnostics: &mut Diagnostics) {
    let count = elements.len();
    if let Some(limit) = limit.filter(|limit| count > *limit) {
        let origin = Origin::new(pointer.clone(), head(&elements[limit]));
        let has = whose.map_or_else(String::new, |whose| format!("{whose} has "));
        diagnostics.push(
            Diagnostic::new(Code::LimitExceeded, &origin, format!("{has}{count} {what}, over the limit of {limit}"))
                .with_label(format!("{what} from here on are over the limit"))
                .with_help(format!("split the document into parts of at most {limit} {what}, or raise the limit")),
        );
    }
}

/// The span to point at for a whole value: the opening bracket of an array or object
/// (never a multi-line block), the value itself otherwise.
pub(super) fn head(value: &Value) -> crate::source::Span {
    match value.kind {
        ValueKind::Array(_) | ValueKind::Object(_) => crate::source::Span::new(value.span.start, value.span.start + 1),
        _ => value.span,
    }
}

/// What an unknown table name was probably meant to be.
enum TableSuggestion<'a> {
    /// The name is a `class_name`; this is its table.
    ClassOf(&'a str),
    /// A table with a close name.
    Close(&'a str),
    None,
}

/// Looks for the table meant by the unknown `name` among `(table_name, class_name)`
/// pairs, within the document's suggestion budget.
fn suggest_table<'a>(name: &str, tables: impl Iterator<Item = (&'a str, &'a str)> + Clone, diagnostics: &mut Diagnostics) -> TableSuggestion<'a> {
    if !diagnostics.take_suggestion() {
        return TableSuggestion::None;
    }
    if let Some((table, _)) = tables.clone().find(|(_, class)| *class == name) {
        return TableSuggestion::ClassOf(table);
    }
    did_you_mean(name, tables.map(|(table, _)| table)).map_or(TableSuggestion::None, TableSuggestion::Close)
}

/// An attribute that has no effect where it is written (IGNORED_ATTRIBUTE).
fn ignored(origin: &Origin, key: &str, why: &str) -> Diagnostic {
    Diagnostic::new(Code::IgnoredAttribute, origin, format!("`{key}` has no effect here and is ignored"))
        .with_label("ignored")
        .with_help(format!("{why}; remove `{key}`"))
}

fn empty(key: &str, origin: &Origin) -> Diagnostic {
    Diagnostic::new(Code::Empty, origin, format!("`{key}` is empty")).with_label("empty string").with_help(format!("give `{key}` a value"))
}

/// A value outside its list, with the closest allowed value (or an explicit alias) as help.
fn bad_value(key: &str, text: &object::Text<'_>, allowed: &[&str], alias: Option<&str>) -> Diagnostic {
    let suggestion = alias.or_else(|| did_you_mean(text.value, allowed.iter().copied()));
    let help = match suggestion {
        Some(suggestion) => format!("did you mean `{suggestion}`? `{key}` is one of {}", list(allowed)),
        None => format!("`{key}` is one of {}", list(allowed)),
    };
    Diagnostic::new(Code::BadValue, &text.origin, format!("`{}` is not a valid `{key}`", text.value)).with_label("unknown value").with_help(help)
}

/// Common spellings of the database names.
fn db_type_alias(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "postgres" | "pg" | "postgresql" | "psql" => Some("postgresql"),
        "mariadb" | "mysql" => Some("mysql"),
        "sqlite3" | "sqlite" => Some("sqlite"),
        "sqlserver" | "sql server" | "mssql" => Some("mssql"),
        _ => None,
    }
}
