//! Semantic validation of a lowered [`Schema`]: the rules that need resolved types,
//! keys and the foreign-key graph. This file is the table of contents.
//!
//! Invariants: rules read the schema and never change it; they are independent of each
//! other and of their order; a table marked incomplete by lowering is not blamed for
//! what is missing from it.

mod cycles;
mod defaults;
mod foreign_keys;
mod keys;
mod relationships;

use crate::diagnostics::Diagnostics;
use crate::ir::Schema;
use crate::order::BuildOrder;

/// Runs every semantic rule.
pub fn check(schema: &Schema, order: &BuildOrder, diagnostics: &mut Diagnostics) {
    // Keys: NO_PRIMARY_KEY, COMPOSITE_PRIMARY_KEY, PK_TYPE, TEXT_KEY, INDEX_TOO_LONG, WRITE_ONLY_KEY.
    keys::table_has_primary_key(schema, diagnostics);
    keys::primary_key_is_single_column(schema, diagnostics);
    keys::primary_key_type_is_exact(schema, diagnostics);
    keys::text_is_not_a_key(schema, diagnostics);
    keys::indexed_string_fits_mariadb(schema, diagnostics);
    keys::write_only_is_not_a_key(schema, diagnostics);
    // Defaults: DEFAULT_INVALID.
    defaults::default_fits_type(schema, diagnostics);
    // Foreign keys: FK_NOT_PK_OR_UNIQUE, SET_NULL_NOT_NULLABLE, SET_DEFAULT_*, NOT_NULL_SELF_REFERENCE.
    foreign_keys::target_is_unique(schema, diagnostics);
    foreign_keys::set_null_column_is_nullable(schema, diagnostics);
    foreign_keys::set_default_column_has_default(schema, diagnostics);
    foreign_keys::self_reference_is_nullable(schema, diagnostics);
    // Graph: CIRCULAR_DEPENDENCY, NULLABLE_CYCLE.
    cycles::cycles_are_breakable(schema, order, diagnostics);
    // Relationships: REL_NAME_CLASH.
    relationships::attribute_names_are_unique(schema, diagnostics);
}
