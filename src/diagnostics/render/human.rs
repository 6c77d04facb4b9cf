//! The human rendering: miette's graphical report with a source snippet per diagnostic.

use std::fmt::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::diagnostics::{Diagnostic, Diagnostics, Label, Severity};
use crate::source::{LineIndex, Source, Span};

/// How the human rendering looks.
#[derive(Debug, Clone, Copy)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

impl Default for HumanStyle {
    fn default() -> Self {
        Self { color: false, width: 100 }
    }
}

/// Every diagnostic as a miette report, each followed by a blank line.
pub fn human(source: &Source, diagnostics: &Diagnostics, style: HumanStyle) -> String {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let named = NamedText { name: source.name(), text: source.text(), lines: LineIndex::new(source.text()) };
    let locator = super::Locator::new(source);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let primary_line = locator.locate(diagnostic.primary.span.start).line;
        // miette heads a report with its first label in the file; a label far above the
        // primary one would take that place, so it is listed below the report instead.
        let (inline, below): (Vec<&Label>, Vec<&Label>) =
            diagnostic.secondary.iter().partition(|label| locator.locate(label.span.start).line + CONTEXT_LINES >= primary_line);
        let spans = std::iter::once(&diagnostic.primary).chain(inline.iter().copied());
        let drawn = !spans.clone().any(|label| locator.line_is_long(label.span.start));
        let (inline, below) = if drawn { (inline, below) } else { (Vec::new(), diagnostic.secondary.iter().collect()) };
        let report = Report { diagnostic, inline, source: drawn.then_some(&named) };
        // Writing into a String cannot fail; a miette formatting error would only lose
        // this one report, and the JSON rendering is unaffected.
        let _ = handler.render_report(&mut out, &report);
        if !drawn {
            let position = locator.locate(diagnostic.primary.span.start);
            let label = if diagnostic.primary.message.is_empty() { "here".into() } else { super::printable(&diagnostic.primary.message) };
            let _ = writeln!(out, "  at {}:{}:{}: {label}", source.name(), position.line, position.column);
        }
        for label in below {
            let position = locator.locate(label.span.start);
            let _ = writeln!(out, "  note: {} ({}:{}:{})", super::printable(&label.message), super::printable(source.name()), position.line, position.column);
        }
        out.push('\n');
    }
    out
}

/// Lines above the primary label that a secondary label may sit on and still be drawn.
const CONTEXT_LINES: usize = 1;

/// The source text under its file name, as miette reads it.
struct NamedText<'a> {
    name: &'a str,
    text: &'a str,
    lines: LineIndex,
}

impl SourceCode for NamedText<'_> {
    /// Reads the span from a window of the lines around it: miette's own reading scans
    /// from the start of the text, which is quadratic over thousands of reports.
    fn read_span<'b>(&'b self, span: &SourceSpan, before: usize, after: usize) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let len = self.text.len();
        let first_line = self.lines.line_of(span.offset()).saturating_sub(before);
        let last_line = self.lines.line_of((span.offset() + span.len()).min(len)) + after + 1;
        let (start, end) = (self.lines.line_start(first_line, len), self.lines.line_start(last_line, len));
        let window = self.text.get(start..end).unwrap_or(self.text);
        let start = if window.len() == len { 0 } else { start };
        let relative = SourceSpan::new((span.offset() - start).into(), span.len());
        let contents = window.read_span(&relative, before, after)?;
        let line = contents.line() + if start == 0 { 0 } else { first_line };
        let absolute = SourceSpan::new((contents.span().offset() + start).into(), contents.span().len());
        Ok(Box::new(MietteSpanContents::new_named(self.name.to_owned(), contents.data(), absolute, line, contents.column(), contents.line_count())))
    }
}

/// One diagnostic seen through miette's protocol.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    /// The secondary labels drawn in the snippet.
    inline: Vec<&'a Label>,
    /// `None` when the lines are too long to draw.
    source: Option<&'a NamedText<'a>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::printable(&self.diagnostic.message))
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::printable(&self.diagnostic.message))
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.help.as_deref().map(|help| Box::new(super::printable(help).into_owned()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = &self.diagnostic.primary;
        let primary = LabeledSpan::new_primary_with_span(non_empty(&primary.message), to_miette(primary.span));
        let secondary = self.inline.iter().map(|label| LabeledSpan::new_with_span(non_empty(&label.message), to_miette(label.span)));
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

fn non_empty(message: &str) -> Option<String> {
    (!message.is_empty()).then(|| super::printable(message).into_owned())
}

fn to_miette(span: Span) -> SourceSpan {
    SourceSpan::new(span.start.into(), span.len())
}
