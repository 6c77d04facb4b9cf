//! The input format as Rust types, for its JSON Schema (`backbone schema`,
//! schemas/backbone.schema.json). Field docs become the schema's descriptions, which
//! editors show on hover.
//!
//! Invariant: these types describe the same keys as lowering reads; a test compares
//! each object's properties with the `*_KEYS` lists of `ir::lower`. Lowering does not
//! use these types: it reads the spanned tree to report every problem with its place.

use schemars::JsonSchema;
use serde::Deserialize;

/// A backbone document: one project and its tables (docs/format.md).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "backbone schema document")]
pub struct Document {
    /// The JSON Schema the document follows, for editors; backbone ignores it.
    #[serde(rename = "$schema")]
    pub json_schema: Option<String>,
    /// The project's name: ASCII letters, digits, `-` and `_`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*$"))]
    pub project_name: String,
    /// The database the generated backend defaults to; it runs on SQLite, PostgreSQL and MariaDB alike.
    pub db_type: DbType,
    /// Free text about the project.
    pub description: Option<String>,
    /// The tables, at least one.
    #[schemars(length(min = 1))]
    pub schema: Vec<Table>,
}

/// The database a project targets.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DbType {
    Postgresql,
    Mysql,
    Sqlite,
    Mssql,
}

/// One table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The table's name: lowercase snake_case, at least one letter, at most 63 characters.
    #[schemars(regex(pattern = r"^[a-z_][a-z0-9_]*[a-z][a-z0-9_]*$|^[a-z][a-z0-9_]*$"), length(min = 1, max = 63))]
    pub table_name: String,
    /// The Python class name: PascalCase, not `None`, `True` or `False`.
    #[schemars(regex(pattern = r"^(?!(None|True|False)$)[A-Z][A-Za-z0-9_]*$"))]
    pub class_name: String,
    /// Free text about the table.
    pub description: Option<String>,
    /// Columns the generator adds. `null` is not allowed.
    #[serde(default)]
    pub options: Options,
    /// The declared columns, at least one.
    #[schemars(length(min = 1))]
    pub columns: Vec<Column>,
    /// Relationship attributes of this table's class. `null` is not allowed.
    #[serde(default)]
    pub relationships: Vec<Relationship>,
}

/// Columns a table's options add.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Adds `created_at` and `updated_at` (DateTime, NOT NULL, set by the backend).
    #[serde(default)]
    pub use_timestamps: Option<bool>,
    /// Adds `deleted_at` and `is_deleted`; deleting a row marks it instead of removing it.
    #[serde(default)]
    pub use_soft_delete: Option<bool>,
}

/// One column.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("allOf" = [
    {"if": {"properties": {"type": {"const": "Enum"}}, "required": ["type"]}, "then": {"required": ["values"]}},
    {"if": {"properties": {"type": {"const": "ForeignKey"}}, "required": ["type"]}, "then": {"required": ["target"]}},
    {"if": {"properties": {"type": {"not": {"const": "String"}}}, "required": ["type"]}, "then": {"properties": {"length": {"type": "null"}}}},
    {"if": {"properties": {"type": {"not": {"const": "Enum"}}}, "required": ["type"]}, "then": {"properties": {"values": {"type": "null"}}}},
    {"if": {"properties": {"type": {"not": {"const": "ForeignKey"}}}, "required": ["type"]}, "then": {"properties": {"target": {"type": "null"}}}}
]))]
pub struct Column {
    /// The column name, also its JSON field name: letters, digits and `_`, not starting with a digit or `__`.
    #[schemars(regex(pattern = r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$"), length(min = 1, max = 63))]
    pub name: String,
    /// The column type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// `String` only: the maximum number of characters (default 255, with a warning).
    #[schemars(range(min = 1, max = 16383))]
    pub length: Option<i64>,
    /// `Numeric` only: total digits (default 18, with a warning).
    #[schemars(range(min = 1, max = 65))]
    pub precision: Option<i64>,
    /// `Numeric` only: digits after the point, at most min(precision, 30); needs `precision`.
    #[schemars(range(min = 0, max = 30))]
    pub scale: Option<i64>,
    /// Part of the primary key. Primary-key columns are NOT NULL.
    pub primary_key: Option<bool>,
    /// Only meaningful on the sole `Integer` primary key, where it defaults to true.
    pub autoincrement: Option<bool>,
    /// Values must be distinct.
    pub unique: Option<bool>,
    /// Whether NULL is allowed: false for primary-key columns, true otherwise. `null` is not allowed.
    #[serde(default)]
    pub nullable: bool,
    /// Create an index on the column.
    pub index: Option<bool>,
    /// Accepted on create and update, never in reads, filters or sorts (a password hash).
    /// Not on a key column, nor on a column a foreign key targets. An extension of
    /// backbone's: BackBone-AI ignores the key.
    pub write_only: Option<bool>,
    /// A literal of the column's type; `"now"` for a DateTime means the insert time.
    pub default: Option<DefaultLiteral>,
    /// `Enum` only: the allowed values, distinct, non-empty, at most 63 bytes each.
    #[schemars(length(min = 1), inner(length(min = 1, max = 63)))]
    pub values: Option<Vec<String>>,
    /// `ForeignKey` only: `table.column`, the primary key or a unique column of that table.
    #[schemars(regex(pattern = r"^[^.]+\.[^.]+$"))]
    pub target: Option<String>,
    /// `ForeignKey` only: what happens to this row when the target row is deleted (default `NO ACTION`).
    pub on_delete: Option<OnDelete>,
    /// Free text about the column.
    pub description: Option<String>,
}

/// The column types.
#[derive(Debug, Deserialize, JsonSchema)]
pub enum ColumnType {
    /// 32-bit signed integer.
    Integer,
    /// Text of at most `length` characters.
    String,
    /// Unbounded text; cannot be a key, unique or indexed.
    Text,
    /// true or false.
    Boolean,
    /// A time-zone-aware instant, stored in UTC.
    DateTime,
    /// A calendar date.
    Date,
    /// A time of day.
    Time,
    /// An exact decimal `(precision, scale)`.
    Numeric,
    /// A double-precision float.
    Float,
    /// One of `values`.
    Enum,
    /// A reference to `target`, with the target column's type.
    ForeignKey,
}

/// A column default: a string, number or boolean literal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DefaultLiteral {
    Text(String),
    Number(f64),
    Boolean(bool),
}

/// A foreign key's `on_delete` action.
#[derive(Debug, Deserialize, JsonSchema)]
pub enum OnDelete {
    #[serde(rename = "CASCADE")]
    Cascade,
    #[serde(rename = "RESTRICT")]
    Restrict,
    #[serde(rename = "SET NULL")]
    SetNull,
    #[serde(rename = "SET DEFAULT")]
    SetDefault,
    #[serde(rename = "NO ACTION")]
    NoAction,
}

/// A relationship attribute of this table's class (docs/format.md §4).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    /// The `table_name` of the related table.
    #[schemars(length(min = 1))]
    pub target_table: String,
    /// The `class_name` of the related table.
    #[schemars(length(min = 1))]
    pub target_class: String,
    /// The relationship's kind, seen from this table.
    #[serde(rename = "type")]
    pub kind: RelationshipType,
    /// The name of the attribute on the TARGET class that points back here.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub back_populates: String,
    /// The foreign-key column behind the relationship, when it cannot be inferred.
    pub foreign_key: Option<String>,
    /// `many_to_many` only: the association table.
    pub secondary: Option<String>,
    /// Free text about the relationship.
    pub description: Option<String>,
}

/// The kinds of relationship.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipType {
    OneToMany,
    ManyToOne,
    ManyToMany,
}

/// The JSON Schema of the input format, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(Document);
    schema.insert("$id".to_owned(), "https://backbone.dev/schemas/backbone.schema.json".into());
    // Serializing a schema value cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
