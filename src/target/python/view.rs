//! View models of the Python target: every decision about the generated code — names,
//! types, imports, defaults, constraint names, layout of long lines — is made here, so
//! the templates only place prepared text.
//!
//! Invariant: everything a template prints is either a [`PyIdent`], a [`PyStr`], or a
//! fragment assembled here from them; raw schema text never reaches a template.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::code::{Arg, Body, Class, Expr, Function, Module, Stmt, Symbol, sa};
use super::layout;
use super::names::{PyIdent, PyStr, SchemaNames, Use, attribute_idents, comment_text, module_ident};
use super::scalar::{self, Facts, SqlType};
use crate::ir::literal::{DefaultValue, interpret};
use crate::ir::{ColumnId, ColumnRef, ColumnSource, OnDelete, RelationKind, ScalarType, Schema, TableId};
use crate::order::BuildOrder;

/// The whole project.
pub struct ProjectView {
    /// The distribution name (`project_name`).
    pub distribution: String,
    /// The API title, for FastAPI.
    pub title: PyStr,
    /// pyproject's `description`, a TOML string (JSON string syntax is valid TOML).
    pub summary: String,
    /// The description as one Markdown paragraph.
    pub readme_description: String,
    /// The README's model section: the Mermaid diagram in a fence (see issue 13).
    pub readme_model: String,
    /// Runtime requirement lines of pyproject.toml, already quoted: the declared
    /// database's driver is one of them.
    pub dependencies: Vec<PyStr>,
    /// The driver extras of pyproject.toml: (extra, quoted requirement).
    pub driver_extras: Vec<(&'static str, PyStr)>,
    pub default_database_url: PyStr,
    /// The file of the default SQLite database, relative to the project (`./library.db`).
    pub default_sqlite_file: String,
    /// The file the tests derive from it (`./library_test.db`).
    pub default_sqlite_test_file: String,
    pub db_type: &'static str,
    /// The declared database as the README, the container files and CI name it.
    pub database: super::project::DatabaseView,
    /// The database (and user) name of the container files.
    pub database_name: String,
    /// The row the README's walk-through creates and reads back.
    pub example_row: Option<super::project::ExampleRow>,
    /// The write-only columns, as `table.column`, for the README.
    pub write_only_columns: Vec<String>,
    pub models: Vec<ModelView>,
    /// The schemas and router of every table, in module order.
    pub apis: Vec<super::api::ApiView>,
    /// `tests/factories.py`: the factories of every table, in module order.
    pub(super) factories: String,
    /// The test modules, in module order.
    pub tests: Vec<super::tests::TestModuleView>,
    /// `from app.routes import a, b`, laid out.
    pub routes_import: String,
    /// Constraint names and what their violation means, sorted by name.
    pub constraint_messages: Vec<(PyStr, PyStr)>,
    /// The client-set unique keys of each soft-delete table, as laid-out dict entries.
    pub soft_delete_keys: Vec<String>,
    pub migration: MigrationView,
}

/// One model module (`app/models/<module>.py`).
pub struct ModelView {
    pub module: PyIdent,
    pub class_name: String,
    /// `from app.models.<module> import <Class>`, laid out, for `app/models/__init__.py`.
    pub import_line: String,
    pub table_name: PyStr,
    /// The table's description as the module docstring.
    pub module_docstring: Option<String>,
    /// The import block after `from __future__ import annotations`.
    pub(super) imports: String,
    /// The model class, printed from its code nodes.
    pub(super) body: String,
}

/// The initial Alembic revision.
pub struct MigrationView {
    pub(super) imports: String,
    /// `upgrade()`, tables created in build order, and `downgrade()`, in teardown order,
    /// printed from their code nodes.
    pub(super) functions: String,
}

impl ProjectView {
    pub fn new(schema: &Schema, order: &BuildOrder) -> Self {
        let modules = module_names(schema);
        let schema_names = schema_names(schema);
        let attributes: Vec<Vec<PyIdent>> = schema.tables().map(|(table_id, _)| table_attributes(schema, table_id, &schema_names)).collect();
        let enums = enum_names(schema);
        let spilled = spilled_strings(schema);
        let py = PySchema { schema, enum_types: &enums, modules: &modules, attributes: &attributes, spilled: &spilled };
        let models = order.tables.iter().map(|&table_id| model(&py, order, table_id)).collect::<Vec<_>>();
        let mut models = models;
        models.sort_by(|a, b| a.module.cmp(&b.module));
        let mut apis: Vec<super::api::ApiView> = schema.tables().map(|(table_id, _)| super::api::api(&py, table_id)).collect();
        apis.sort_by(|a, b| a.module.cmp(&b.module));
        let constraint_messages = super::api::constraint_messages(&py);
        let mut factories: Vec<super::tests::Factory> = order.tables.iter().map(|&table_id| super::tests::factory(&py, table_id)).collect();
        factories.sort_by(|a, b| a.function.cmp(&b.function));
        let factories = Module::new(Body(factories.into_iter().flat_map(|factory| factory.definitions).collect())).to_string();
        let mut tests: Vec<super::tests::TestModuleView> = schema.tables().map(|(table_id, _)| super::tests::test_module(&py, table_id)).collect();
        tests.sort_by(|a, b| a.module.cmp(&b.module));
        let database = super::project::DatabaseView::new(schema.db_type, &super::project::database_name(&schema.project_name));
        let driver = super::project::DRIVER_EXTRAS.iter().find(|(extra, _)| Some(*extra) == database.extra).map(|(_, requirement)| *requirement);
        let mut dependencies: Vec<PyStr> =
            ["alembic>=1.13", "fastapi>=0.110", "pydantic>=2.6", "pydantic-settings>=2.2", "sqlalchemy>=2.0.29", "uvicorn>=0.29"]
                .into_iter()
                .map(PyStr::new)
                .collect();
        dependencies.extend(driver.map(PyStr::new));
        dependencies.sort();
        let default_sqlite_file = format!("./{}.db", schema.project_name.replace('-', "_"));
        let description = schema.description.as_deref().map(comment_text).unwrap_or_default();
        Self {
            distribution: schema.project_name.clone(),
            title: PyStr::new(schema.project_name.as_str()),
            // A TOML basic string has JSON's escapes, so JSON encoding is a safe TOML literal.
            summary: toml_string(&description),
            readme_description: markdown_text(&description),
            readme_model: readme_model(schema),
            dependencies,
            driver_extras: super::project::DRIVER_EXTRAS.iter().map(|(extra, requirement)| (*extra, PyStr::new(*requirement))).collect(),
            default_database_url: PyStr::new(format!("sqlite:///{default_sqlite_file}")),
            default_sqlite_test_file: format!("./{}_test.db", schema.project_name.replace('-', "_")),
            default_sqlite_file,
            db_type: schema.db_type.as_str(),
            database,
            database_name: super::project::database_name(&schema.project_name),
            example_row: super::project::example_row(schema, order),
            write_only_columns: schema
                .tables
                .iter()
                .flat_map(|table| table.columns.iter().filter(|column| column.write_only).map(move |column| format!("`{}.{}`", table.name, column.name)))
                .collect(),
            models,
            routes_import: layout::import("app.routes", &apis.iter().map(|api| api.module.as_str()).collect::<Vec<_>>()),
            apis,
            factories,
            tests,
            constraint_messages,
            soft_delete_keys: super::api::soft_delete_keys(&py),
            migration: migration(&py, order),
        }
    }
}

/// The schema as the Python target sees it, shared by every view: the schema with the
/// Python module of each table, the attribute identifier of each column and
/// relationship, the enum type names and the strings MariaDB stores as TEXT.
pub(super) struct PySchema<'a> {
    pub(super) schema: &'a Schema,
    /// The type name of every enumeration, by its (non-foreign-key) column.
    pub(super) enum_types: &'a BTreeMap<ColumnRef, String>,
    pub(super) modules: &'a [PyIdent],
    /// Per table: column attributes, then relationship attributes, in that order.
    pub(super) attributes: &'a [Vec<PyIdent>],
    /// The `String` columns that MariaDB stores as TEXT (see [`spilled_strings`]).
    pub(super) spilled: &'a BTreeSet<ColumnRef>,
}

impl PySchema<'_> {
    pub(super) fn column_attr(&self, table: TableId, column: usize) -> &PyIdent {
        &self.attributes[table.0][column]
    }

    pub(super) fn relation_attr(&self, table: TableId, name: &str) -> Option<&PyIdent> {
        let columns = self.schema.table(table).columns.len();
        self.schema.relations_of(table).position(|relation| relation.name.as_str() == name).map(|idx| &self.attributes[table.0][columns + idx])
    }
}

fn module_names(schema: &Schema) -> Vec<PyIdent> {
    schema.tables.iter().map(|table| module_ident(table.name.as_str())).collect()
}

fn table_attributes(schema: &Schema, table_id: TableId, schema_names: &SchemaNames) -> Vec<PyIdent> {
    let table = schema.table(table_id);
    let columns = table.columns.iter().map(|column| (column.name.as_str(), if column.primary_key { Use::Parameter } else { Use::Attribute }));
    let relations = schema.relations_of(table_id).map(|relation| (relation.name.as_str(), Use::Attribute));
    attribute_idents(columns.chain(relations), schema_names)
}

/// The Python names the schema brings into generated modules: every model class, the
/// schema classes derived from it (`PostCreate`, …) and its enum aliases (`PostStatus`).
fn schema_names(schema: &Schema) -> SchemaNames {
    let mut names = Vec::new();
    for table in &schema.tables {
        let class = table.class_name.as_str();
        names.push(class.to_owned());
        names.extend(super::SCHEMA_SUFFIXES.iter().map(|suffix| format!("{class}{suffix}")));
        // An alias is named for its column's attribute, which only gains underscores,
        // and PascalCase drops them.
        names.extend(table.columns.iter().filter(|column| matches!(column.ty, ScalarType::Enum { .. })).map(|column| enum_alias(class, column.name.as_str())));
    }
    SchemaNames::new(names)
}

/// The module-level `Literal[…]` alias of an enum column (`PostStatus`).
pub(super) fn enum_alias(class: &str, attribute: &str) -> String {
    format!("{class}{}", crate::ir::names::to_pascal_case(attribute))
}

fn model(py: &PySchema<'_>, order: &BuildOrder, table_id: TableId) -> ModelView {
    let schema = py.schema;
    let table = schema.table(table_id);
    let orm = || Symbol::name("sqlalchemy", "orm");
    let mut body = vec![Stmt::assign("__tablename__", Expr::str(table.name.as_str())), Stmt::Blank];
    for (column_idx, column) in table.columns.iter().enumerate() {
        let attr = py.column_attr(table_id, column_idx);
        let model_type = scalar::row(&column.ty, Facts::default()).model.expr().unwrap_or_else(|| Expr::name("str"));
        let definition = ColumnDef::of(py, order, ColumnRef { table: table_id, column: ColumnId(column_idx) });
        let annotation = orm().attr("Mapped").index(vec![model_type.or_none(column.nullable)]);
        body.push(Stmt::annotated(attr.to_string(), annotation, Some(orm().attr("mapped_column").call(definition.mapped_column_args()))));
    }
    for relation in schema.relations_of(table_id) {
        let Some(attr) = py.relation_attr(table_id, relation.name.as_str()) else { continue };
        let target = schema.table(relation.target);
        let class_name = target.class_name.as_str();
        // The classes the relationships name are for annotations only: imported under
        // TYPE_CHECKING, as the models import one another.
        let class = if relation.target == table_id {
            Expr::name(class_name.to_owned())
        } else {
            Symbol::annotation(format!("app.models.{}", py.modules[relation.target.0]), class_name.to_owned())
        };
        let back = py.relation_attr(relation.target, relation.back_populates.as_str()).map_or_else(|| relation.back_populates.to_string(), ToString::to_string);
        let mut args = vec![Arg::kw("back_populates", Expr::str(&back))];
        let annotation = match relation.kind {
            RelationKind::ManyToOne => class.or_none(relation.foreign_key.is_some_and(|key| schema.column(key).nullable)),
            RelationKind::OneToMany | RelationKind::ManyToMany => Expr::name("list").index(vec![class]),
        };
        if let Some(key) = relation.foreign_key {
            let owner_class = schema.table(key.table).class_name.as_str();
            let key_attr = py.column_attr(key.table, key.column.0);
            args.push(Arg::kw("foreign_keys", Expr::str(&format!("[{owner_class}.{key_attr}]"))));
            if relation.kind == RelationKind::ManyToOne && relation.target == table_id {
                let remote =
                    schema.column(key).foreign_key.as_ref().map(|fk| py.column_attr(fk.target.table, fk.target.column.0).to_string()).unwrap_or_default();
                args.push(Arg::kw("remote_side", Expr::str(&format!("[{class_name}.{remote}]"))));
            }
        }
        // The database applies ON DELETE; the ORM must not null out children itself
        // (which would bypass RESTRICT).
        if relation.kind == RelationKind::OneToMany {
            args.push(Arg::kw("passive_deletes", Expr::str("all")));
        }
        if let Some(association) = relation.association {
            args.push(Arg::kw("secondary", Expr::str(schema.table(association.table).name.as_str())));
            // Read only: the link routes write the association rows through their own
            // model, so the database's ON DELETE applies to them as to any row.
            args.push(Arg::kw("viewonly", Expr::bool(true)));
        }
        body.push(Stmt::annotated(attr.to_string(), orm().attr("Mapped").index(vec![annotation]), Some(orm().attr("relationship").call(args))));
    }
    let class = Class {
        name: table.class_name.to_string().into(),
        bases: vec![Symbol::name("app.db", "Base")],
        docstring: Some(table.description.as_deref().map_or_else(|| format!("A row of `{}`.", table.name), |text| docstring(text, 4))),
        body,
    };
    let body = Body(vec![Stmt::Class(class)]);
    ModelView {
        module: py.modules[table_id.0].clone(),
        class_name: table.class_name.to_string(),
        import_line: layout::import(&format!("app.models.{}", py.modules[table_id.0]), &[table.class_name.as_str()]),
        table_name: PyStr::new(table.name.as_str()),
        module_docstring: table.description.as_deref().map(|text| docstring(text, 0)),
        imports: body.imports().to_string(),
        body: body.to_string(),
    }
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(text: &str) -> String {
    let mut out = String::from('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The largest diagram GitHub's Mermaid draws (its `maxTextSize`).
const MERMAID_MAX_CHARS: usize = 50_000;

/// The README's `## Model` section: the Mermaid ER diagram, which GitHub renders, or a
/// pointer to `backbone diagram` when the diagram is too large for Mermaid to draw.
fn readme_model(schema: &Schema) -> String {
    let diagram = crate::diagram::render(schema, crate::diagram::DiagramFormat::Mermaid);
    if diagram.chars().count() > MERMAID_MAX_CHARS {
        return format!(
            "## Model\n\nThe model has {} tables, too many for a Mermaid diagram; draw it with\n`backbone diagram SCHEMA --format svg -o model.svg`.\n",
            schema.tables.len()
        );
    }
    format!("## Model\n\n```mermaid\n{diagram}```\n")
}

/// Text safe inside a Markdown paragraph: no HTML, no line structure.
fn markdown_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// A docstring body that cannot end the docstring or escape from it, wrapped to fit
/// at `indent`: one line, or a summary line and the rest, closed on its own line.
fn docstring(text: &str, indent: usize) -> String {
    let single_line = comment_text(text);
    let escaped = single_line.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    let escaped = if escaped.ends_with('"') { format!("{escaped} ") } else { escaped };
    let width = layout::LINE_LENGTH - indent;
    if escaped.chars().count() + 6 <= width {
        return escaped;
    }
    let pad = " ".repeat(indent);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in escaped.split(' ') {
        let limit = if lines.is_empty() { width - 3 } else { width };
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > limit {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    let rest: Vec<String> = lines[1..].iter().map(|line| format!("{pad}{line}")).collect();
    // A one-line docstring keeps its closing quotes on its line, as ruff formats it.
    if rest.is_empty() { lines[0].clone() } else { format!("{}\n{}\n{pad}", lines[0], rest.join("\n")) }
}

/// The SQLAlchemy type expression of a column.
fn sql_type(py: &PySchema<'_>, column: ColumnRef, ty: &ScalarType) -> Expr {
    let facts = Facts { spilled: py.spilled.contains(&column), distinct: false };
    let sql = scalar::row(ty, facts).sql;
    let SqlType::Enum(values) = sql else { return sql.expr().unwrap_or_else(|| Expr::name("str")) };
    let mut args: Vec<Arg> = values.iter().map(|value| Expr::str(value.as_str()).into()).collect();
    let name = py.enum_types.get(&enum_root(py.schema, column)).cloned().unwrap_or_default();
    args.push(Arg::kw("name", Expr::str(&name)));
    args.push(Arg::kw("native_enum", Expr::bool(true)));
    args.push(Arg::kw("create_constraint", Expr::bool(true)));
    args.push(Arg::kw("validate_strings", Expr::bool(true)));
    sa().attr("Enum").call(args)
}

/// The most a MariaDB (InnoDB) row may hold outside BLOB and TEXT columns.
const MARIADB_ROW_BYTES: usize = 65_535;

/// The `String` columns that MariaDB must keep out of the row, as TEXT: a table's
/// VARCHAR columns (four bytes a character in utf8mb4) may not add up to more than
/// 64 KiB. The longest strings that need no index (not a key, unique, indexed or a
/// foreign key) go first, until the rest fits; their length is still enforced by the API.
fn spilled_strings(schema: &Schema) -> BTreeSet<ColumnRef> {
    let mut spilled = BTreeSet::new();
    for (table_id, table) in schema.tables() {
        let bytes = |ty: &ScalarType| scalar::row(ty, Facts::default()).mariadb_row_bytes;
        let mut total: usize = table.columns.iter().map(|column| bytes(&column.ty)).sum();
        let mut candidates: Vec<(usize, ColumnId)> = table
            .columns()
            .filter(|(_, column)| {
                matches!(column.ty, ScalarType::String { .. }) && !column.primary_key && !column.unique && !column.index && column.foreign_key.is_none()
            })
            .map(|(column_id, column)| (bytes(&column.ty), column_id))
            .collect();
        // Longest first; among equals, the first declared.
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.0.cmp(&b.1.0)));
        for (size, column_id) in candidates {
            if total <= MARIADB_ROW_BYTES {
                break;
            }
            total = total - size + 12;
            spilled.insert(ColumnRef { table: table_id, column: column_id });
        }
    }
    spilled
}

/// FORMAT.md §5: each enumeration's type name is `<table>_<column>`, shortened with a
/// hash past 63 characters. A name that another enumeration or a table already has
/// (`a_b.c` and `a.b_c`; PostgreSQL gives every table a type of its name) gets a hash
/// suffix, so every type name is distinct.
fn enum_names(schema: &Schema) -> BTreeMap<ColumnRef, String> {
    let mut taken: BTreeSet<String> = schema.tables.iter().map(|table| table.name.to_string()).collect();
    let mut names = BTreeMap::new();
    for (table_id, table) in schema.tables() {
        for (column_id, column) in table.columns() {
            if column.foreign_key.is_some() || !matches!(column.ty, ScalarType::Enum { .. }) {
                continue;
            }
            let base = constraint_name("", &format!("{}_{}", table.name, column.name));
            let name = if taken.contains(&base) {
                // Identifiers are ASCII, so any byte index is a character boundary.
                format!("{}_{:08x}", &base[..base.len().min(54)], fnv(&format!("{}.{}", table.name, column.name)) & 0xffff_ffff)
            } else {
                base
            };
            taken.insert(name.clone());
            names.insert(ColumnRef { table: table_id, column: column_id }, name);
        }
    }
    names
}

/// The column whose enumeration a foreign-key column shares (the end of its chain).
fn enum_root(schema: &Schema, mut column: ColumnRef) -> ColumnRef {
    let mut steps = 0;
    while let Some(key) = &schema.column(column).foreign_key {
        column = key.target;
        steps += 1;
        // Lowering rejects loops; the bound only guards against a bug.
        if steps > schema.tables.len() * 64 {
            break;
        }
    }
    column
}

/// FNV-1a: stable across platforms and releases, unlike the standard hasher.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// `prefix_body`, or a shortened name with a stable hash when over PostgreSQL's 63 bytes.
pub fn constraint_name(prefix: &str, body: &str) -> String {
    let name = if prefix.is_empty() { body.to_owned() } else { format!("{prefix}_{body}") };
    if name.len() <= 63 {
        return name;
    }
    let hash = fnv(&name);
    let mut cut = 54;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:08x}", &name[..cut], hash & 0xffff_ffff)
}

/// The Python-side and server defaults of a column.
pub(super) fn defaults(column: &crate::ir::Column) -> Defaults {
    let utcnow = || Symbol::name("app.db", "utcnow");
    let now = || sa().attr("func").attr("now").call(vec![]);
    let text = |sql: String| sa().attr("text").call(vec![Expr::str(&sql).into()]);
    match column.source {
        ColumnSource::Timestamps => {
            let updated = column.name.as_str() == "updated_at";
            return Defaults { python: Some(utcnow()), server: Some(now()), on_update: updated.then(utcnow) };
        }
        ColumnSource::SoftDelete if column.ty == ScalarType::Boolean => {
            return Defaults { python: Some(Expr::bool(false)), server: Some(sa().attr("false").call(vec![])), on_update: None };
        }
        ColumnSource::SoftDelete => return Defaults::default(),
        ColumnSource::Declared => {}
    }
    let Some(literal) = &column.default else { return Defaults::default() };
    let Ok(value) = interpret(&column.ty, &literal.value) else { return Defaults::default() };
    let datetime = || Symbol::module("datetime");
    let (python, server) = match value {
        DefaultValue::Integer(number) => (Expr::lit(number.to_string()), text(number.to_string())),
        DefaultValue::Text(value) => (Expr::str(&value), Expr::str(&value)),
        DefaultValue::Boolean(flag) => (Expr::bool(flag), sa().attr(if flag { "true" } else { "false" }).call(vec![])),
        DefaultValue::Now => (utcnow(), now()),
        DefaultValue::DateTime(value) => {
            let utc = super::time::utc_components(&value);
            let mut parts: Vec<Arg> = [utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond]
                .iter()
                .map(|part| Expr::lit(part.to_string()).into())
                .collect();
            parts.push(Arg::kw("tzinfo", datetime().attr("UTC")));
            (datetime().attr("datetime").call(parts), Expr::str(&utc.sql()))
        }
        DefaultValue::Date(value) => (datetime().attr("date").attr("fromisoformat").call(vec![Expr::str(&value).into()]), Expr::str(&value)),
        DefaultValue::Time(value) => (datetime().attr("time").attr("fromisoformat").call(vec![Expr::str(&value).into()]), Expr::str(&value)),
        DefaultValue::Decimal(value) => (Symbol::module("decimal").attr("Decimal").call(vec![Expr::str(&value).into()]), text(value)),
        DefaultValue::Float(number) => (Expr::lit(float_literal(number)), text(float_literal(number))),
    };
    Defaults { python: Some(python), server: Some(server), on_update: None }
}

/// The defaults of a column: the Python-side ones the model applies, and the server
/// default that the migration gives the database too.
#[derive(Debug, Default)]
pub(super) struct Defaults {
    /// `default=…`.
    pub(super) python: Option<Expr>,
    /// `server_default=…`.
    pub(super) server: Option<Expr>,
    /// `onupdate=…`.
    pub(super) on_update: Option<Expr>,
}

/// A float as a Python literal that reads back the same value.
fn float_literal(number: f64) -> String {
    let text = format!("{number:?}");
    if text.contains(['.', 'e', 'E', 'n', 'i']) { text } else { format!("{text}.0") }
}

/// One column as both the model and the migration declare it, computed once: the
/// two must create the same column, with the same constraint names.
struct ColumnDef {
    /// The database name.
    name: String,
    sql_type: Expr,
    nullable: bool,
    primary_key: bool,
    /// `autoincrement=` of an `Integer` primary key, stated either way.
    autoincrement: Option<bool>,
    unique: bool,
    index: bool,
    foreign_key: Option<ForeignKeyDef>,
    defaults: Defaults,
    comment: Option<String>,
}

struct ForeignKeyDef {
    /// `table.column`.
    target: String,
    on_delete: Option<&'static str>,
    name: String,
    /// The key closes a cycle: the migration adds it once every table exists.
    deferred: bool,
}

impl ColumnDef {
    fn of(py: &PySchema<'_>, order: &BuildOrder, column_ref: ColumnRef) -> Self {
        let schema = py.schema;
        let table = schema.table(column_ref.table);
        let column = schema.column(column_ref);
        ColumnDef {
            name: column.name.to_string(),
            sql_type: sql_type(py, column_ref, &column.ty),
            nullable: column.nullable,
            primary_key: column.primary_key,
            autoincrement: (column.primary_key && column.ty == ScalarType::Integer).then_some(column.autoincrement),
            unique: column.unique,
            index: column.index,
            foreign_key: column.foreign_key.as_ref().map(|key| ForeignKeyDef {
                target: schema.qualified(key.target),
                on_delete: (key.on_delete != OnDelete::NoAction).then(|| key.on_delete.as_str()),
                name: constraint_name("fk", &format!("{}_{}", table.name, column.name)),
                deferred: order.is_deferred(column_ref),
            }),
            defaults: defaults(column),
            comment: column.description.clone(),
        }
    }

    /// The arguments of the model's `orm.mapped_column(…)`.
    fn mapped_column_args(self) -> Vec<Arg> {
        let mut args: Vec<Arg> = vec![Expr::str(&self.name).into(), self.sql_type.into()];
        if let Some(key) = self.foreign_key {
            let mut fk_args: Vec<Arg> = vec![Expr::str(&key.target).into()];
            if let Some(action) = key.on_delete {
                fk_args.push(Arg::kw("ondelete", Expr::str(action)));
            }
            if key.deferred {
                fk_args.push(Arg::kw("use_alter", Expr::bool(true)));
            }
            // Named as in the migration, so both create and drop the same constraint.
            fk_args.push(Arg::kw("name", Expr::str(&key.name)));
            args.push(sa().attr("ForeignKey").call(fk_args).into());
        }
        if self.primary_key {
            args.push(Arg::kw("primary_key", Expr::bool(true)));
        }
        args.extend(self.autoincrement.map(|flag| Arg::kw("autoincrement", Expr::bool(flag))));
        args.push(Arg::kw("nullable", Expr::bool(self.nullable)));
        if self.unique {
            args.push(Arg::kw("unique", Expr::bool(true)));
        }
        if self.index {
            args.push(Arg::kw("index", Expr::bool(true)));
        }
        args.extend(self.defaults.python.map(|value| Arg::kw("default", value)));
        args.extend(self.defaults.server.map(|value| Arg::kw("server_default", value)));
        args.extend(self.defaults.on_update.map(|value| Arg::kw("onupdate", value)));
        args.extend(self.comment.map(|comment| Arg::kw("comment", Expr::str(&comment))));
        args
    }

    /// The arguments of the migration's `sa.Column(…)`: constraints are the table's, and
    /// only the server default goes to the database.
    fn column_args(&self) -> Vec<Arg> {
        let mut args: Vec<Arg> = vec![Expr::str(&self.name).into(), self.sql_type.clone().into()];
        args.push(Arg::kw("nullable", Expr::bool(self.nullable)));
        args.extend(self.autoincrement.map(|flag| Arg::kw("autoincrement", Expr::bool(flag))));
        args.extend(self.defaults.server.clone().map(|value| Arg::kw("server_default", value)));
        args.extend(self.comment.as_ref().map(|comment| Arg::kw("comment", Expr::str(comment))));
        args
    }
}

/// `["a", "b"]`: a list of column names.
fn names_list<'a>(names: impl IntoIterator<Item = &'a str>) -> Expr {
    Expr::List(names.into_iter().map(Expr::str).collect())
}

fn migration(py: &PySchema<'_>, order: &BuildOrder) -> MigrationView {
    let schema = py.schema;
    let op = || Symbol::name("alembic", "op");
    let mut upgrade = Vec::new();
    let mut downgrade = Vec::new();
    let mut enum_types = Vec::new();
    for &table_id in &order.tables {
        let table = schema.table(table_id);
        let table_name = table.name.as_str();
        let mut args: Vec<Arg> = vec![Expr::str(table_name).into()];
        let mut indexes = Vec::new();
        let mut constraints: Vec<Arg> = Vec::new();
        for (column_idx, column) in table.columns.iter().enumerate() {
            let column_ref = ColumnRef { table: table_id, column: ColumnId(column_idx) };
            let definition = ColumnDef::of(py, order, column_ref);
            // A foreign key to an enum shares its target's type, created with the target.
            if let ScalarType::Enum { .. } = column.ty
                && column.foreign_key.is_none()
            {
                enum_types.push(py.enum_types.get(&column_ref).cloned().unwrap_or_default());
            }
            args.push(sa().attr("Column").call(definition.column_args()).into());
            if let Some(key) = &definition.foreign_key
                // A key that closes a cycle is added once every table exists.
                && !key.deferred
            {
                let mut fk_args: Vec<Arg> =
                    vec![names_list([definition.name.as_str()]).into(), names_list([key.target.as_str()]).into(), Arg::kw("name", Expr::str(&key.name))];
                if let Some(action) = key.on_delete {
                    fk_args.push(Arg::kw("ondelete", Expr::str(action)));
                }
                constraints.push(sa().attr("ForeignKeyConstraint").call(fk_args).into());
            }
            if column.unique {
                let name = constraint_name("uq", &format!("{table_name}_{}", column.name));
                constraints.push(sa().attr("UniqueConstraint").call(vec![Expr::str(column.name.as_str()).into(), Arg::kw("name", Expr::str(&name))]).into());
            }
            if column.index {
                let index_name = constraint_name("ix", &format!("{table_name}_{}", column.name));
                let args = vec![Expr::str(&index_name).into(), Expr::str(table_name).into(), names_list([column.name.as_str()]).into()];
                indexes.push(Stmt::Expr(op().attr("create_index").call(args)));
            }
        }
        let mut key_args: Vec<Arg> = table.primary_key().map(|(_, column)| Expr::str(column.name.as_str()).into()).collect();
        key_args.push(Arg::kw("name", Expr::str(&constraint_name("pk", table_name))));
        constraints.insert(0, sa().attr("PrimaryKeyConstraint").call(key_args).into());
        args.extend(constraints);
        args.push(Arg::Unpack(Expr::name("TABLE_OPTIONS")));
        upgrade.push(Stmt::Expr(op().attr("create_table").call(args)));
        upgrade.extend(indexes);
        downgrade.insert(0, Stmt::Expr(op().attr("drop_table").call(vec![Expr::str(table_name).into()])));
    }
    for column_ref in &order.deferred {
        let table = schema.table(column_ref.table);
        let column = schema.column(*column_ref);
        let Some(key) = &column.foreign_key else { continue };
        let name = constraint_name("fk", &format!("{}_{}", table.name, column.name));
        let mut args: Vec<Arg> = vec![
            Expr::str(&name).into(),
            Expr::str(schema.table(key.target.table).name.as_str()).into(),
            names_list([column.name.as_str()]).into(),
            names_list([schema.column(key.target).name.as_str()]).into(),
        ];
        if key.on_delete != OnDelete::NoAction {
            args.push(Arg::kw("ondelete", Expr::str(key.on_delete.as_str())));
        }
        // Batch mode: a plain ALTER where the database has one, a table copy on SQLite,
        // which cannot add a foreign key to an existing table.
        let batch = || op().attr("batch_alter_table").call(vec![Expr::str(table.name.as_str()).into()]);
        let create = Stmt::Expr(Expr::name("batch").attr("create_foreign_key").call(args));
        upgrade.push(Stmt::With { item: batch(), target: "batch".into(), body: vec![create] });
        let drop = Expr::name("batch").attr("drop_constraint").call(vec![Expr::str(&name).into(), Arg::kw("type_", Expr::str("foreignkey"))]);
        downgrade.insert(0, Stmt::With { item: batch(), target: "batch".into(), body: vec![Stmt::Expr(drop)] });
    }
    if !enum_types.is_empty() {
        // Dropping a table leaves its PostgreSQL enum types behind.
        let dialect = op().attr("get_context").call(vec![]).attr("dialect").attr("name");
        downgrade.insert(0, Stmt::assign("on_postgresql", dialect.binary("==", Expr::str("postgresql"))));
        let drops = enum_types
            .iter()
            .map(|name| {
                let enum_type = Symbol::name("sqlalchemy.dialects", "postgresql").attr("ENUM").call(vec![Arg::kw("name", Expr::str(name))]);
                Stmt::Expr(enum_type.attr("drop").call(vec![op().attr("get_bind").call(vec![]).into(), Arg::kw("checkfirst", Expr::bool(true))]))
            })
            .collect();
        downgrade.push(Stmt::If { test: Expr::name("on_postgresql"), body: drops });
    }
    let functions = Body(vec![
        Stmt::Def(Function::new("upgrade", Vec::new(), Expr::name("None")).body(upgrade)),
        Stmt::Def(Function::new("downgrade", Vec::new(), Expr::name("None")).body(downgrade)),
    ]);
    let imports = functions.imports().with(|imports| {
        // The revision's fixed header: its identifiers' annotations and TABLE_OPTIONS.
        imports.name("collections.abc", "Sequence").name("typing", "Any");
    });
    MigrationView { imports: imports.to_string(), functions: functions.to_string() }
}
