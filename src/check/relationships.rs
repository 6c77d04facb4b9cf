//! Rules on relationship attributes once paired (docs/format.md §4.6).

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::Schema;

pub(super) fn attribute_names_are_unique(schema: &Schema, diagnostics: &mut Diagnostics) {
    let mut by_owner: Vec<Vec<&crate::ir::Relation>> = vec![Vec::new(); schema.tables.len()];
    for relation in &schema.relations {
        by_owner[relation.owner.0].push(relation);
    }
    for (table, relations) in schema.tables.iter().zip(&by_owner) {
        for (idx, relation) in relations.iter().enumerate() {
            let name = relation.name.as_str();
            let clash = if let Some(column) = table.columns.iter().find(|column| column.name.as_str() == name) {
                Some((format!("column `{}`", column.name), column.name_origin.span))
            } else {
                relations[..idx]
                    .iter()
                    .find(|earlier| earlier.name.as_str() == name)
                    .map(|earlier| (format!("another relationship to `{}`", schema.table(earlier.target).name), earlier.name_origin.span))
            };
            let Some((other, other_span)) = clash else { continue };
            diagnostics.push(
                Diagnostic::new(
                    Code::RelNameClash,
                    &relation.name_origin,
                    format!("relationship attribute `{}.{name}` clashes with {other}", table.class_name),
                )
                .with_label(format!("names `{}.{name}`", table.class_name))
                .with_secondary(other_span, "already uses the name")
                .with_help(format!(
                    "choose another `back_populates` for this side of the relationship with `{}`, e.g. `{name}_{}`",
                    schema.table(relation.target).name,
                    relation_suffix(relation.kind)
                )),
            );
        }
    }
}

fn relation_suffix(kind: crate::ir::RelationKind) -> &'static str {
    match kind {
        crate::ir::RelationKind::ManyToOne => "ref",
        crate::ir::RelationKind::OneToMany | crate::ir::RelationKind::ManyToMany => "list",
    }
}
