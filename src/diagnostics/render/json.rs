//! The JSON rendering: `{"files":[{"file","valid","diagnostics":[…]}]}`, shared by
//! `validate --format json` and `serve`'s `/api/v1/validate`.

use serde::Serialize;

use super::Locator;
use crate::diagnostics::Diagnostics;
use crate::source::Source;

/// One diagnostic as the JSON contract spells it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    /// The JSON pointer of the value concerned (`""` is the whole document).
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
}

/// The report for one input file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub valid: bool,
    pub diagnostics: Vec<JsonDiagnostic>,
}

/// The report of `diagnostics` found in `source`.
pub fn file_report(source: &Source, found: &Diagnostics) -> FileReport {
    let locator = Locator::new(source);
    let diagnostics = found
        .iter()
        .map(|diagnostic| {
            let position = locator.locate(diagnostic.primary.span.start);
            JsonDiagnostic {
                code: diagnostic.code.as_str(),
                severity: diagnostic.severity.as_str(),
                message: diagnostic.message.clone(),
                path: diagnostic.pointer.to_string(),
                line: position.line,
                column: position.column,
                help: diagnostic.help.clone(),
            }
        })
        .collect();
    FileReport { file: source.name().to_owned(), valid: !found.has_errors(), diagnostics }
}

/// The whole JSON document for several files, pretty-printed.
pub fn json(reports: &[FileReport]) -> String {
    #[derive(Serialize)]
    struct Document<'a> {
        files: &'a [FileReport],
    }
    // Serializing plain structs of strings and integers cannot fail.
    serde_json::to_string_pretty(&Document { files: reports }).unwrap_or_default()
}
