//! Lowering of column objects (docs/format.md §3.4) and of the columns a table's options add.

use std::collections::BTreeMap;

use super::object::{Kind, Object, Text, list};
use super::{OptionOrigins, bad_value};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::literal::{Literal, LiteralValue};
use crate::ir::names::is_identifier;
use crate::ir::{Column, ColumnName, ColumnSource, Constraints, OnDelete, Options, ScalarType};
use crate::source::{JsonPointer, Origin};
use crate::syntax::json::{Value, ValueKind};

/// Keys of a column object.
pub const COLUMN_KEYS: &[&str] = &[
    "name",
    "type",
    "length",
    "precision",
    "scale",
    "primary_key",
    "autoincrement",
    "unique",
    "nullable",
    "index",
    "write_only",
    "default",
    "values",
    "target",
    "on_delete",
    "description",
];

/// The column types, spelled as the format spells them.
pub(crate) const TYPE_NAMES: &[&str] = &["Integer", "String", "Text", "Boolean", "DateTime", "Date", "Time", "Numeric", "Float", "Enum", "ForeignKey"];

/// A declared column: the column with its declared type, plus, for a foreign key,
/// the target still to resolve.
pub(super) struct ColumnDecl {
    pub(super) column: Column,
    pub(super) target: Option<TargetDecl>,
    /// `autoincrement` as written, with where.
    autoincrement: Option<(bool, Origin)>,
}

/// The `target` of a foreign-key column, split into table and column.
pub(super) struct TargetDecl {
    pub(super) table: String,
    pub(super) column: String,
    pub(super) origin: Origin,
    pub(super) on_delete: OnDelete,
    pub(super) on_delete_origin: Option<Origin>,
}

/// A column that was rejected, with its name when it had a usable one (so that
/// references to it stay silent instead of reporting a missing column).
pub(super) struct RejectedColumn(pub(super) Option<String>);

pub(super) fn lower_column(value: &Value, pointer: JsonPointer, diagnostics: &mut Diagnostics) -> Result<ColumnDecl, RejectedColumn> {
    let errors_before = diagnostics.error_count();
    let Some(object) = Object::read(value, pointer, COLUMN_KEYS, Kind::Column, diagnostics) else {
        return Err(RejectedColumn(None));
    };
    let name = object.required_string("name", diagnostics);
    let name_ok = name.as_ref().is_some_and(|name| check_column_name(name, diagnostics));
    let name_text = name.as_ref().map(|name| name.value.to_owned());
    let type_name = object.required_string("type", diagnostics);
    let declared_type = type_name.as_ref().and_then(|type_name| {
        let found = TYPE_NAMES.iter().find(|candidate| **candidate == type_name.value).copied();
        if found.is_none() {
            diagnostics.push(bad_type(type_name));
        }
        found
    });

    let primary_key = object.optional_bool("primary_key", diagnostics).unwrap_or(false);
    let unique = object.optional_bool("unique", diagnostics).unwrap_or(false);
    let index = object.optional_bool("index", diagnostics).unwrap_or(false);
    let write_only = object.optional_bool("write_only", diagnostics).unwrap_or(false);
    let autoincrement = object.optional_bool("autoincrement", diagnostics).map(|flag| (flag, object.origin("autoincrement")));
    let nullable = object.bool_not_null("nullable", diagnostics);
    let description = object.optional_string("description", diagnostics).map(|text| text.value.to_owned());
    let default = lower_default(&object, diagnostics);
    let on_delete = object.optional_string("on_delete", diagnostics).and_then(|text| match OnDelete::from_name(text.value) {
        Some(action) => Some((action, text.origin)),
        None => {
            let alias = OnDelete::NAMES.iter().copied().find(|name| name.replace(' ', "_").eq_ignore_ascii_case(&text.value.trim().replace([' ', '-'], "_")));
            diagnostics.push(bad_value("on_delete", &text, &OnDelete::NAMES, alias));
            None
        }
    });
    if nullable == Some(true) && primary_key {
        diagnostics.push(
            Diagnostic::new(Code::NullablePrimaryKey, &object.origin("nullable"), "the primary key is declared nullable")
                .with_label("a primary key cannot be null")
                .with_help("remove `\"nullable\": true`; primary-key columns are NOT NULL"),
        );
    }

    let Some(declared_type) = declared_type else {
        return Err(RejectedColumn(name_text));
    };
    let ty = lower_type(&object, declared_type, diagnostics);
    let target = if declared_type == "ForeignKey" {
        let Some(target) = lower_target(&object, diagnostics) else {
            return Err(RejectedColumn(name_text));
        };
        Some(TargetDecl {
            on_delete: on_delete.as_ref().map_or(OnDelete::NoAction, |(action, _)| *action),
            on_delete_origin: on_delete.map(|(_, origin)| origin),
            ..target
        })
    } else {
        if on_delete.is_some() {
            diagnostics.push(ignored(&object, "on_delete", "only a `ForeignKey` column has an `on_delete` action"));
        }
        if object.get_non_null("target").is_some() {
            diagnostics.push(not_for_type(
                &object,
                "target",
                declared_type,
                "only a `ForeignKey` column has a `target`; use `\"type\": \"ForeignKey\"` or remove `target`",
            ));
        }
        None
    };
    // A column with any error is left out whole, so no later rule reports a
    // consequence of the rejected value (a `primary_key: "true"` is not "no key").
    let (Some(name), true, Some(ty), false) = (name, name_ok, ty, diagnostics.error_count() > errors_before) else {
        return Err(RejectedColumn(name_text));
    };
    let column = Column {
        name_origin: name.origin.clone(),
        name: ColumnName::new(name.value),
        ty,
        foreign_key: None,
        primary_key,
        unique,
        nullable: nullable.unwrap_or(!primary_key),
        index,
        write_only,
        autoincrement: false,
        default,
        description,
        constraints: Constraints::default(),
        source: ColumnSource::Declared,
        origin: object.whole(),
    };
    Ok(ColumnDecl { column, target, autoincrement })
}

/// The declared type with its parameters; a foreign key gets a placeholder until its
/// target is resolved. `None` when a parameter was rejected.
fn lower_type(object: &Object<'_>, declared_type: &str, diagnostics: &mut Diagnostics) -> Option<ScalarType> {
    let length = object.optional_integer("length", diagnostics);
    let precision = object.optional_integer("precision", diagnostics);
    let scale = object.optional_integer("scale", diagnostics);
    let has_values = object.get("values").is_some();
    if declared_type != "String" && length.is_some() {
        let help = if declared_type == "ForeignKey" {
            "a foreign key takes its length from its target column; remove `length`"
        } else {
            "only a `String` column has a `length`; remove it"
        };
        diagnostics.push(not_for_type(object, "length", declared_type, help));
    }
    if declared_type != "Numeric" {
        for key in ["precision", "scale"] {
            if object.get_non_null(key).is_some() {
                let help = if declared_type == "ForeignKey" {
                    "a foreign key takes its precision and scale from its target column"
                } else {
                    "only a `Numeric` column has a precision and scale"
                };
                diagnostics.push(ignored(object, key, help));
            }
        }
    }
    if declared_type != "Enum" && object.get_non_null("values").is_some() {
        let help = if declared_type == "ForeignKey" {
            "a foreign key to an enum shares its target's values; remove `values`"
        } else {
            "only an `Enum` column has `values`; use `\"type\": \"Enum\"` or remove them"
        };
        diagnostics.push(not_for_type(object, "values", declared_type, help));
    }
    Some(match declared_type {
        "Integer" | "ForeignKey" => ScalarType::Integer,
        "Text" => ScalarType::Text,
        "Boolean" => ScalarType::Boolean,
        "DateTime" => ScalarType::DateTime,
        "Date" => ScalarType::Date,
        "Time" => ScalarType::Time,
        "Float" => ScalarType::Float,
        "String" => ScalarType::String { length: string_length(object, length, diagnostics)? },
        "Numeric" => numeric(object, precision, scale, diagnostics)?,
        _ => ScalarType::Enum { values: enum_values(object, has_values, diagnostics)? },
    })
}

fn string_length(object: &Object<'_>, length: Option<i64>, diagnostics: &mut Diagnostics) -> Option<u32> {
    match length {
        None if object.get_non_null("length").is_some() => None,
        None => {
            diagnostics.push(
                Diagnostic::new(Code::StringNoLength, &object.origin("type"), "`String` without `length`; 255 is used")
                    .with_label("no `length`")
                    .with_help("add `\"length\": N` with the longest value the column must hold (1 to 16383)"),
            );
            Some(255)
        }
        Some(length) => in_range(object, "length", length, 1, 16383, "a `String` holds 1 to 16383 characters; use `Text` for longer values", diagnostics),
    }
}

fn numeric(object: &Object<'_>, precision: Option<i64>, scale: Option<i64>, diagnostics: &mut Diagnostics) -> Option<ScalarType> {
    let precision_given = object.get_non_null("precision").is_some();
    let scale_given = object.get_non_null("scale").is_some();
    if (precision_given && precision.is_none()) || (scale_given && scale.is_none()) {
        return None;
    }
    match (precision, scale) {
        (None, None) => {
            diagnostics.push(
                Diagnostic::new(Code::NumericNoPrecision, &object.origin("type"), "`Numeric` without `precision` and `scale`; (18, 2) is used")
                    .with_label("no `precision`")
                    .with_help("add `\"precision\": P, \"scale\": S`, e.g. 10 and 2 for money"),
            );
            Some(ScalarType::Numeric { precision: 18, scale: 2 })
        }
        (None, Some(_)) => {
            diagnostics.push(
                Diagnostic::new(Code::OutOfRange, &object.origin("scale"), "`scale` is given without `precision`")
                    .with_label("needs a `precision`")
                    .with_help("add `\"precision\": P` (the total number of digits, 1 to 65)"),
            );
            None
        }
        (Some(precision), scale) => {
            let precision = in_range(object, "precision", precision, 1, 65, "a `Numeric` has 1 to 65 digits in all", diagnostics)?;
            let max_scale = precision.min(30);
            let help = format!("the scale (digits after the point) is 0 to {max_scale} for precision {precision}");
            let scale = match scale {
                Some(scale) => in_range(object, "scale", scale, 0, i64::from(max_scale), &help, diagnostics)?,
                None => 0,
            };
            Some(ScalarType::Numeric { precision, scale })
        }
    }
}

/// Integers beyond 64 bits arrive saturated; do not print the saturated value.
fn shown(value: i64) -> String {
    if value == i64::MAX || value == i64::MIN { "a number beyond 64 bits".to_owned() } else { value.to_string() }
}

fn in_range(object: &Object<'_>, key: &str, value: i64, min: i64, max: i64, help: &str, diagnostics: &mut Diagnostics) -> Option<u32> {
    if (min..=max).contains(&value) {
        return u32::try_from(value).ok();
    }
    diagnostics.push(
        Diagnostic::new(Code::OutOfRange, &object.origin(key), format!("`{key}` is {}, outside {min}..={max}", shown(value)))
            .with_label(if value < min { "too small" } else { "too large" })
            .with_help(help),
    );
    None
}

fn enum_values(object: &Object<'_>, has_values: bool, diagnostics: &mut Diagnostics) -> Option<Vec<String>> {
    let origin = object.origin("values");
    let problem = |message: &str, label: &str, help: &str| {
        Diagnostic::new(Code::EnumValues, &origin, message.to_owned()).with_label(label.to_owned()).with_help(help.to_owned())
    };
    let Some(value) = object.get("values").filter(|_| has_values) else {
        diagnostics.push(
            Diagnostic::new(Code::EnumValues, &object.origin("type"), "`Enum` without `values`")
                .with_label("no `values`")
                .with_help("add `\"values\": [\"…\", \"…\"]` with the allowed values"),
        );
        return None;
    };
    let elements = match &value.kind {
        ValueKind::Null => {
            diagnostics.push(problem("enum `values` is null", "null", "list the allowed values: `\"values\": [\"a\", \"b\"]`"));
            return None;
        }
        ValueKind::Array(elements) if elements.is_empty() => {
            diagnostics.push(problem("enum `values` is empty", "empty list", "list at least one allowed value"));
            return None;
        }
        ValueKind::Array(elements) => elements,
        _ => {
            object.wrong_type("values", value, "an array of strings", "write `\"values\": [\"a\", \"b\"]`".to_owned(), diagnostics);
            return None;
        }
    };
    let mut values: Vec<String> = Vec::with_capacity(elements.len());
    let mut first_positions: BTreeMap<&str, usize> = BTreeMap::new();
    let mut folded_positions: BTreeMap<String, usize> = BTreeMap::new();
    let mut ok = true;
    for (idx, element) in elements.iter().enumerate() {
        let origin = Origin::new(object.pointer.key("values").index(idx), element.span);
        let ValueKind::String(text) = &element.kind else {
            diagnostics.push(
                Diagnostic::new(Code::WrongType, &origin, format!("enum value must be a string, found {}", element.kind.describe()))
                    .with_label("expected a string")
                    .with_help("enum values are strings in double quotes"),
            );
            ok = false;
            continue;
        };
        // MariaDB compares enum values ignoring case and trailing spaces.
        let mariadb_key = text.trim_end_matches(' ').to_lowercase();
        let issue = if text.is_empty() {
            Some(("enum value is empty".to_owned(), "give the value at least one character".to_owned()))
        } else if text.contains(char::is_control) {
            Some(("enum value contains a control character".to_owned(), "remove it; enum values are printable text".to_owned()))
        } else if text.ends_with(' ') {
            Some(("enum value ends with a space".to_owned(), "remove the trailing space; MariaDB drops it and would then not recognise the value".to_owned()))
        } else if text.len() > 63 {
            Some((
                format!("enum value is {} bytes long, over 63", text.len()),
                "shorten the value to at most 63 bytes (PostgreSQL's limit for enum labels)".to_owned(),
            ))
        } else {
            let first = *first_positions.entry(text.as_ref()).or_insert(idx);
            let folded = *folded_positions.entry(mariadb_key).or_insert(idx);
            if first != idx {
                Some((format!("enum value `{text}` is listed twice"), format!("remove the repetition (first at position {})", first + 1)))
            } else if folded != idx {
                Some((
                    format!("enum value `{text}` differs from value {} only in case", folded + 1),
                    "MariaDB compares enum values ignoring case; rename one of them".to_owned(),
                ))
            } else {
                None
            }
        };
        if let Some((message, help)) = issue {
            diagnostics.push(Diagnostic::new(Code::EnumValues, &origin, message).with_label("invalid enum value").with_help(help));
            ok = false;
        }
        values.push(text.to_string());
    }
    ok.then_some(values)
}

fn lower_target(object: &Object<'_>, diagnostics: &mut Diagnostics) -> Option<TargetDecl> {
    let no_target = |origin: &Origin, message: &str, label: &str| {
        Diagnostic::new(Code::FkNoTarget, origin, message.to_owned())
            .with_label(label.to_owned())
            .with_help("add `\"target\": \"table.column\"`, e.g. `\"users.id\"`")
    };
    let Some(value) = object.get("target") else {
        diagnostics.push(no_target(&object.origin("type"), "`ForeignKey` without `target`", "no `target`"));
        return None;
    };
    let origin = object.origin("target");
    let text = match &value.kind {
        ValueKind::Null => {
            diagnostics.push(no_target(&origin, "`target` of a foreign key is null", "null"));
            return None;
        }
        ValueKind::String(text) if text.is_empty() => {
            diagnostics.push(no_target(&origin, "`target` of a foreign key is empty", "empty string"));
            return None;
        }
        ValueKind::String(text) => text,
        _ => {
            object.wrong_type("target", value, "a string", "write `\"target\": \"table.column\"`".to_owned(), diagnostics);
            return None;
        }
    };
    match text.split_once('.') {
        Some((table, column)) if !table.is_empty() && !column.is_empty() && !column.contains('.') => {
            Some(TargetDecl { table: table.to_owned(), column: column.to_owned(), origin, on_delete: OnDelete::NoAction, on_delete_origin: None })
        }
        _ => {
            let help = if text.contains('.') {
                "write exactly `table.column`, with one dot and both parts, e.g. `users.id`".to_owned()
            } else {
                format!("name the column too: `{text}.id`")
            };
            diagnostics.push(
                Diagnostic::new(Code::FkTargetFormat, &origin, format!("`{text}` is not a `table.column` target"))
                    .with_label("expected `table.column`")
                    .with_help(help),
            );
            None
        }
    }
}

fn lower_default(object: &Object<'_>, diagnostics: &mut Diagnostics) -> Option<Literal> {
    let value = object.get_non_null("default")?;
    let origin = object.origin("default");
    let literal = match &value.kind {
        ValueKind::Bool(flag) => LiteralValue::Bool(*flag),
        ValueKind::Number(number) => LiteralValue::Number(number.raw().to_owned()),
        ValueKind::String(text) => LiteralValue::String(text.to_string()),
        _ => {
            diagnostics.push(
                Diagnostic::new(Code::DefaultInvalid, &origin, format!("`default` must be a scalar, found {}", value.kind.describe()))
                    .with_label("not a literal")
                    .with_help("a default is a single string, number or boolean"),
            );
            return None;
        }
    };
    Some(Literal { value: literal, origin })
}

fn check_column_name(name: &Text<'_>, diagnostics: &mut Diagnostics) -> bool {
    let value = name.value;
    if value.is_empty() {
        diagnostics.push(super::empty("name", &name.origin));
        return false;
    }
    let problem = if !is_identifier(value) {
        "is not an identifier (`^[A-Za-z_][A-Za-z0-9_]*$`)"
    } else if value.len() > 63 {
        "is longer than 63 characters"
    } else if value.starts_with("__") {
        "starts with `__`, which Python reserves"
    } else {
        return true;
    };
    let suggestion = crate::ir::names::to_snake_case(value);
    let help = if is_identifier(&suggestion) && suggestion.len() <= 63 && !suggestion.starts_with("__") && suggestion != value {
        format!("write `{suggestion}`")
    } else {
        "use letters, digits and `_`, not starting with a digit or `__`, at most 63 characters".to_owned()
    };
    diagnostics.push(Diagnostic::new(Code::BadColumnName, &name.origin, format!("the name {problem}")).with_label("not a valid column name").with_help(help));
    true
}

/// An unknown column type, with the format's name for common SQL and ORM spellings.
fn bad_type(type_name: &Text<'_>) -> Diagnostic {
    let lowered = type_name.value.trim().to_ascii_lowercase();
    let base = lowered.split(['(', ' ']).next().unwrap_or("");
    let alias = match base {
        "varchar" | "char" | "character" | "nvarchar" | "str" | "string" | "citext" => Some(("String", "")),
        "uuid" => Some(("String", " with `\"length\": 36`")),
        "int" | "integer" | "int4" | "int32" | "bigint" | "int8" | "smallint" | "biginteger" | "smallinteger" | "serial" | "bigserial" | "long" | "tinyint" => {
            Some(("Integer", ""))
        }
        "bool" | "boolean" => Some(("Boolean", "")),
        "timestamp" | "timestamptz" | "datetime" | "instant" => Some(("DateTime", "")),
        "date" => Some(("Date", "")),
        "time" => Some(("Time", "")),
        "decimal" | "numeric" | "money" | "number" => Some(("Numeric", "")),
        "float" | "double" | "real" | "float8" | "float4" => Some(("Float", "")),
        "text" | "longtext" | "clob" | "json" | "jsonb" => Some(("Text", "")),
        "enum" => Some(("Enum", "")),
        "fk" | "foreign_key" | "foreignkey" | "reference" | "references" | "relation" => Some(("ForeignKey", "")),
        _ => None,
    };
    let help = match alias {
        Some((name, extra)) => format!("use `{name}`{extra}; the types are {}", list(TYPE_NAMES)),
        None => match crate::diagnostics::did_you_mean(type_name.value, TYPE_NAMES.iter().copied()) {
            Some(name) => format!("did you mean `{name}`? the types are {}", list(TYPE_NAMES)),
            None => format!("the types are {}", list(TYPE_NAMES)),
        },
    };
    Diagnostic::new(Code::BadValue, &type_name.origin, format!("`{}` is not a column type", type_name.value)).with_label("unknown type").with_help(help)
}

fn not_for_type(object: &Object<'_>, key: &str, declared_type: &str, help: &str) -> Diagnostic {
    Diagnostic::new(Code::AttrNotForType, &object.origin(key), format!("`{key}` does not apply to `{declared_type}` columns"))
        .with_label(format!("not for `{declared_type}`"))
        .with_help(help.to_owned())
}

fn ignored(object: &Object<'_>, key: &str, why: &str) -> Diagnostic {
    super::ignored(&object.origin(key), key, why)
}

/// Applies what needs the whole column list: option columns (replacing declared ones
/// of the same name), duplicate names and effective autoincrement.
pub(super) fn finish_columns(columns: &mut Vec<ColumnDecl>, options: Options, origins: &OptionOrigins, diagnostics: &mut Diagnostics) {
    let mut added = Vec::new();
    if options.use_timestamps {
        added.push(option_column("created_at", ScalarType::DateTime, false, false, ColumnSource::Timestamps, &origins.timestamps));
        added.push(option_column("updated_at", ScalarType::DateTime, false, false, ColumnSource::Timestamps, &origins.timestamps));
    }
    if options.use_soft_delete {
        added.push(option_column("deleted_at", ScalarType::DateTime, true, false, ColumnSource::SoftDelete, &origins.soft_delete));
        added.push(option_column("is_deleted", ScalarType::Boolean, false, true, ColumnSource::SoftDelete, &origins.soft_delete));
    }
    columns.retain(|declared| {
        let Some(option_column) = added.iter().find(|column| column.name.as_str().eq_ignore_ascii_case(declared.column.name.as_str())) else {
            return true;
        };
        let option = if option_column.source == ColumnSource::Timestamps { "use_timestamps" } else { "use_soft_delete" };
        diagnostics.push(
            Diagnostic::new(Code::MixinColumnShadowed, &declared.column.name_origin, format!("replaced by the column `{option}` adds"))
                .with_label("this declaration is ignored")
                .with_secondary(option_column.origin.span, format!("`{option}` adds `{}`", option_column.name))
                .with_help(format!("remove this column, or turn `{option}` off to keep your own definition")),
        );
        false
    });
    // First declarations by lowercased name, so the check stays linear in the column count.
    let mut first_by_name: BTreeMap<String, &ColumnDecl> = BTreeMap::new();
    for declared in columns.iter() {
        let name = declared.column.name.as_str();
        let first = first_by_name.get(&name.to_ascii_lowercase()).copied();
        first_by_name.entry(name.to_ascii_lowercase()).or_insert(declared);
        if let Some(first) = first {
            let same_case = first.column.name.as_str() == name;
            let message = if same_case { "declared twice".to_owned() } else { format!("declared twice (first as `{}`)", first.column.name) };
            diagnostics.push(
                Diagnostic::new(Code::DuplicateColumn, &declared.column.name_origin, message)
                    .with_label("second declaration")
                    .with_secondary(first.column.name_origin.span, format!("first declared here as `{}`", first.column.name))
                    .with_help(if same_case {
                        "rename or remove one of them"
                    } else {
                        "column names must differ ignoring case (MariaDB compares them so); rename one"
                    }),
            );
        }
    }
    let primary_keys: Vec<usize> = columns.iter().enumerate().filter(|(_, declared)| declared.column.primary_key).map(|(idx, _)| idx).collect();
    for (idx, declared) in columns.iter_mut().enumerate() {
        let is_sole_integer_key = primary_keys == [idx] && declared.target.is_none() && declared.column.ty == ScalarType::Integer;
        let declared_flag = declared.autoincrement.as_ref().map(|(flag, _)| *flag);
        declared.column.autoincrement = is_sole_integer_key && declared_flag != Some(false);
        if let (Some((true, origin)), false) = (&declared.autoincrement, is_sole_integer_key) {
            diagnostics.push(super::ignored(origin, "autoincrement", "only the sole `Integer` primary-key column of a table can autoincrement"));
        }
    }
    columns.extend(added.into_iter().map(|column| ColumnDecl { column, target: None, autoincrement: None }));
}

fn option_column(name: &str, ty: ScalarType, nullable: bool, index: bool, source: ColumnSource, origin: &Origin) -> Column {
    let default = (ty == ScalarType::Boolean).then(|| Literal { value: LiteralValue::Bool(false), origin: origin.clone() });
    Column {
        name: ColumnName::new(name),
        ty,
        foreign_key: None,
        primary_key: false,
        unique: false,
        nullable,
        index,
        write_only: false,
        autoincrement: false,
        default,
        description: None,
        constraints: Constraints::default(),
        source,
        origin: origin.clone(),
        name_origin: origin.clone(),
    }
}
