//! The only code that writes to standard output and standard error.

use std::io::{IsTerminal, Write};

use super::ColorChoice;

/// Where output goes. A broken pipe (`backbone plan | head`) is not an error.
pub struct Printer {
    /// The first failure to write standard output (other than a closed pipe).
    write_error: Option<std::io::Error>,
    stdout: Box<dyn Write>,
    stderr: Box<dyn Write>,
    stderr_is_terminal: bool,
}

impl Printer {
    /// The process's standard output and error.
    pub fn terminal() -> Self {
        Self {
            write_error: None,
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Text to standard output.
    pub fn out(&mut self, text: &str) {
        let written = self.stdout.write_all(text.as_bytes()).and_then(|()| self.stdout.flush());
        if let Err(error) = written
            && error.kind() != std::io::ErrorKind::BrokenPipe
            && self.write_error.is_none()
        {
            self.write_error = Some(error);
        }
    }

    /// The first error writing standard output, if any: the output is incomplete.
    pub fn write_error(&self) -> Option<&std::io::Error> {
        self.write_error.as_ref()
    }

    /// Text to standard error.
    pub fn err(&mut self, text: &str) {
        let _ = self.stderr.write_all(text.as_bytes());
        let _ = self.stderr.flush();
    }

    /// Whether human output on standard error should be colored.
    pub fn stderr_color(&self, choice: ColorChoice) -> bool {
        match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => self.stderr_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
        }
    }

    /// A command-line parsing error or `--help`/`--version` output, as clap formats it.
    pub fn clap_error(&mut self, error: &clap::Error) {
        let text = if self.stderr_is_terminal { error.render().ansi().to_string() } else { error.render().to_string() };
        if error.use_stderr() { self.err(&text) } else { self.out(&text) }
    }
}
