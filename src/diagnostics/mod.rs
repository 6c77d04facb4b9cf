//! Diagnostics: one [`Diagnostic`] value per problem, collected in [`Diagnostics`],
//! rendered by `render` as human (miette), JSON or GitHub annotations.
//!
//! Invariant: the pipeline only ever adds diagnostics; it never prints them. Codes are
//! stable (see [`Code`]) and every diagnostic carries a primary label in the source.

mod code;
pub mod render;

pub use code::Code;

use crate::source::{JsonPointer, Origin, Span};

/// How serious a diagnostic is. Only errors make a document invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A span with a message that says what is wrong at that spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One terse phrase, lowercase start, no trailing period.
    pub message: String,
    /// The JSON pointer of the value the diagnostic is about.
    pub pointer: JsonPointer,
    pub primary: Label,
    /// The other end of the problem: the first duplicate, the referenced table, …
    pub secondary: Vec<Label>,
    /// The fix, with a did-you-mean suggestion where a close name exists.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code`'s severity about the value at `origin`.
    pub fn new(code: Code, origin: &Origin, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            pointer: origin.pointer.clone(),
            primary: Label { span: origin.span, message: String::new() },
            secondary: Vec::new(),
            help: None,
        }
    }

    #[must_use]
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_optional_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    #[must_use]
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The problems found in one document, in the order they were found until
/// [`Diagnostics::sorted`] puts them in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    found: Vec<Diagnostic>,
    /// Errors so far: lowering asks after every column, so it must not be a scan.
    errors: usize,
    /// Did-you-mean searches left; each one scans every candidate name, so a document
    /// with thousands of unknown names gets suggestions for the first ones only.
    suggestions_left: usize,
    /// Diagnostics counted but not kept, by severity (error, warning, info), once
    /// [`MAX_KEPT`] are kept: a hostile document with millions of bad elements must not
    /// cost a diagnostic's memory each.
    dropped: [usize; 3],
}

/// How many diagnostics one document keeps; the rest are only counted.
pub const MAX_KEPT: usize = 10_000;

impl Default for Diagnostics {
    fn default() -> Self {
        Self { found: Vec::new(), errors: 0, suggestions_left: SUGGESTION_BUDGET, dropped: [0; 3] }
    }
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// How many did-you-mean searches over large name lists one document may use.
const SUGGESTION_BUDGET: usize = 200;

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.errors += usize::from(diagnostic.is_error());
        if self.found.len() < MAX_KEPT {
            self.found.push(diagnostic);
        } else {
            self.dropped[severity_index(diagnostic.severity)] += 1;
        }
    }

    /// How many diagnostics were counted but not kept (past [`MAX_KEPT`]).
    pub fn dropped(&self) -> usize {
        self.dropped.iter().sum()
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// Takes one did-you-mean search from the budget; false once it is spent.
    pub fn take_suggestion(&mut self) -> bool {
        let available = self.suggestions_left > 0;
        self.suggestions_left = self.suggestions_left.saturating_sub(1);
        available
    }

    /// Every diagnostic of `severity` found, kept or not.
    pub fn count(&self, severity: Severity) -> usize {
        self.found.iter().filter(|diagnostic| diagnostic.severity == severity).count() + self.dropped[severity_index(severity)]
    }

    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.found.iter()
    }

    /// Prefixes every kept diagnostic's message with what it is about, as `subject`
    /// names it from the diagnostic's JSON pointer: `` column `posts.title`: … ``. JSON
    /// and GitHub output show no snippet, so the message alone must say where. Called
    /// once, after every rule has run, so each message gets exactly one subject.
    pub fn name_subjects(&mut self, mut subject: impl FnMut(&JsonPointer) -> Option<String>) {
        for diagnostic in &mut self.found {
            if let Some(subject) = subject(&diagnostic.pointer) {
                diagnostic.message = format!("{subject}: {}", diagnostic.message);
            }
        }
    }

    /// The diagnostics in source order (then by code), as users read a file.
    #[must_use]
    pub fn sorted(mut self) -> Self {
        self.found.sort_by(|a, b| {
            (a.primary.span.start, a.primary.span.end, a.code.as_str(), &a.message).cmp(&(
                b.primary.span.start,
                b.primary.span.end,
                b.code.as_str(),
                &b.message,
            ))
        });
        self
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.found.iter()
    }
}

/// The closest of `candidates` to `name`, when one is close enough to be a likely typo.
///
/// A case-insensitive match wins; otherwise the smallest optimal-string-alignment
/// distance of at most a third of the name's length (and at least 1) is taken.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = name.to_lowercase();
    let length = lowered.chars().count();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let candidate_lowered = candidate.to_lowercase();
        if candidate_lowered == lowered {
            return Some(candidate);
        }
        // The distance is at least the difference in length: skip hopeless candidates
        // cheaply (a schema may have thousands of names).
        if candidate_lowered.chars().count().abs_diff(length) > limit {
            continue;
        }
        let distance = strsim::osa_distance(&lowered, &candidate_lowered);
        if best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.filter(|(distance, _)| *distance <= limit).map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("user", ["users", "posts"]), Some("users"));
        assert_eq!(did_you_mean("STRING", ["String", "Text"]), Some("String"));
        assert_eq!(did_you_mean("zzz", ["users", "posts"]), None);
    }
}
