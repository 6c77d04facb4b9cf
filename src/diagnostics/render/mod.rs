//! The three renderings of one [`Diagnostics`](super::Diagnostics) value: human
//! (miette's graphical report), JSON (the machine contract) and GitHub annotations.
//!
//! Invariant: renderers return strings; only `cli::printer` writes them out.

mod github;
mod human;
mod json;

pub use github::github;
pub use human::{HumanStyle, human};
pub use json::{FileReport, JsonDiagnostic, file_report, json};

use crate::source::{LineColumn, LineIndex, Source};

/// Line and column of a diagnostic's primary span, computed once per document.
pub(crate) struct Locator<'a> {
    text: &'a str,
    index: LineIndex,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(source: &'a Source) -> Self {
        Self { text: source.text(), index: LineIndex::new(source.text()) }
    }

    pub(crate) fn locate(&self, offset: usize) -> LineColumn {
        self.index.line_column(self.text, offset)
    }
}
