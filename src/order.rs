//! Build order (docs/format.md §5): tables sorted so that each comes after the tables its
//! foreign keys point to, smallest `table_name` first among the ready ones; cycles found
//! with Tarjan's algorithm.
//!
//! Invariant: this is the only module that knows petgraph. The order is total: tables of
//! a NOT NULL cycle (an error reported by `check`) are appended in name order.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::ir::{ColumnRef, Schema, TableId};

/// The order in which tables are created, and the foreign keys created after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOrder {
    /// Creation order; teardown is the reverse.
    pub tables: Vec<TableId>,
    /// Every nullable foreign key between two tables of one strongly connected component
    /// (so inside some cycle), created once all tables exist.
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
    /// The nullable foreign keys between tables of this cycle's strongly connected
    /// component: all of them are created after the tables (not only those on `path`).
    pub deferred: Vec<ColumnRef>,
}

impl BuildOrder {
    pub fn compute(schema: &Schema) -> Self {
        let graph = foreign_key_graph(schema, |_| true);
        let not_null = foreign_key_graph(schema, |column| !schema.column(column).nullable);
        let components = sorted_components(schema, &graph);
        // The component of every table, and the nullable keys inside each component,
        // found in one pass over the edges.
        let mut component_of: Vec<Option<usize>> = vec![None; graph.node_count()];
        for (idx, component) in components.iter().enumerate() {
            for node in component {
                component_of[node.index()] = Some(idx);
            }
        }
        let mut deferred_by_component: Vec<Vec<ColumnRef>> = vec![Vec::new(); components.len()];
        for edge in graph.edge_references() {
            let column = *edge.weight();
            if let (Some(source), Some(target)) = (component_of[edge.source().index()], component_of[edge.target().index()])
                && source == target
                && schema.column(column).nullable
            {
                deferred_by_component[source].push(column);
            }
        }
        // A NOT NULL cycle lies inside one component of the full graph.
        let mut not_null_by_component: Vec<Vec<Vec<NodeIndex>>> = vec![Vec::new(); components.len()];
        for inner in sorted_components(schema, &not_null) {
            if let Some(outer) = component_of[inner[0].index()] {
                not_null_by_component[outer].push(inner);
            }
        }
        let mut cycles = Vec::new();
        for ((component, not_null_cycles), mut component_deferred) in components.iter().zip(not_null_by_component).zip(deferred_by_component) {
            component_deferred.sort();
            for inner in &not_null_cycles {
                cycles.push(Cycle { path: cycle_through(schema, &not_null, inner), all_not_null: true, deferred: component_deferred.clone() });
            }
            if not_null_cycles.is_empty() {
                cycles.push(Cycle { path: cycle_through(schema, &graph, component), all_not_null: false, deferred: component_deferred });
            }
        }
        let deferred: BTreeSet<ColumnRef> = cycles.iter().flat_map(|cycle| cycle.deferred.iter().copied()).collect();
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

/// The tables `table` must be created after: targets of its foreign keys, itself and
/// the deferred keys excluded, in name order.
pub fn dependencies(schema: &Schema, order: &BuildOrder, table: TableId) -> Vec<TableId> {
    let targets: BTreeSet<(&str, TableId)> = schema
        .table(table)
        .columns()
        .filter(|(column, _)| !order.is_deferred(ColumnRef { table, column: *column }))
        .filter_map(|(_, column)| column.foreign_key.as_ref())
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
    let mut came_by: BTreeMap<NodeIndex, (NodeIndex, ColumnRef)> = BTreeMap::new();
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
                    let Some(&(previous, column)) = came_by.get(&at) else { break };
                    path.push(column);
                    at = previous;
                }
                path.reverse();
                return path;
            }
            if next != start && !came_by.contains_key(&next) {
                came_by.insert(next, (node, *edge.weight()));
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
