//! Build order (FORMAT.md §5): tables sorted so that each comes after the tables its
//! foreign keys point to, smallest `table_name` first among the ready ones; cycles found
//! with Tarjan's algorithm.
//!
//! Invariant: this is the only module that knows petgraph. The order is total: tables of
//! a NOT NULL cycle (an error reported by `check`) are appended in name order.

use std::collections::{BTreeSet, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::ir::{ColumnRef, Schema, TableId};

/// The order in which tables are created, and the foreign keys created after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOrder {
    /// Creation order; teardown is the reverse.
    pub tables: Vec<TableId>,
    /// Nullable foreign keys inside a cycle, created once all tables exist.
    pub deferred: Vec<ColumnRef>,
    /// Every cycle through two or more tables.
    pub cycles: Vec<Cycle>,
}

/// A cycle of foreign keys through several tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The foreign keys along one cycle, each pointing at the next one's table; the
    /// last points back at the first's.
    pub path: Vec<ColumnRef>,
    /// True when every foreign key on `path` is NOT NULL: no row could ever be inserted.
    pub all_not_null: bool,
}

impl BuildOrder {
    pub fn compute(schema: &Schema) -> Self {
        let graph = foreign_key_graph(schema, |_| true);
        let not_null = foreign_key_graph(schema, |column| !schema.column(column).nullable);
        let mut cycles = Vec::new();
        let mut deferred = BTreeSet::new();
        for component in sorted_components(schema, &graph) {
            let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
            let not_null_cycles: Vec<Vec<NodeIndex>> =
                sorted_components(schema, &not_null).into_iter().filter(|inner| inner.iter().all(|node| members.contains(node))).collect();
            for inner in &not_null_cycles {
                cycles.push(Cycle { path: cycle_through(schema, &not_null, inner), all_not_null: true });
            }
            if not_null_cycles.is_empty() {
                cycles.push(Cycle { path: cycle_through(schema, &graph, &component), all_not_null: false });
            }
            for edge in graph.edge_references() {
                let column = *edge.weight();
                if members.contains(&edge.source()) && members.contains(&edge.target()) && schema.column(column).nullable {
                    deferred.insert(column);
                }
            }
        }
        let tables = topological_order(schema, &graph, &deferred);
        Self { tables, deferred: deferred.into_iter().collect(), cycles }
    }

    /// The tables in teardown order (reverse of creation).
    pub fn teardown(&self) -> impl Iterator<Item = TableId> + '_ {
        self.tables.iter().rev().copied()
    }

    pub fn is_deferred(&self, column: ColumnRef) -> bool {
        self.deferred.binary_search(&column).is_ok()
    }
}

/// The tables `table` depends on (targets of its foreign keys, itself excluded), in
/// name order.
pub fn dependencies(schema: &Schema, table: TableId) -> Vec<TableId> {
    let targets: BTreeSet<(&str, TableId)> = schema
        .table(table)
        .columns
        .iter()
        .filter_map(|column| column.foreign_key.as_ref())
        .map(|key| key.target.table)
        .filter(|target| *target != table)
        .map(|target| (schema.table(target).name.as_str(), target))
        .collect();
    targets.into_iter().map(|(_, target)| target).collect()
}

/// Tables as nodes (node index = table index), one edge per foreign key that passes
/// `keep`, from the referencing table to the referenced one. Self-references are left out.
fn foreign_key_graph(schema: &Schema, keep: impl Fn(ColumnRef) -> bool) -> DiGraph<TableId, ColumnRef> {
    let mut graph = DiGraph::with_capacity(schema.tables.len(), schema.tables.len());
    for (table, _) in schema.tables() {
        graph.add_node(table);
    }
    for (table_id, table) in schema.tables() {
        for (column_id, column) in table.columns() {
            let column_ref = ColumnRef { table: table_id, column: column_id };
            if let Some(key) = &column.foreign_key
                && key.target.table != table_id
                && keep(column_ref)
            {
                graph.add_edge(NodeIndex::new(table_id.0), NodeIndex::new(key.target.table.0), column_ref);
            }
        }
    }
    graph
}

/// Strongly connected components of two or more tables, each sorted by table name,
/// ordered by their smallest name.
fn sorted_components(schema: &Schema, graph: &DiGraph<TableId, ColumnRef>) -> Vec<Vec<NodeIndex>> {
    let name = |node: &NodeIndex| schema.tables[node.index()].name.as_str();
    let mut components: Vec<Vec<NodeIndex>> = tarjan_scc(graph).into_iter().filter(|component| component.len() > 1).collect();
    for component in &mut components {
        component.sort_by(|a, b| name(a).cmp(name(b)).then(a.cmp(b)));
    }
    components.sort_by(|a, b| name(&a[0]).cmp(name(&b[0])).then(a[0].cmp(&b[0])));
    components
}

/// The shortest cycle through the component's first table (breadth-first, edges taken
/// in target-name order, so the result is deterministic).
fn cycle_through(schema: &Schema, graph: &DiGraph<TableId, ColumnRef>, component: &[NodeIndex]) -> Vec<ColumnRef> {
    let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
    let start = component[0];
    let mut came_by: Vec<Option<(NodeIndex, ColumnRef)>> = vec![None; graph.node_count()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut edges: Vec<_> = graph.edges(node).filter(|edge| members.contains(&edge.target())).collect();
        edges.sort_by_key(|edge| (schema.tables[edge.target().index()].name.as_str(), *edge.weight()));
        for edge in edges {
            let next = edge.target();
            if next == start {
                let mut path = vec![*edge.weight()];
                let mut at = node;
                while at != start {
                    let Some((previous, column)) = came_by[at.index()] else { break };
                    path.push(column);
                    at = previous;
                }
                path.reverse();
                return path;
            }
            if came_by[next.index()].is_none() && next != start {
                came_by[next.index()] = Some((node, *edge.weight()));
                queue.push_back(next);
            }
        }
    }
    Vec::new()
}

/// Kahn's algorithm with the smallest ready name first; deferred edges are ignored.
fn topological_order(schema: &Schema, graph: &DiGraph<TableId, ColumnRef>, deferred: &BTreeSet<ColumnRef>) -> Vec<TableId> {
    let count = graph.node_count();
    let mut waiting_on = vec![0usize; count];
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); count];
    for edge in graph.edge_references() {
        if !deferred.contains(edge.weight()) {
            waiting_on[edge.source().index()] += 1;
            dependants[edge.target().index()].push(edge.source().index());
        }
    }
    let key = |idx: usize| (schema.tables[idx].name.as_str(), idx);
    let mut ready: BTreeSet<(&str, usize)> = (0..count).filter(|&idx| waiting_on[idx] == 0).map(key).collect();
    let mut placed = vec![false; count];
    let mut order = Vec::with_capacity(count);
    while order.len() < count {
        // A NOT NULL cycle leaves nothing ready: place its smallest table anyway.
        let next = match ready.pop_first() {
            Some((_, idx)) => idx,
            None => match (0..count).filter(|&idx| !placed[idx]).map(key).min() {
                Some((_, idx)) => idx,
                None => break,
            },
        };
        if placed[next] {
            continue;
        }
        placed[next] = true;
        order.push(TableId(next));
        for &dependant in &dependants[next] {
            waiting_on[dependant] = waiting_on[dependant].saturating_sub(1);
            if waiting_on[dependant] == 0 && !placed[dependant] {
                ready.insert(key(dependant));
            }
        }
    }
    order
}
