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

    /// A progress display on standard error for long work: drawn only when standard
    /// error is a terminal, so logs and pipes stay clean.
    pub fn progress(&self) -> Progress {
        self.progress_source().start()
    }

    /// What starts a `Progress` later, from any thread (the printer itself cannot be
    /// shared): for work whose length is known only once it runs.
    pub fn progress_source(&self) -> ProgressSource {
        ProgressSource { terminal: self.stderr_is_terminal }
    }

    /// A command-line parsing error or `--help`/`--version` output, as clap formats it.
    pub fn clap_error(&mut self, error: &clap::Error) {
        let text = if self.stderr_is_terminal { error.render().ansi().to_string() } else { error.render().to_string() };
        if error.use_stderr() { self.err(&text) } else { self.out(&text) }
    }
}

/// Starts progress displays on standard error; see [`Printer::progress_source`].
#[derive(Debug, Clone, Copy)]
pub struct ProgressSource {
    terminal: bool,
}

impl ProgressSource {
    /// A progress display, drawn only when standard error is a terminal.
    pub fn start(self) -> Progress {
        if !self.terminal {
            return Progress { bar: None };
        }
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Progress { bar: Some(bar) }
    }
}

/// A progress bar, or nothing when standard error is not a terminal. Cleared on drop, so
/// the messages that follow are not interleaved with it.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A progress display that draws nothing.
    pub fn hidden() -> Self {
        Self { bar: None }
    }

    /// A step of unknown length: a spinner and `message`.
    pub fn step(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_length(0);
            bar.set_position(0);
            bar.set_message(message.to_owned());
        }
    }

    /// A step of `total` units, advanced with [`Progress::advance`].
    pub fn counted(&self, message: &str, total: usize) {
        if let Some(bar) = &self.bar {
            let style = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
                .map_or_else(|_| indicatif::ProgressStyle::default_bar(), |style| style.progress_chars("=> "));
            bar.set_style(style);
            bar.set_length(total as u64);
            bar.set_position(0);
            bar.set_message(message.to_owned());
        }
    }

    /// One more unit done; callable from any thread.
    pub fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
