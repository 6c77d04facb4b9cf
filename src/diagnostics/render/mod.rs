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

use std::cell::Cell;

use crate::source::{LineColumn, LineIndex, Source};

/// Line and column of a diagnostic's primary span, computed once per document.
pub(crate) struct Locator<'a> {
    text: &'a str,
    index: LineIndex,
    /// The last offset located and its position: diagnostics come in source order, so
    /// on one long line (minified JSON) counting resumes there instead of restarting.
    last: Cell<Option<(usize, LineColumn)>>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(source: &'a Source) -> Self {
        Self { text: source.text(), index: LineIndex::new(source.text()), last: Cell::new(None) }
    }

    pub(crate) fn locate(&self, offset: usize) -> LineColumn {
        let offset = offset.min(self.text.len());
        let position = match self.last.get() {
            Some((last_offset, last))
                if last_offset <= offset
                    && self.text.is_char_boundary(last_offset)
                    && self.text.is_char_boundary(offset)
                    && !self.text[last_offset..offset].contains('\n') =>
            {
                LineColumn { line: last.line, column: last.column + self.text[last_offset..offset].chars().count() }
            }
            _ => self.index.line_column(self.text, offset),
        };
        self.last.set(Some((offset, position)));
        position
    }

    /// True when the line holding `offset` is too long to show as a snippet.
    pub(crate) fn line_is_long(&self, offset: usize) -> bool {
        self.index.line_bounds(offset, self.text.len()).len() > MAX_SNIPPET_LINE
    }
}

/// Lines longer than this (minified JSON) are not drawn: the position is given instead.
const MAX_SNIPPET_LINE: usize = 400;
