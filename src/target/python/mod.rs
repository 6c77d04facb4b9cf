//! The Python target: a FastAPI + SQLAlchemy 2 + Pydantic 2 + Alembic project.
//!
//! `view` makes every decision (names, types, imports, defaults) into typed view models;
//! `files` renders them through the askama templates in `templates/python/`, which hold
//! layout only. Invariant: the same schema always renders to the same bytes.

mod api;
mod code;
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
    let mut files = print(schema, order)?;
    format(&mut files);
    Ok(files)
}

/// The project as the printer and the templates lay it out, before [`format()`].
fn print(schema: &Schema, order: &BuildOrder) -> Result<FileSet, RenderError> {
    let renamed = safe_class_names(schema);
    let project = view::ProjectView::new(renamed.as_ref().unwrap_or(schema), order);
    files::render(&project)
}

/// Lays out, with Ruff's own formatter (Python 3.11, ruff's defaults), every generated
/// module that has a line the printer could not fit, so the files are what `ruff format`
/// makes of them whatever the names' lengths. A module the formatter cannot parse is
/// left as it is, for [`verify`] to report.
fn format(files: &mut FileSet) {
    let options = ruff_python_formatter::PyFormatOptions::default().with_target_version(ruff_python_ast::PythonVersion::PY311);
    let mut modules: Vec<&mut String> =
        files.iter_mut().filter(|(path, file)| verify::is_python(path) && needs_formatter(&file.contents)).map(|(_, file)| &mut file.contents).collect();
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

/// Whether `contents` has a line longer than ruff's line length that ruff could break.
/// The printer ([`layout`]) breaks a line only when it does not fit, as ruff does, so a
/// module whose lines all fit is already what `ruff format` makes of it
/// (`tests/formatting.rs` holds it to that, on random names); so is one whose long lines
/// are strings ruff leaves as they are (a message in a dict, a docstring). Only the
/// others, where a name too long for the printer's layouts sits, need the formatter.
/// Bytes, not characters: a character takes at most two columns and at least two bytes
/// beyond ASCII, so a line that fits in bytes fits on screen.
fn needs_formatter(contents: &str) -> bool {
    let mut skeletons = Skeletons::default();
    contents.lines().any(|line| {
        let skeleton = skeletons.next_line(line);
        line.len() > layout::LINE_LENGTH && !is_unbreakable(&skeleton)
    })
}

/// A long line ruff leaves alone: a string (`"…"`, `"…",`), a dict entry of strings
/// (`"…": "…",`), a plain assignment of one (`name = "…"`), or a line inside a string.
fn is_unbreakable(skeleton: &str) -> bool {
    let code = skeleton.trim();
    let assignment = code
        .split_once(" = ")
        .is_some_and(|(target, value)| !target.is_empty() && target.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && matches!(value, "S" | "S,"));
    // `name="…"`, a keyword argument of one string.
    let keyword = code
        .split_once('=')
        .is_some_and(|(name, value)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && matches!(value, "S" | "S,"));
    matches!(code, "" | "S" | "S," | "S: S" | "S: S,") || assignment || keyword
}

/// Each line of a module with its string literals replaced by `S` (their text gone), a
/// string that runs on past the line's end included.
#[derive(Default)]
struct Skeletons {
    /// The closing quotes of a triple-quoted string still open at the previous line's end.
    open: Option<&'static str>,
}

impl Skeletons {
    fn next_line(&mut self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        if let Some(close) = self.open {
            match rest.find(close) {
                Some(at) => {
                    out.push('S');
                    rest = &rest[at + close.len()..];
                    self.open = None;
                }
                None => return out,
            }
        }
        while let Some(at) = rest.find(['"', '\'', '#']) {
            let (before, from) = rest.split_at(at);
            // A prefix (`f`, `rb`) belongs to the string.
            out.push_str(before.trim_end_matches(|c: char| c.is_ascii_alphabetic()));
            if from.starts_with('#') {
                return out;
            }
            let quote = if from.starts_with("\"\"\"") {
                "\"\"\""
            } else if from.starts_with("\'\'\'") {
                "\'\'\'"
            } else if from.starts_with('"') {
                "\""
            } else {
                "\'"
            };
            let body = &from[quote.len()..];
            match closing(body, quote) {
                Some(end) => {
                    out.push('S');
                    rest = &body[end + quote.len()..];
                }
                None => {
                    out.push('S');
                    if quote.len() == 3 {
                        self.open = Some(quote);
                    }
                    return out;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Where `quote` closes in `body`, skipping escaped characters.
fn closing(body: &str, quote: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'\\' {
            at += 2;
            continue;
        }
        if bytes[at..].starts_with(quote.as_bytes()) {
            return Some(at);
        }
        at += 1;
    }
    None
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

#[cfg(test)]
mod formatter_tests {
    use super::{Skeletons, needs_formatter, print, verify};

    /// The formatter is for names too long for the printer's layouts: on the examples,
    /// whose names are ordinary, the printer and the skeletons alone must give every
    /// line its final layout (a template line one character too long once sent every
    /// test module through the formatter, a third of generation's time).
    #[test]
    fn no_example_needs_the_formatter() {
        let examples = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).into_iter().flatten().flatten();
        let mut seen = 0;
        for entry in examples {
            let path = entry.path();
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let source = crate::source::Source::new(path.display().to_string(), text);
            let compilation = crate::compile(&source, &crate::CompileOptions::default());
            let Some((schema, order)) = compilation.valid_schema() else { continue };
            let files = print(schema, order);
            assert!(files.is_ok(), "{}: {files:?}", path.display());
            for (file_path, file) in files.iter().flat_map(super::super::FileSet::iter) {
                assert!(
                    !(verify::is_python(file_path) && needs_formatter(&file.contents)),
                    "{}: {file_path} has a line the printer left too long",
                    path.display()
                );
            }
            seen += 1;
        }
        assert!(seen >= 5, "only {seen} examples rendered");
    }

    #[test]
    fn strings_are_skeletons_and_only_breakable_long_lines_need_the_formatter() {
        let mut skeletons = Skeletons::default();
        assert_eq!(skeletons.next_line(r#"    "fk": "a \" b",  # note"#), "    S: S,  ");
        assert_eq!(skeletons.next_line(r#"x = f"{y}" + 'é' + """doc"#), "x = S + S + S");
        assert_eq!(skeletons.next_line("still inside the docstring"), "");
        assert_eq!(skeletons.next_line(r#"end""" + z"#), "S + z");
        let long = "x".repeat(90);
        assert!(!needs_formatter(&format!("    \"key\": \"{long}\",\n")));
        assert!(!needs_formatter(&format!("query = \"{long}\"\n")));
        assert!(!needs_formatter(&format!("        comment=\"{long}\",\n")));
        assert!(!needs_formatter(&format!("\"\"\"\n{long}\n\"\"\"\n")));
        assert!(needs_formatter(&format!("call(\"{long}\", x)\n")));
        assert!(needs_formatter(&format!("value = a_name + \"{long}\"\n")));
    }
}
