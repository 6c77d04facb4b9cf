//! The resolved model as users review it (`backbone plan`): tables in build order with
//! their dependencies, and every relationship pair with the attribute names it makes.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;

use crate::ir::{RelationKind, Schema};
use crate::order::{BuildOrder, dependencies};

/// The plan of a valid schema.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Plan {
    pub project: String,
    pub db_type: &'static str,
    /// Tables in creation order.
    pub tables: Vec<PlannedTable>,
    /// Table names in teardown order.
    pub teardown: Vec<String>,
    /// Nullable foreign keys of cycles, created after all tables (`table.column`).
    pub deferred_foreign_keys: Vec<String>,
    pub relationships: Vec<PlannedPair>,
}

/// One table of the plan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlannedTable {
    pub table: String,
    pub class: String,
    pub primary_key: Vec<String>,
    pub depends_on: Vec<String>,
}

/// Two attributes that point at each other, e.g. `Book.loans` ↔ `Loan.book`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlannedPair {
    /// `Class.attribute` of the first side.
    pub left: String,
    /// The first side's kind (`one_to_many`, `many_to_one`, `many_to_many`).
    pub kind: RelationKind,
    /// `Class.attribute` of the second side.
    pub right: String,
    /// The foreign key (`table.column`) or association table behind the pair.
    pub through: String,
    /// True when the second side was not declared and is added (docs/format.md §4.5).
    pub synthesized: bool,
    /// True for a many-to-many whose association rows need values the link cannot
    /// give (docs/format.md §4.4): rows are created through the association table.
    pub read_only: bool,
}

impl Plan {
    pub fn new(schema: &Schema, order: &BuildOrder) -> Self {
        let tables = order
            .tables
            .iter()
            .map(|&table_id| {
                let table = schema.table(table_id);
                PlannedTable {
                    table: table.name.to_string(),
                    class: table.class_name.to_string(),
                    primary_key: table.primary_key().map(|(_, column)| column.name.to_string()).collect(),
                    depends_on: dependencies(schema, order, table_id).into_iter().map(|dependency| schema.table(dependency).name.to_string()).collect(),
                }
            })
            .collect();
        let declared: BTreeSet<(crate::ir::TableId, &str)> =
            schema.relations.iter().filter(|relation| relation.declared.is_some()).map(|relation| (relation.owner, relation.name.as_str())).collect();
        let mut seen = BTreeSet::new();
        let mut relationships = Vec::new();
        for relation in &schema.relations {
            if seen.contains(&(relation.target, relation.back_populates.as_str())) {
                continue;
            }
            seen.insert((relation.owner, relation.name.as_str()));
            let through = match (relation.association, relation.foreign_key) {
                (Some(association), _) => format!("{} (association table)", schema.table(association.table).name),
                (None, Some(key)) => schema.qualified(key),
                (None, None) => String::new(),
            };
            let synthesized = relation.declared.is_some() && !declared.contains(&(relation.target, relation.back_populates.as_str()));
            relationships.push(PlannedPair {
                left: format!("{}.{}", schema.table(relation.owner).class_name, relation.name),
                kind: relation.kind,
                right: format!("{}.{}", schema.table(relation.target).class_name, relation.back_populates),
                through,
                synthesized,
                read_only: relation.read_only,
            });
        }
        Self {
            project: schema.project_name.clone(),
            db_type: schema.db_type.as_str(),
            tables,
            teardown: order.teardown().map(|table| schema.table(table).name.to_string()).collect(),
            deferred_foreign_keys: order.deferred.iter().map(|column| schema.qualified(*column)).collect(),
            relationships,
        }
    }

    /// The plan as text for a terminal.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "project {} ({})", self.project, self.db_type);
        let _ = writeln!(out, "\nbuild order ({} tables):", self.tables.len());
        let width = self.tables.len().to_string().len();
        for (idx, table) in self.tables.iter().enumerate() {
            let depends = if table.depends_on.is_empty() { String::new() } else { format!("  after {}", table.depends_on.join(", ")) };
            let _ = writeln!(out, "  {:>width$}. {} ({}) key ({}){depends}", idx + 1, table.table, table.class, table.primary_key.join(", "));
        }
        if !self.deferred_foreign_keys.is_empty() {
            let _ = writeln!(out, "\nforeign keys created after the tables (they close a cycle):");
            for column in &self.deferred_foreign_keys {
                let _ = writeln!(out, "  {column}");
            }
        }
        let _ = writeln!(out, "\nrelationships ({}):", self.relationships.len());
        for pair in &self.relationships {
            let arrow = match pair.kind {
                RelationKind::OneToMany => "1 ─< n",
                RelationKind::ManyToOne => "n >─ 1",
                RelationKind::ManyToMany => "n >─< n",
            };
            let added = if pair.synthesized { "  (second side added)" } else { "" };
            let read_only = if pair.read_only { "  (read-only: create rows through the association table)" } else { "" };
            let _ = writeln!(out, "  {}  {arrow}  {}  via {}{added}{read_only}", pair.left, pair.right, pair.through);
        }
        let _ = writeln!(out, "\nteardown order: {}", self.teardown.join(", "));
        out
    }
}
