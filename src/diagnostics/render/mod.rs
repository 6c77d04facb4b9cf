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

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::source::{LineColumn, LineIndex, Source};

/// Line and column of a diagnostic's primary span, computed once per document.
pub(crate) struct Locator<'a> {
    text: &'a str,
    index: LineIndex,
    /// Positions already located, by byte offset: counting the column resumes from the
    /// nearest one before on the same line, so a minified one-line document is not
    /// rescanned from its start for every label.
    known: RefCell<BTreeMap<usize, LineColumn>>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(source: &'a Source) -> Self {
        Self { text: source.text(), index: LineIndex::new(source.text()), known: RefCell::new(BTreeMap::new()) }
    }

    pub(crate) fn locate(&self, offset: usize) -> LineColumn {
        let offset = offset.min(self.text.len());
        let line_start = self.index.line_bounds(offset, self.text.len()).start;
        let nearest = self.known.borrow().range(line_start..=offset).next_back().map(|(at, position)| (*at, *position));
        let position = match nearest {
            Some((at, position)) if self.text.is_char_boundary(at) && self.text.is_char_boundary(offset) => {
                LineColumn { line: position.line, column: position.column + self.text[at..offset].chars().count() }
            }
            _ => self.index.line_column(self.text, offset),
        };
        self.known.borrow_mut().insert(offset, position);
        position
    }

    /// True when the line holding `offset` is too long to show as a snippet.
    pub(crate) fn line_is_long(&self, offset: usize) -> bool {
        self.index.line_bounds(offset, self.text.len()).len() > MAX_SNIPPET_LINE
    }
}

/// `text` safe to print on a terminal: control characters and bidirectional overrides
/// (which names in a hostile document may hold) are shown as `\u{…}` escapes.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().map(|c| if unsafe_char(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect())
}

/// Lines longer than this (minified JSON) are not drawn: the position is given instead.
const MAX_SNIPPET_LINE: usize = 400;
