//! The typed model of a document: tables, columns with resolved types, foreign keys
//! resolved to ids, and relationship attributes paired by docs/format.md §4.
//!
//! Invariants: ids always point into the same [`Schema`]; every foreign key's `ty` is its
//! target's resolved type; a document with errors may yield a partial schema (the parts
//! that were rejected are left out), which is never rendered.

pub mod literal;
pub mod lower;
pub mod names;
pub mod samples;

pub use names::{AttributeName, ClassName, ColumnName, TableName};

use std::collections::BTreeMap;

use crate::source::Origin;

/// The whole resolved document.
#[derive(Debug, Clone)]
pub struct Schema {
    pub project_name: String,
    pub db_type: DbType,
    pub description: Option<String>,
    /// Tables in declaration order; [`TableId`] indexes this.
    pub tables: Vec<Table>,
    /// Every relationship attribute of every class, declared or synthesized.
    pub relations: Vec<Relation>,
    pub origin: Origin,
    /// The first table of each name, for lookups in logarithmic time.
    table_index: BTreeMap<String, TableId>,
    /// Per table, the indexes into `relations` of the attributes it owns and of those
    /// that target it, so per-table lookups do not scan every relation (which made
    /// generation quadratic in the number of tables).
    relations_by_owner: Vec<Vec<usize>>,
    relations_by_target: Vec<Vec<usize>>,
}

/// Index of a table in [`Schema::tables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub usize);

/// Index of a column in [`Table::columns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnId(pub usize);

/// A column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnRef {
    pub table: TableId,
    pub column: ColumnId,
}

/// The database the document names; it picks the default driver, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbType {
    Postgresql,
    Mysql,
    Sqlite,
    Mssql,
}

impl DbType {
    pub const NAMES: [&'static str; 4] = ["postgresql", "mysql", "sqlite", "mssql"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "postgresql" => Some(Self::Postgresql),
            "mysql" => Some(Self::Mysql),
            "sqlite" => Some(Self::Sqlite),
            "mssql" => Some(Self::Mssql),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgresql => "postgresql",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
            Self::Mssql => "mssql",
        }
    }
}

/// One table with its columns (declared ones first, then those its options add).
#[derive(Debug, Clone)]
pub struct Table {
    pub name: TableName,
    pub class_name: ClassName,
    pub description: Option<String>,
    pub options: Options,
    pub columns: Vec<Column>,
    /// The whole table object.
    pub origin: Origin,
    /// The table's `table_name` value.
    pub name_origin: Origin,
    /// True when some of the table's columns or relationships were rejected, so rules
    /// that reason about what is absent (no primary key, no foreign key) stay silent.
    pub incomplete: bool,
}

impl Table {
    /// The primary-key columns in declaration order.
    pub fn primary_key(&self) -> impl Iterator<Item = (ColumnId, &Column)> {
        self.columns().filter(|(_, column)| column.primary_key)
    }

    pub fn columns(&self) -> impl Iterator<Item = (ColumnId, &Column)> {
        self.columns.iter().enumerate().map(|(idx, column)| (ColumnId(idx), column))
    }

    /// The first column named `name` exactly.
    pub fn column_named(&self, name: &str) -> Option<ColumnId> {
        self.columns.iter().position(|column| column.name.as_str() == name).map(ColumnId)
    }

    pub fn column(&self, id: ColumnId) -> &Column {
        &self.columns[id.0]
    }
}

/// The table options of docs/format.md §3.3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub use_timestamps: bool,
    pub use_soft_delete: bool,
}

/// Where a column comes from: the document, or one of the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnSource {
    Declared,
    /// `created_at` or `updated_at`, added by `use_timestamps`.
    Timestamps,
    /// `deleted_at` or `is_deleted`, added by `use_soft_delete`.
    SoftDelete,
}

/// A column with its effective values (docs/format.md §5).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: ColumnName,
    /// The resolved type; for a foreign key, its target's.
    pub ty: ScalarType,
    pub foreign_key: Option<ForeignKey>,
    pub primary_key: bool,
    pub unique: bool,
    /// Effective nullability: as declared, else false for key columns, true otherwise.
    pub nullable: bool,
    pub index: bool,
    /// Accepted on create and update, never read back, filtered or sorted on (a
    /// password hash); never a key, nor the target of one.
    pub write_only: bool,
    /// Effective autoincrement: the sole `Integer` primary key unless declared false.
    pub autoincrement: bool,
    /// The `default` literal as written; see [`literal::interpret`].
    pub default: Option<literal::Literal>,
    pub description: Option<String>,
    /// Validation the API enforces beyond the type; only `--refine` sets it (a schema
    /// document cannot), and it is checked against the column before it is set.
    pub constraints: Constraints,
    pub source: ColumnSource,
    /// The whole column object (for an option column: the option).
    pub origin: Origin,
    /// The column's `name` value.
    pub name_origin: Origin,
}

/// Constraints on a column's values, enforced by the generated request schemas. Every
/// field is optional; bounds are decimal text so that they stay exact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    /// Inclusive bounds of a number column.
    pub minimum: Option<String>,
    pub maximum: Option<String>,
    /// A regular expression (Rust `regex` syntax, which Pydantic uses) a string must match.
    pub pattern: Option<String>,
    /// Example values for the API description, each valid for the column.
    pub examples: Vec<Example>,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An example value, typed as its column is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Example {
    Integer(i64),
    /// A decimal or float as written.
    Number(String),
    Text(String),
    Boolean(bool),
}

/// A resolved column type, carrying its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScalarType {
    Integer,
    String { length: u32 },
    Text,
    Boolean,
    DateTime,
    Date,
    Time,
    Numeric { precision: u32, scale: u32 },
    Float,
    Enum { values: Vec<String> },
}

impl ScalarType {
    /// The type's name as the format spells it.
    pub fn name(&self) -> &'static str {
        match self {
            ScalarType::Integer => "Integer",
            ScalarType::String { .. } => "String",
            ScalarType::Text => "Text",
            ScalarType::Boolean => "Boolean",
            ScalarType::DateTime => "DateTime",
            ScalarType::Date => "Date",
            ScalarType::Time => "Time",
            ScalarType::Numeric { .. } => "Numeric",
            ScalarType::Float => "Float",
            ScalarType::Enum { .. } => "Enum",
        }
    }
}

/// A resolved foreign key of a column.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub target: ColumnRef,
    pub on_delete: OnDelete,
    /// Where `target` is written.
    pub target_origin: Origin,
    /// Where `on_delete` is written, when it is.
    pub on_delete_origin: Option<Origin>,
}

/// The `on_delete` action of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    Cascade,
    Restrict,
    SetNull,
    SetDefault,
    NoAction,
}

impl OnDelete {
    pub const NAMES: [&'static str; 5] = ["CASCADE", "RESTRICT", "SET NULL", "SET DEFAULT", "NO ACTION"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "CASCADE" => Some(Self::Cascade),
            "RESTRICT" => Some(Self::Restrict),
            "SET NULL" => Some(Self::SetNull),
            "SET DEFAULT" => Some(Self::SetDefault),
            "NO ACTION" => Some(Self::NoAction),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cascade => "CASCADE",
            Self::Restrict => "RESTRICT",
            Self::SetNull => "SET NULL",
            Self::SetDefault => "SET DEFAULT",
            Self::NoAction => "NO ACTION",
        }
    }
}

/// The kind of a relationship attribute, seen from the class that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// A list of rows of the target whose foreign key points here.
    OneToMany,
    /// One row of the target, through a foreign key of this table.
    ManyToOne,
    /// A list of rows of the target, through an association table.
    ManyToMany,
}

impl RelationKind {
    pub const NAMES: [&'static str; 3] = ["one_to_many", "many_to_one", "many_to_many"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "one_to_many" => Some(Self::OneToMany),
            "many_to_one" => Some(Self::ManyToOne),
            "many_to_many" => Some(Self::ManyToMany),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneToMany => "one_to_many",
            Self::ManyToOne => "many_to_one",
            Self::ManyToMany => "many_to_many",
        }
    }

    /// The kind of the other side of a pair.
    #[must_use]
    pub fn complement(self) -> Self {
        match self {
            Self::OneToMany => Self::ManyToOne,
            Self::ManyToOne => Self::OneToMany,
            Self::ManyToMany => Self::ManyToMany,
        }
    }
}

/// A relationship attribute on a class: `owner.name`, pointing at `target`, whose
/// inverse on the target is `target.back_populates`.
#[derive(Debug, Clone)]
pub struct Relation {
    pub owner: TableId,
    pub name: AttributeName,
    /// Where the name is written: the partner's `back_populates`, the entry's own
    /// `back_populates` for a synthesized inverse, or the entry for a derived name.
    pub name_origin: Origin,
    pub kind: RelationKind,
    pub target: TableId,
    pub back_populates: AttributeName,
    /// The foreign-key column behind a one-to-many or many-to-one attribute (a column
    /// of the owner for many-to-one, of the target for one-to-many).
    pub foreign_key: Option<ColumnRef>,
    /// The association table behind a many-to-many attribute.
    pub association: Option<Association>,
    /// The declaring entry; `None` for an inverse synthesized by docs/format.md §4.5.
    pub declared: Option<Origin>,
    /// A many-to-many attribute whose association rows need values it cannot give.
    pub read_only: bool,
}

/// The association table of a many-to-many attribute and its two foreign keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Association {
    pub table: TableId,
    /// The association's column that points at the attribute's owner.
    pub owner_column: ColumnId,
    /// The association's column that points at the attribute's target.
    pub target_column: ColumnId,
}

impl Schema {
    pub fn table(&self, id: TableId) -> &Table {
        &self.tables[id.0]
    }

    pub fn tables(&self) -> impl Iterator<Item = (TableId, &Table)> {
        self.tables.iter().enumerate().map(|(idx, table)| (TableId(idx), table))
    }

    pub fn column(&self, column: ColumnRef) -> &Column {
        self.table(column.table).column(column.column)
    }

    /// The first table named `name`.
    pub fn table_named(&self, name: &str) -> Option<TableId> {
        self.table_index.get(name).copied()
    }

    /// Sets the tables and indexes them by name (the first of a duplicated name wins).
    pub(crate) fn set_tables(&mut self, tables: Vec<Table>) {
        self.table_index.clear();
        for (idx, table) in tables.iter().enumerate() {
            self.table_index.entry(table.name.as_str().to_owned()).or_insert(TableId(idx));
        }
        self.tables = tables;
    }

    /// Sets the relationship attributes and indexes them by owner and target table.
    pub(crate) fn set_relations(&mut self, relations: Vec<Relation>) {
        self.relations_by_owner = vec![Vec::new(); self.tables.len()];
        self.relations_by_target = vec![Vec::new(); self.tables.len()];
        for (idx, relation) in relations.iter().enumerate() {
            if let Some(owned) = self.relations_by_owner.get_mut(relation.owner.0) {
                owned.push(idx);
            }
            if let Some(targeting) = self.relations_by_target.get_mut(relation.target.0) {
                targeting.push(idx);
            }
        }
        self.relations = relations;
    }

    /// The relationship attributes of `table`, in declaration order.
    pub fn relations_of(&self, table: TableId) -> impl Iterator<Item = &Relation> {
        self.relations_by_owner.get(table.0).into_iter().flatten().map(|&idx| &self.relations[idx])
    }

    /// The relationship attributes of other classes (or of `table` itself) that point at `table`.
    pub fn relations_to(&self, table: TableId) -> impl Iterator<Item = &Relation> {
        self.relations_by_target.get(table.0).into_iter().flatten().map(|&idx| &self.relations[idx])
    }

    /// `table.column`, for messages.
    pub fn qualified(&self, column: ColumnRef) -> String {
        format!("{}.{}", self.table(column.table).name, self.column(column).name)
    }
}
