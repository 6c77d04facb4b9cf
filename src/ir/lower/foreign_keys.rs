//! Resolution of foreign-key targets to columns, following chains of foreign keys to
//! the type they all share (docs/format.md §5).

use std::collections::BTreeMap;

use super::TableDecl;
use super::relations::RelationshipDecl;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::ir::{ColumnId, ColumnRef, ForeignKey, ScalarType, Table, TableId};

/// Where a declared foreign key leads, in declaration indices.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Not a foreign key.
    None,
    /// Points at `(table, column)`.
    To(usize, usize),
    /// Its target was reported (or depends on a rejected column): leave the column out.
    Broken,
}

/// Resolves every foreign key, drops the columns whose target cannot be resolved, and
/// returns the tables with the relationship entries of each, in table order.
pub(super) fn resolve(mut decls: Vec<TableDecl>, tables_dropped: bool, diagnostics: &mut Diagnostics) -> (Vec<Table>, Vec<Vec<RelationshipDecl>>) {
    let mut table_index: BTreeMap<&str, usize> = BTreeMap::new();
    for (idx, decl) in decls.iter().enumerate() {
        table_index.entry(decl.name.as_str()).or_insert(idx);
    }
    // Columns by name per table (first declaration wins), so lookups stay logarithmic.
    let column_index: Vec<BTreeMap<&str, usize>> = decls
        .iter()
        .map(|decl| {
            let mut index = BTreeMap::new();
            for (idx, column) in decl.columns.iter().enumerate() {
                index.entry(column.column.name.as_str()).or_insert(idx);
            }
            index
        })
        .collect();
    let names = Names { tables: &table_index, columns: &column_index, tables_dropped };
    let links: Vec<Vec<Link>> = decls
        .iter()
        .map(|decl| decl.columns.iter().map(|column| column.target.as_ref().map_or(Link::None, |target| link(target, &decls, &names, diagnostics))).collect())
        .collect();
    let ends = chain_ends(&decls, &links, diagnostics);

    // Keep the resolved columns; remember where each declared column went.
    let mut remap: Vec<Vec<Option<usize>>> = Vec::with_capacity(decls.len());
    for (table_idx, decl) in decls.iter_mut().enumerate() {
        let mut kept = 0;
        let mut table_remap = Vec::with_capacity(decl.columns.len());
        for column_idx in 0..decl.columns.len() {
            let keep = links[table_idx][column_idx] == Link::None || ends[table_idx][column_idx].is_some();
            table_remap.push(keep.then(|| {
                kept += 1;
                kept - 1
            }));
        }
        if table_remap.iter().any(Option::is_none) {
            decl.incomplete = true;
        }
        remap.push(table_remap);
    }
    let types: Vec<Vec<Option<ScalarType>>> = ends
        .iter()
        .map(|table_ends| table_ends.iter().map(|end| end.map(|(table, column)| decls[table].columns[column].column.ty.clone())).collect())
        .collect();

    let mut tables = Vec::with_capacity(decls.len());
    let mut relationships = Vec::with_capacity(decls.len());
    for (table_idx, decl) in decls.into_iter().enumerate() {
        let mut columns = Vec::with_capacity(decl.columns.len());
        for (column_idx, declared) in decl.columns.into_iter().enumerate() {
            if remap[table_idx][column_idx].is_none() {
                continue;
            }
            let mut column = declared.column;
            if let (Link::To(target_table, target_column), Some(target)) = (links[table_idx][column_idx], declared.target) {
                let Some(resolved_column) = remap[target_table][target_column] else {
                    continue;
                };
                if let Some(ty) = &types[table_idx][column_idx] {
                    column.ty = ty.clone();
                }
                column.foreign_key = Some(ForeignKey {
                    target: ColumnRef { table: TableId(target_table), column: ColumnId(resolved_column) },
                    on_delete: target.on_delete,
                    target_origin: target.origin,
                    on_delete_origin: target.on_delete_origin,
                });
            }
            columns.push(column);
        }
        tables.push(Table {
            name: decl.name,
            class_name: decl.class_name,
            description: decl.description,
            options: decl.options,
            columns,
            origin: decl.origin,
            name_origin: decl.name_origin,
            incomplete: decl.incomplete,
        });
        relationships.push(decl.relationships);
    }
    (tables, relationships)
}

/// Name indexes of the declared tables and of their columns.
struct Names<'a> {
    tables: &'a BTreeMap<&'a str, usize>,
    columns: &'a [BTreeMap<&'a str, usize>],
    /// Some table was rejected for its name: unknown table names stay silent.
    tables_dropped: bool,
}

/// Resolves one `target` by name, reporting unknown tables and columns.
fn link(target: &super::columns::TargetDecl, decls: &[TableDecl], names: &Names<'_>, diagnostics: &mut Diagnostics) -> Link {
    let table_index = names.tables;
    let Some(&table_idx) = table_index.get(target.table.as_str()) else {
        if names.tables_dropped {
            return Link::Broken;
        }
        let tables = decls.iter().map(|decl| (decl.name.as_str(), decl.class_name.as_str()));
        let help = match super::suggest_table(&target.table, tables, diagnostics) {
            super::TableSuggestion::ClassOf(table) => format!("`{}` is a class; the target names its table: `{table}.{}`", target.table, target.column),
            super::TableSuggestion::Close(table) => format!("did you mean `{table}.{}`?", target.column),
            super::TableSuggestion::None => "the target is `table.column` with a `table_name` declared in `schema`".to_owned(),
        };
        diagnostics.push(
            Diagnostic::new(Code::FkTableNotFound, &target.origin, format!("foreign key targets unknown table `{}`", target.table))
                .with_label(format!("no table `{}`", target.table))
                .with_help(help),
        );
        return Link::Broken;
    };
    let table = &decls[table_idx];
    if let Some(&column_idx) = names.columns[table_idx].get(target.column.as_str()) {
        return Link::To(table_idx, column_idx);
    }
    if table.rejected_columns.contains(&target.column) {
        return Link::Broken;
    }
    let suggestion =
        if diagnostics.take_suggestion() { did_you_mean(&target.column, table.columns.iter().map(|column| column.column.name.as_str())) } else { None };
    let help = match suggestion {
        Some(column) => format!("did you mean `{}.{column}`?", table.name),
        None => {
            let keys: Vec<&str> =
                table.columns.iter().filter(|column| column.column.primary_key || column.column.unique).map(|column| column.column.name.as_str()).collect();
            if keys.is_empty() {
                format!("`{}` has no primary-key or unique column to target", table.name)
            } else {
                format!("`{}` can be targeted through {}", table.name, super::object::list(&keys))
            }
        }
    };
    diagnostics.push(
        Diagnostic::new(Code::FkColumnNotFound, &target.origin, format!("foreign key targets unknown column `{}.{}`", target.table, target.column))
            .with_label(format!("table `{}` has no column `{}`", table.name, target.column))
            .with_secondary(table.name_origin.span, format!("table `{}` is declared here", table.name))
            .with_help(help),
    );
    Link::Broken
}

/// For every column, the non-foreign-key column its chain of foreign keys ends at (itself
/// for a plain column); `None` for a broken chain or a loop, reported once per loop.
/// Each column is walked once: a walk stops at a column whose end is already known.
fn chain_ends(decls: &[TableDecl], links: &[Vec<Link>], diagnostics: &mut Diagnostics) -> Vec<Vec<Option<(usize, usize)>>> {
    #[derive(Clone, Copy)]
    enum State {
        New,
        OnPath,
        Done(Option<(usize, usize)>),
    }
    let mut states: Vec<Vec<State>> = links.iter().map(|table_links| vec![State::New; table_links.len()]).collect();
    for (table_idx, table_links) in links.iter().enumerate() {
        for column_idx in 0..table_links.len() {
            let mut path = Vec::new();
            let mut at = (table_idx, column_idx);
            let end = loop {
                match states[at.0][at.1] {
                    State::Done(end) => break end,
                    State::OnPath => {
                        let start = path.iter().position(|&step| step == at).unwrap_or(0);
                        report_loop(decls, &path[start..], diagnostics);
                        break None;
                    }
                    State::New => match links[at.0][at.1] {
                        Link::None => break Some(at),
                        Link::Broken => break None,
                        Link::To(next_table, next_column) => {
                            states[at.0][at.1] = State::OnPath;
                            path.push(at);
                            at = (next_table, next_column);
                        }
                    },
                }
            };
            states[at.0][at.1] = match states[at.0][at.1] {
                State::OnPath => State::Done(None),
                State::New => State::Done(end),
                done @ State::Done(_) => done,
            };
            for step in path {
                states[step.0][step.1] = State::Done(end);
            }
        }
    }
    states.into_iter().map(|table| table.into_iter().map(|state| if let State::Done(end) = state { end } else { None }).collect()).collect()
}

fn report_loop(decls: &[TableDecl], path: &[(usize, usize)], diagnostics: &mut Diagnostics) {
    let name = |&(table, column): &(usize, usize)| format!("`{}.{}`", decls[table].name, decls[table].columns[column].column.name);
    let (table, column) = path[0];
    let Some(target) = &decls[table].columns[column].target else {
        return;
    };
    let message = if path.len() == 1 {
        "the foreign key targets itself".to_owned()
    } else {
        let chain: Vec<String> = path.iter().chain(std::iter::once(&path[0])).map(name).collect();
        format!("foreign keys loop: {}", chain.join(" → "))
    };
    diagnostics.push(
        Diagnostic::new(Code::FkSelfColumn, &target.origin, message)
            .with_label("this target leads back to the column itself")
            .with_help("point the foreign key at a primary-key or unique column that is not itself a foreign key in this loop"),
    );
}
