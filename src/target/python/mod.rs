//! The Python target: a FastAPI + SQLAlchemy 2 + Pydantic 2 + Alembic project.
//!
//! `view` makes every decision (names, types, imports, defaults) into typed view models;
//! `files` renders them through the askama templates in `templates/python/`, which hold
//! layout only. Invariant: the same schema always renders to the same bytes.

mod api;
mod files;
mod imports;
pub mod layout;
pub mod names;
mod project;
mod scalar;
pub mod scopes;
mod tests;
mod time;
pub mod verify;
pub mod view;

use std::collections::BTreeSet;
use std::fmt;

use crate::ir::Schema;
use crate::ir::names::ClassName;
use crate::order::BuildOrder;
use crate::target::FileSet;

/// A template that failed to render: a bug in backbone, never a problem with the schema.
/// Generation stops there and nothing is written (exit 2, or 500 from `serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The file whose template failed.
    pub path: String,
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the template of {} failed to render: {}", self.path, self.message)
    }
}

impl std::error::Error for RenderError {}

/// Renders the whole project for a valid schema.
pub fn render(schema: &Schema, order: &BuildOrder) -> Result<FileSet, RenderError> {
    let renamed = safe_class_names(schema);
    let project = view::ProjectView::new(renamed.as_ref().unwrap_or(schema), order);
    let mut files = files::render(&project)?;
    format(&mut files);
    Ok(files)
}

/// Lays out, with Ruff's own formatter (Python 3.11, ruff's defaults), every generated
/// module that has a line the printer could not fit, so the files are what `ruff format`
/// makes of them whatever the names' lengths. A module the formatter cannot parse is
/// left as it is, for [`verify`] to report.
fn format(files: &mut FileSet) {
    let options = ruff_python_formatter::PyFormatOptions::default().with_target_version(ruff_python_ast::PythonVersion::PY311);
    let mut modules: Vec<&mut String> =
        files.iter_mut().filter(|(path, file)| verify::is_python(path) && has_long_line(&file.contents)).map(|(_, file)| &mut file.contents).collect();
    // Formatting is most of generation's time: the modules are split over the cores.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(modules.len().max(1));
    let chunk = modules.len().div_ceil(workers).max(1);
    let format_chunk = |chunk: &mut [&mut String]| {
        for contents in chunk {
            if let Ok(printed) = ruff_python_formatter::format_module_source(contents, options.clone()) {
                **contents = printed.into_code();
            }
        }
    };
    std::thread::scope(|scope| {
        let mut chunks = modules.chunks_mut(chunk);
        let first = chunks.next();
        for other in chunks {
            scope.spawn(|| format_chunk(other));
        }
        if let Some(first) = first {
            format_chunk(first);
        }
    });
}

/// Whether a line of `contents` is longer than ruff's line length. The printer
/// ([`layout`]) breaks a line only when it does not fit, as ruff does, so a module
/// whose lines all fit is already what `ruff format` makes of it
/// (`tests/formatting.rs` holds it to that, on random names); only the others, where a
/// name too long for the printer's layouts sits, need the formatter. Bytes, not
/// characters: a character takes at most two columns and at least two bytes beyond
/// ASCII, so a line that fits in bytes fits on screen.
fn has_long_line(contents: &str) -> bool {
    contents.lines().any(|line| line.len() > layout::LINE_LENGTH)
}

/// The suffixes of the schema classes derived from a model class (`BookCreate`, …).
const SCHEMA_SUFFIXES: &[&str] = &["Create", "Update", "Read", "Page", "Query"];

/// `schema` with every class name that would clash in Python renamed (`Base` → `Base_`),
/// or `None` when none does. A clash is a reserved name, or a name that another class's
/// derived schema class also has (`Book` makes `BookRead`, so a class `BookRead` clashes).
/// The JSON API is unaffected: class names appear only in code and schema titles.
fn safe_class_names(schema: &Schema) -> Option<Schema> {
    let classes: BTreeSet<&str> = schema.tables.iter().map(|table| table.class_name.as_str()).collect();
    let clashes_with = |name: &str| {
        names::MODULE_NAMES.contains(&name)
            || names::BUILTINS_READ.contains(&name)
            || names::DEFINED_NAMES.contains(&name)
            || SCHEMA_SUFFIXES.iter().any(|suffix| name.strip_suffix(suffix).is_some_and(|stem| !stem.is_empty() && classes.contains(stem)))
    };
    if !classes.iter().any(|name| clashes_with(name)) {
        return None;
    }
    let mut taken: BTreeSet<String> = classes.iter().map(|name| (*name).to_owned()).collect();
    let mut renamed = schema.clone();
    for table in &mut renamed.tables {
        if !clashes_with(table.class_name.as_str()) {
            continue;
        }
        let mut candidate = format!("{}_", table.class_name);
        while taken.contains(&candidate) || clashes_with(&candidate) {
            candidate.push('_');
        }
        taken.insert(candidate.clone());
        table.class_name = ClassName::new(candidate);
    }
    Some(renamed)
}
