//! The Python target: a FastAPI + SQLAlchemy 2 + Pydantic 2 + Alembic project.
//!
//! `view` makes every decision (names, types, imports, defaults) into typed view models;
//! `files` renders them through the askama templates in `templates/python/`, which hold
//! layout only. Invariant: the same schema always renders to the same bytes.

mod api;
mod files;
pub mod layout;
pub mod names;
pub mod syntax;
mod tests;
mod time;
pub mod view;

use crate::ir::Schema;
use crate::order::BuildOrder;
use crate::target::FileSet;

/// Renders the whole project for a valid schema.
pub fn render(schema: &Schema, order: &BuildOrder) -> FileSet {
    let project = view::ProjectView::new(schema, order);
    files::render(&project)
}
