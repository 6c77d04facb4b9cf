//! Pictures of a valid model (`backbone diagram`): an entity-relationship diagram as
//! Mermaid (which GitHub renders), Graphviz DOT, or an SVG laid out and drawn here.
//!
//! [`Diagram::new`] reads the IR once into what every picture shows: each table with its
//! columns (type, keys, nullability, enum values), each foreign key as a link with its
//! cardinality, and each many-to-many pair with its association table. The renderers
//! only lay out and escape.
//!
//! Invariant: rendering is pure and deterministic (declaration order everywhere), and
//! every name or value from the document reaches the output through the escaper of the
//! output's language.

pub mod dot;
pub mod mermaid;
pub mod svg;

use std::collections::BTreeSet;

use crate::ir::{Column, RelationKind, ScalarType, Schema, TableId};

/// The output languages of `backbone diagram`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagramFormat {
    /// A Mermaid `erDiagram`.
    Mermaid,
    /// A Graphviz `digraph` with one HTML-like table per table.
    Dot,
    /// A standalone SVG image.
    Svg,
}

/// Renders the diagram of a valid schema in `format`.
pub fn render(schema: &Schema, format: DiagramFormat) -> String {
    let diagram = Diagram::new(schema);
    match format {
        DiagramFormat::Mermaid => mermaid::render(&diagram),
        DiagramFormat::Dot => dot::render(&diagram),
        DiagramFormat::Svg => svg::render(&diagram),
    }
}

/// What a picture of the model shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    pub project: String,
    /// Tables in declaration order; [`Link`] and [`ManyToMany`] index this.
    pub entities: Vec<Entity>,
    /// One per foreign-key column, in declaration order.
    pub links: Vec<Link>,
    /// One per many-to-many pair.
    pub many_to_many: Vec<ManyToMany>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub table: String,
    pub class: String,
    pub rows: Vec<Row>,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// The type as the format spells it, with its parameters: `String(120)`, `Numeric(8,2)`.
    pub ty: String,
    pub primary_key: bool,
    pub foreign_key: bool,
    /// Unique on its own (a sole primary key is not counted).
    pub unique: bool,
    pub nullable: bool,
    /// The values of an `Enum` column; empty otherwise.
    pub values: Vec<String>,
}

impl Row {
    /// The key markers, `PK`, `FK`, `UK`, in that order.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.primary_key {
            keys.push("PK");
        }
        if self.foreign_key {
            keys.push("FK");
        }
        if self.unique {
            keys.push("UK");
        }
        keys
    }
}

/// A foreign key: many rows of `child` point at one row of `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub child: usize,
    /// The foreign-key column's index in the child's rows.
    pub child_row: usize,
    pub parent: usize,
    /// The target column's index in the parent's rows.
    pub parent_row: usize,
    /// The child may have no parent (the column is nullable).
    pub optional: bool,
    /// At most one child per parent (the column is unique or the child's sole key).
    pub one_to_one: bool,
    /// The foreign-key column's name.
    pub label: String,
}

/// A many-to-many pair: `left.left_attribute` ↔ `right.right_attribute` through `via`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManyToMany {
    pub left: usize,
    pub right: usize,
    pub via: usize,
    pub left_attribute: String,
    pub right_attribute: String,
}

impl Diagram {
    pub fn new(schema: &Schema) -> Self {
        let entities = schema
            .tables()
            .map(|(_, table)| Entity {
                table: table.name.to_string(),
                class: table.class_name.to_string(),
                rows: rows(&table.columns, table.primary_key().count()),
            })
            .collect();
        let mut links = Vec::new();
        for (table_id, table) in schema.tables() {
            let sole_key = table.primary_key().count() == 1;
            for (column_id, column) in table.columns() {
                let Some(foreign_key) = &column.foreign_key else { continue };
                links.push(Link {
                    child: table_id.0,
                    child_row: column_id.0,
                    parent: foreign_key.target.table.0,
                    parent_row: foreign_key.target.column.0,
                    optional: column.nullable,
                    one_to_one: column.unique || (sole_key && column.primary_key),
                    label: column.name.to_string(),
                });
            }
        }
        Self { project: schema.project_name.clone(), entities, links, many_to_many: many_to_many(schema) }
    }
}

fn rows(columns: &[Column], key_columns: usize) -> Vec<Row> {
    columns
        .iter()
        .map(|column| Row {
            name: column.name.to_string(),
            ty: type_text(&column.ty),
            primary_key: column.primary_key,
            foreign_key: column.foreign_key.is_some(),
            unique: column.unique && !(column.primary_key && key_columns == 1),
            nullable: column.nullable,
            values: match &column.ty {
                ScalarType::Enum { values } => values.clone(),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// A type with its parameters, as the format spells it.
pub fn type_text(ty: &ScalarType) -> String {
    match ty {
        ScalarType::String { length } => format!("String({length})"),
        ScalarType::Numeric { precision, scale } => format!("Numeric({precision},{scale})"),
        other => other.name().to_owned(),
    }
}

/// Each many-to-many pair once, from the side declared first.
fn many_to_many(schema: &Schema) -> Vec<ManyToMany> {
    let mut seen: BTreeSet<(TableId, &str)> = BTreeSet::new();
    let mut pairs = Vec::new();
    for relation in &schema.relations {
        if relation.kind != RelationKind::ManyToMany || seen.contains(&(relation.target, relation.back_populates.as_str())) {
            continue;
        }
        let Some(association) = relation.association else { continue };
        seen.insert((relation.owner, relation.name.as_str()));
        pairs.push(ManyToMany {
            left: relation.owner.0,
            right: relation.target.0,
            via: association.table.0,
            left_attribute: relation.name.to_string(),
            right_attribute: relation.back_populates.to_string(),
        });
    }
    pairs
}
