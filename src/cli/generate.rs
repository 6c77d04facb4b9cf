//! `backbone generate FILE -o OUT [--force] [--check]`: compile, render the Python target
//! to memory, then write it with [`emit::write`] or compare it with [`emit::check`].
//!
//! Invariants: an invalid schema writes nothing; generated Python that does not parse
//! (a backbone bug) writes nothing; `--check` never writes.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::printer::Progress;
use super::refine::{self, RefineArgs};
use super::{CompileArgs, ExitStatus, Printer};
use crate::diagnostics::render::{self, HumanStyle};
use crate::diagnostics::{Diagnostics, Severity};
use crate::emit::{self, EmitError, EmitOptions, WriteReport};
use crate::target::python;
use crate::target::python::verify::SyntaxFault;

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
    let (source, compilation) = match super::compile_valid(&args.file, &args.compile, printer) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let style = HumanStyle { color: printer.stderr_color(args.compile.color), ..HumanStyle::default() };
    let Some((schema, order)) = compilation.valid_schema() else { return ExitStatus::Invalid };
    // Warnings are worth seeing on every run; notes are for `validate`.
    let warnings = warnings(&compilation.diagnostics);
    if !warnings.is_empty() {
        printer.err(&render::human(&source, &warnings, style));
    }
    // Small schemas finish before a bar could be read; large ones (and a wait for an LLM)
    // get one, on a terminal.
    let long = schema.tables.len() >= LARGE_SCHEMA_TABLES || args.refine.refine;
    let progress = if long { printer.progress() } else { Progress::hidden() };
    let refined = if args.refine.requested() {
        match refine::run(&args.refine, schema, printer, &progress) {
            Ok(refined) => Some(refined),
            Err(status) => return status,
        }
    } else {
        None
    };
    let schema = refined.as_ref().map_or(schema, |refined| &refined.schema);
    progress.step(&format!("rendering {} tables", schema.tables.len()));
    let mut files = python::render(schema, order);
    if let Some(refined) = refined {
        files.generated(emit::REFINEMENTS_PATH, refined.saved);
    }
    // The files stand alone: free the source and the IR before parsing the output.
    drop((source, compilation));
    progress.counted("checking the generated Python", files.iter().filter(|(path, _)| python::verify::is_python(path)).count());
    let faults = python::verify::check_observed(&files, &|| progress.advance());
    if !faults.is_empty() {
        drop(progress);
        printer.err(&syntax_faults(&faults));
        return ExitStatus::Error;
    }
    progress.step(&format!("{} {} files", if args.check { "comparing" } else { "writing" }, files.len()));
    let out = args.output.display();
    if args.check {
        let checked = emit::check(&args.output, &files);
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

/// Generated Python that does not parse is backbone's bug: say so, name each file, write nothing.
fn syntax_faults(faults: &[SyntaxFault]) -> String {
    let mut text = format!(
        "error: internal error in backbone {}: the generated Python does not parse or breaks a scope rule, so nothing was written\n",
        env!("CARGO_PKG_VERSION")
    );
    for fault in faults {
        let _ = writeln!(text, "  {fault}");
    }
    text.push_str("This is a bug in backbone, not a problem with your schema. Please report it with the document that caused it.\n");
    text
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
