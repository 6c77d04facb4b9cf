//! GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`), so that CI
//! shows each diagnostic on the line it is about.

use std::fmt::Write;

use super::Locator;
use crate::diagnostics::{Diagnostics, Severity};
use crate::source::Source;

/// One annotation line per diagnostic.
pub fn github(source: &Source, diagnostics: &Diagnostics) -> String {
    let locator = Locator::new(source);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let position = locator.locate(diagnostic.primary.span.start);
        let mut message = super::printable(&diagnostic.message).into_owned();
        if let Some(help) = &diagnostic.help {
            let _ = write!(message, "\nhelp: {}", super::printable(help));
        }
        let _ = writeln!(
            out,
            "::{command} title={},file={},line={},col={}::{}",
            escape_property(&format!("backbone ({})", diagnostic.code)),
            escape_property(source.name()),
            position.line,
            position.column,
            escape_data(&message),
        );
    }
    out
}

/// Escapes a workflow-command message (GitHub's `escapeData`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow-command property (GitHub's `escapeProperty`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_end_the_command() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
