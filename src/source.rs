//! Source documents and positions in them.
//!
//! The pipeline stores byte offsets ([`Span`]) and JSON pointers ([`JsonPointer`]);
//! line and column numbers are computed only when a diagnostic is rendered
//! ([`LineIndex`]), so the core never pays for positions nobody reads.

use std::fmt;

/// One input document: the name it is reported under and its text.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    text: String,
    /// Byte offset of the first byte that is not UTF-8, if any; the text then holds a
    /// lossy copy so that the error can still be shown in context.
    invalid_utf8_at: Option<usize>,
}

impl Source {
    /// A source from text that is already UTF-8.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self { name: name.into(), text: text.into(), invalid_utf8_at: None }
    }

    /// A source from raw bytes, as read from a file or a request body.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Self::new(name, text),
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                Self { name: name.into(), text, invalid_utf8_at: Some(offset) }
            }
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn invalid_utf8_at(&self) -> Option<usize> {
        self.invalid_utf8_at
    }
}

/// A byte range in a [`Source`]'s text, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// An empty span at `offset`, for places such as "end of input".
    pub fn at(offset: usize) -> Self {
        Self { start: offset, end: offset }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A 1-based line and column; the column counts characters, not bytes, as editors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets to lines and columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(offset, _)| offset + 1)).collect();
        Self { line_starts }
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1)
    }

    /// The byte offset where 0-based line `line` starts; the text's length past the end.
    pub fn line_start(&self, line: usize, len: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(len)
    }

    /// The byte range of the line holding `offset` (without its line break), in a text
    /// of `len` bytes.
    pub fn line_bounds(&self, offset: usize, len: usize) -> Span {
        let line_idx = self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let end = self.line_starts.get(line_idx + 1).map_or(len, |next| next - 1);
        Span::new(start, end.max(start))
    }

    /// The line and column of `offset` in `text` (the text this index was built from).
    pub fn line_column(&self, text: &str, offset: usize) -> LineColumn {
        let offset = offset.min(text.len());
        let line_idx = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_idx];
        // The offset may sit inside a multi-byte character only for a lossy source;
        // count the characters that start before it.
        let column = text.get(line_start..).map_or(0, |rest| rest.char_indices().take_while(|(i, _)| line_start + i < offset).count());
        LineColumn { line: line_idx + 1, column: column + 1 }
    }
}

/// An RFC 6901 JSON pointer such as `/schema/2/columns/3/target`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// The pointer to the whole document.
    pub fn root() -> Self {
        Self(String::new())
    }

    /// The pointer to member `key` of the object this pointer designates.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut pointer = self.0.clone();
        pointer.push('/');
        for character in key.chars() {
            match character {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                other => pointer.push(other),
            }
        }
        Self(pointer)
    }

    /// The pointer to element `index` of the array this pointer designates.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}/{index}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an IR node came from: its JSON pointer and the span of its JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub pointer: JsonPointer,
    pub span: Span,
}

impl Origin {
    pub fn new(pointer: JsonPointer, span: Span) -> Self {
        Self { pointer, span }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let text = "ab\n\u{e9}x\ny";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 0), LineColumn { line: 1, column: 1 });
        assert_eq!(index.line_column(text, 3), LineColumn { line: 2, column: 1 });
        // `x` follows a two-byte character: byte 5, character column 2.
        assert_eq!(index.line_column(text, 5), LineColumn { line: 2, column: 2 });
        assert_eq!(index.line_column(text, text.len()), LineColumn { line: 3, column: 2 });
    }

    #[test]
    fn pointer_escapes_tilde_and_slash() {
        let pointer = JsonPointer::root().key("schema").index(2).key("a/b~c");
        assert_eq!(pointer.as_str(), "/schema/2/a~1b~0c");
    }
}
