//! Rules on cycles of foreign keys through several tables.

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::Schema;
use crate::order::{BuildOrder, Cycle};

pub(super) fn cycles_are_breakable(schema: &Schema, order: &BuildOrder, diagnostics: &mut Diagnostics) {
    for cycle in &order.cycles {
        let Some(first) = cycle.path.first() else { continue };
        let key = schema.column(*first).foreign_key.as_ref();
        let Some(key) = key else { continue };
        let route = route(schema, cycle);
        if cycle.all_not_null {
            let mut diagnostic = Diagnostic::new(Code::CircularDependency, &key.target_origin, format!("NOT NULL foreign keys form a cycle: {route}"))
                .with_label("first foreign key of the cycle")
                .with_help("make one of these foreign keys nullable, so its row can be linked after the others exist");
            for column in &cycle.path[1..] {
                if let Some(other) = &schema.column(*column).foreign_key {
                    diagnostic = diagnostic.with_secondary(other.target_origin.span, format!("`{}` is part of the cycle", schema.qualified(*column)));
                }
            }
            diagnostics.push(diagnostic);
        } else {
            let deferred: Vec<String> = cycle.deferred.iter().map(|column| format!("`{}`", schema.qualified(*column))).collect();
            diagnostics.push(
                Diagnostic::new(Code::NullableCycle, &key.target_origin, format!("foreign keys form a cycle: {route}"))
                    .with_label("part of a cycle")
                    .with_help(format!("accepted: {} will be created after the tables", deferred.join(", "))),
            );
        }
    }
}

/// The foreign keys of the cycle and back to its first table: `` `a.b_id` → `b.a_id` → `a` ``.
fn route(schema: &Schema, cycle: &Cycle) -> String {
    let mut parts: Vec<String> = cycle.path.iter().map(|column| format!("`{}`", schema.qualified(*column))).collect();
    if let Some(first) = cycle.path.first() {
        parts.push(format!("`{}`", schema.table(first.table).name));
    }
    parts.join(" → ")
}
