//! Verification of the generated Python, the last gate before anything is written: every
//! generated `.py` file must parse as Python 3.11 (the oldest version the generated
//! `pyproject.toml` accepts), and keep the scope rules of [`super::scopes`] (no generated
//! name shadows another). Not to be confused with [`crate::syntax`], which parses the
//! input document.
//!
//! The parser is Ruff's, so "parses here" means "parses for the linter the generated
//! project is checked with". A failure is a bug in backbone, never in the user's schema:
//! the caller reports it as an internal error and writes nothing.

use std::fmt;

use ruff_python_ast::PythonVersion;
use ruff_python_parser::{Mode, ParseOptions, parse_unchecked};
use ruff_text_size::TextSize;

use crate::source::LineIndex;
use crate::target::FileSet;

/// The oldest Python the generated project supports (`requires-python` in its pyproject).
const TARGET: PythonVersion = PythonVersion::PY311;

/// One generated file that is not valid Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxFault {
    /// The file, relative to the output directory.
    pub path: String,
    /// 1-based line and column of the first error.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SyntaxFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)
    }
}

/// Parses every `.py` file of `files`; returns the faults, one per broken file, in path order.
pub fn check(files: &FileSet) -> Vec<SyntaxFault> {
    check_observed(files, &|| {})
}

/// [`check`], calling `parsed` after each file (from any thread), for a progress display.
///
/// Files are split over the machine's cores: parsing is most of the time `generate`
/// spends after rendering.
pub fn check_observed(files: &FileSet, parsed: &(dyn Fn() + Sync)) -> Vec<SyntaxFault> {
    let python: Vec<(&String, &str)> = files.iter().filter(|(path, _)| is_python(path)).map(|(path, file)| (path, file.contents.as_str())).collect();
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(python.len().max(1));
    let chunk = python.len().div_ceil(workers).max(1);
    let check_chunk = |chunk: &[(&String, &str)]| -> Vec<SyntaxFault> {
        chunk
            .iter()
            .filter_map(|(path, contents)| {
                let found = fault(path, contents);
                parsed();
                found
            })
            .collect()
    };
    if workers <= 1 {
        return check_chunk(&python);
    }
    // Chunks are contiguous runs of the path-ordered list, so joining them in order keeps
    // the faults in path order.
    // The calling thread takes the first chunk: its allocator already holds the memory
    // that rendering freed, where a new thread would map fresh pages.
    std::thread::scope(|scope| {
        let mut chunks = python.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let handles: Vec<_> = chunks.map(|chunk| scope.spawn(move || check_chunk(chunk))).collect();
        let mut faults = check_chunk(first);
        for handle in handles {
            faults.extend(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        faults
    })
}

/// Whether a generated path is a Python module (generated paths are ours and lower-case,
/// so a plain suffix test is exact).
#[expect(clippy::case_sensitive_file_extension_comparisons, reason = "generated paths are lower-case by construction")]
pub fn is_python(path: &str) -> bool {
    path.ends_with(".py")
}

/// The first syntax error of one file (a plain error before a version-related one).
fn fault(path: &str, contents: &str) -> Option<SyntaxFault> {
    let parsed = parse_unchecked(contents, ParseOptions::from(Mode::Module).with_target_version(TARGET));
    let (offset, message) = if let Some(error) = parsed.errors().first() {
        (error.location.start(), error.error.to_string())
    } else if let Some(error) = parsed.unsupported_syntax_errors().first() {
        (error.range.start(), error.to_string())
    } else {
        let fault = parsed.syntax().as_module().and_then(super::scopes::check)?;
        (fault.offset, fault.message)
    };
    let (line, column) = position(contents, offset);
    Some(SyntaxFault { path: path.to_owned(), line, column, message })
}

/// 1-based line and column (in characters) of a byte offset.
fn position(contents: &str, offset: TextSize) -> (usize, usize) {
    let at = LineIndex::new(contents).line_column(contents, usize::from(offset));
    (at.line, at.column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> FileSet {
        let mut files = FileSet::new();
        for (path, contents) in entries {
            files.generated(*path, (*contents).to_owned());
        }
        files
    }

    #[test]
    fn valid_python_passes() {
        let set = files(&[("app/a.py", "from typing import Any\n\n\ndef f(x: Any) -> Any:\n    return x\n")]);
        assert_eq!(check(&set), vec![]);
    }

    #[test]
    fn a_syntax_error_is_located() {
        let set = files(&[("app/ok.py", "x = 1\n"), ("app/bad.py", "x = 1\ndef f(:\n    pass\n")]);
        let faults = check(&set);
        assert_eq!(faults.len(), 1);
        assert_eq!((faults[0].path.as_str(), faults[0].line, faults[0].column), ("app/bad.py", 2, 7));
        assert!(faults[0].to_string().starts_with("app/bad.py:2:7: "), "{}", faults[0]);
    }

    #[test]
    fn faults_of_many_files_come_in_path_order_and_every_file_is_counted() {
        let entries: Vec<(String, &str)> = (0..50).map(|idx| (format!("app/m{idx:02}.py"), if idx % 7 == 3 { "def f(:\n" } else { "x = 1\n" })).collect();
        let set = files(&entries.iter().map(|(path, contents)| (path.as_str(), *contents)).collect::<Vec<_>>());
        let counted = std::sync::atomic::AtomicUsize::new(0);
        let faults = check_observed(&set, &|| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let paths: Vec<&str> = faults.iter().map(|fault| fault.path.as_str()).collect();
        assert_eq!(paths, ["app/m03.py", "app/m10.py", "app/m17.py", "app/m24.py", "app/m31.py", "app/m38.py", "app/m45.py"]);
        assert_eq!(counted.into_inner(), 50);
    }

    #[test]
    fn syntax_newer_than_the_target_is_a_fault() {
        // A `type` alias statement is Python 3.12.
        let set = files(&[("app/new.py", "type Id = int\n")]);
        let faults = check(&set);
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert_eq!(faults[0].line, 1);
    }

    #[test]
    fn only_python_files_are_parsed() {
        let set = files(&[("README.md", "def f(:\n"), ("migrations/script.py.mako", "${imports}\n")]);
        assert_eq!(check(&set), vec![]);
    }
}
