//! `backbone generate FILE -o OUT [--force] [--check]`: read the document (and a saved
//! refinement), run [`crate::generate()`] — the library's one generation path, which the
//! daemon runs too — then write its files with [`emit::write`] or compare them with
//! [`emit::compare`], and report.
//!
//! Invariants: an invalid schema writes nothing, nor does a refinement that breaks a
//! rule; a template failure or generated Python that does not parse (backbone bugs) exit
//! 2 and write nothing; `--check` never writes.

use std::fmt::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::Args;

use super::printer::Progress;
use super::refine::{self, RefineArgs, Requested};
use super::{CompileArgs, ExitStatus, Printer};
use crate::diagnostics::render::{self, HumanStyle};
use crate::diagnostics::{Diagnostics, Severity};
use crate::emit::{self, EmitError, EmitOptions, WriteReport};
use crate::generate::{Fault, GenerateOptions, Generation, Outcome, RefinementSource, Step};
use crate::source::Source;

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// The schema document; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The output directory; created when missing.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Overwrite or remove generated files edited since the last run, replace files
    /// backbone did not write, and generate into a non-empty directory without a manifest.
    #[arg(long, conflicts_with = "check")]
    pub force: bool,
    /// Write nothing; exit 1 and list the differences when OUT is not what generate would
    /// write.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub compile: CompileArgs,
    #[command(flatten)]
    pub refine: RefineArgs,
}

pub(crate) fn run(args: &GenerateArgs, printer: &mut Printer) -> ExitStatus {
    let source = match super::input::read(&args.file, args.compile.max_bytes) {
        Ok(source) => source,
        Err(message) => return error(printer, &message),
    };
    let requested = match refine::requested(&args.refine) {
        Ok(requested) => requested,
        Err(message) => return error(printer, &message),
    };
    // Small schemas finish before a bar could be read; large ones (and a wait for an LLM)
    // get one, on a terminal.
    let progress = OnceLock::new();
    let progress_source = printer.progress_source();
    let live = match &requested {
        Requested::Live(settings) => {
            let _ = progress.set(progress_source.start());
            Some(refine::Live::new(&args.refine, settings, &progress))
        }
        Requested::Nothing | Requested::Recorded(_) => None,
    };
    let refinement = match (&requested, &live) {
        (Requested::Recorded(recorded), _) => RefinementSource::Recorded(recorded),
        (_, Some(live)) => RefinementSource::Ask(live),
        _ => RefinementSource::None,
    };
    let observe = |step: Step| {
        if let Step::Compiled { tables } = step
            && tables >= LARGE_SCHEMA_TABLES
        {
            progress.get_or_init(|| progress_source.start());
        }
        let Some(progress) = progress.get() else { return };
        match step {
            Step::Compiled { .. } => {}
            Step::Rendering { tables } => progress.step(&format!("rendering {tables} tables")),
            Step::Verifying { modules } => progress.counted("checking the generated Python", modules),
            Step::Verified => progress.advance(),
        }
    };
    let options = GenerateOptions { compile: args.compile.options(), refinement, observe: &observe };
    let Generation { diagnostics, outcome } = crate::generate(&source, &options);
    let lines = live.as_ref().map(refine::Live::lines).unwrap_or_default();
    let style = HumanStyle { color: printer.stderr_color(args.compile.color), ..HumanStyle::default() };
    let (files, refinement) = match outcome {
        Outcome::Generated(project) => (project.files, project.refinement),
        Outcome::Invalid => {
            drop(progress);
            printer.err(&render::human(&source, &diagnostics, style));
            printer.err(&super::validate::summary(source.name(), &diagnostics, true));
            return ExitStatus::Invalid;
        }
        Outcome::RefineFailed(failure) => {
            drop(progress);
            print_warnings(printer, &source, &diagnostics, style, &lines);
            return error(printer, &format!("refine: {failure}"));
        }
        Outcome::RefinementRejected(pass) => {
            drop(progress);
            print_lines(printer, &lines);
            printer.err(&refine::report(&pass.review));
            printer.err(&render::human(&source, &diagnostics, style));
            printer.err(&format!(
                "error: the refined model breaks rules that {} keeps (above), so the refinement is refused and nothing was written\n",
                source.name()
            ));
            return ExitStatus::Invalid;
        }
        Outcome::Fault(fault) => {
            drop(progress);
            printer.err(&internal_error(&fault));
            return ExitStatus::Error;
        }
    };
    // Warnings are worth seeing on every run; notes are for `validate`.
    print_warnings(printer, &source, &diagnostics, style, &lines);
    if let Some(pass) = &refinement {
        printer.err(&refine::report(&pass.review));
    }
    drop(source);
    let progress = progress.into_inner().unwrap_or_else(Progress::hidden);
    progress.step(&format!("{} {} files", if args.check { "comparing" } else { "writing" }, files.len()));
    let out = args.output.display();
    if args.check {
        let checked = emit::compare(&args.output, &files);
        drop(progress);
        return match checked {
            Ok(report) if report.is_clean() => {
                printer.err(&format!("{out} is up to date ({} files)\n", files.len()));
                ExitStatus::Success
            }
            Ok(report) => {
                let mut lines = String::new();
                for difference in &report.differences {
                    // Writing to a `String` cannot fail.
                    let _ = writeln!(lines, "{difference}");
                }
                printer.out(&lines);
                let count = report.differences.len();
                printer.err(&format!("{out} is out of date: {count} difference{}; run `backbone generate {} -o {out}`\n", plural(count), args.file));
                ExitStatus::Invalid
            }
            Err(error) => fail(&error, printer),
        };
    }
    let written = emit::write(&args.output, &files, &EmitOptions { force: args.force });
    drop(progress);
    match written {
        Ok(report) => {
            printer.err(&summary(&report, &out.to_string()));
            ExitStatus::Success
        }
        Err(error) => fail(&error, printer),
    }
}

/// A template that fails or generated Python that does not parse is backbone's bug:
/// say so, name each file, write nothing.
fn internal_error(fault: &Fault) -> String {
    let mut text = format!("error: internal error in backbone {}: ", env!("CARGO_PKG_VERSION"));
    match fault {
        Fault::Render(error) => {
            let _ = writeln!(text, "{error}, so nothing was written");
        }
        Fault::Verify(faults) => {
            text.push_str("the generated Python does not parse or breaks a scope rule, so nothing was written\n");
            for fault in faults {
                let _ = writeln!(text, "  {fault}");
            }
        }
    }
    text.push_str("This is a bug in backbone, not a problem with your schema. Please report it with the document that caused it.\n");
    text
}

fn error(printer: &mut Printer, message: &str) -> ExitStatus {
    printer.err(&format!("error: {message}\n"));
    ExitStatus::Error
}

fn print_lines(printer: &mut Printer, lines: &[String]) {
    for line in lines {
        printer.err(line);
    }
}

/// The document's warnings, then what the refinement pass said.
fn print_warnings(printer: &mut Printer, source: &Source, diagnostics: &Diagnostics, style: HumanStyle, lines: &[String]) {
    let warnings = warnings(diagnostics);
    if !warnings.is_empty() {
        printer.err(&render::human(source, &warnings, style));
    }
    print_lines(printer, lines);
}

/// From this many tables on, generation takes long enough to show progress.
const LARGE_SCHEMA_TABLES: usize = 300;

fn warnings(diagnostics: &Diagnostics) -> Diagnostics {
    let mut warnings = Diagnostics::new();
    for diagnostic in diagnostics.iter().filter(|diagnostic| diagnostic.severity == Severity::Warning) {
        warnings.push(diagnostic.clone());
    }
    warnings
}

/// A refusal exits 1, an I/O failure 2.
fn fail(error: &EmitError, printer: &mut Printer) -> ExitStatus {
    printer.err(&format!("error: {error}\n"));
    if error.is_refusal() { ExitStatus::Invalid } else { ExitStatus::Error }
}

/// `generated 23 files in OUT (2 user files kept)`, then each change `--force` discarded.
fn summary(report: &WriteReport, out: &str) -> String {
    let mut details = Vec::new();
    for (count, what) in [(report.user_created.len(), "created"), (report.user_kept.len(), "kept")] {
        if count > 0 {
            details.push(format!("{count} user file{} {what}", plural(count)));
        }
    }
    if !report.removed.is_empty() {
        details.push(format!("{} obsolete file{} removed", report.removed.len(), plural(report.removed.len())));
    }
    let mut text = format!("generated {} file{} in {out}", report.generated, plural(report.generated));
    if !details.is_empty() {
        let _ = write!(text, " ({})", details.join(", "));
    }
    text.push('\n');
    for conflict in &report.overwritten {
        let _ = writeln!(text, "  overwritten (--force): {conflict}");
    }
    text
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
