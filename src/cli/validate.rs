//! `backbone validate FILE...`

use clap::Args;

use super::{CompileArgs, ExitStatus, Format, Printer, input};
use crate::compile;
use crate::diagnostics::render::{self, HumanStyle};
use crate::diagnostics::{Diagnostics, Severity};

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Schema documents to check; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    pub strict: bool,
    /// Print nothing for valid documents, and no warnings or notes.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub compile: CompileArgs,
}

pub(crate) fn run(args: &ValidateArgs, printer: &mut Printer) -> ExitStatus {
    let options = args.compile.options();
    let style = HumanStyle { color: printer.stderr_color(args.compile.color), ..HumanStyle::default() };
    if args.files.iter().filter(|path| *path == "-").count() > 1 {
        printer.err("error: `-` (standard input) can be named only once\n");
        return ExitStatus::Error;
    }
    let mut reports = Vec::new();
    let mut status = ExitStatus::Success;
    for path in &args.files {
        let source = match input::read(path, args.compile.max_bytes) {
            Ok(source) => source,
            Err(message) => {
                printer.err(&format!("error: {message}\n"));
                status = ExitStatus::Error;
                continue;
            }
        };
        let compilation = compile(&source, &options);
        let diagnostics = if args.quiet { failing(&compilation.diagnostics, args.strict) } else { compilation.diagnostics.clone() };
        let failed = compilation.diagnostics.has_errors() || (args.strict && compilation.diagnostics.count(Severity::Warning) > 0);
        if failed && status == ExitStatus::Success {
            status = ExitStatus::Invalid;
        }
        match args.format {
            Format::Json => {
                let mut report = render::file_report(&source, &diagnostics);
                // With --strict a warning fails the file; the report says so too.
                report.valid = !failed;
                reports.push(report);
            }
            Format::Github => printer.out(&render::github(&source, &diagnostics)),
            Format::Human => {
                printer.err(&render::human(&source, &diagnostics, style));
                if !args.quiet || failed {
                    printer.err(&summary(source.name(), &compilation.diagnostics, failed));
                }
            }
        }
    }
    if args.format == Format::Json {
        printer.out(&(render::json(&reports) + "\n"));
    }
    status
}

/// The diagnostics that fail a file: errors, and warnings too with `--strict`.
fn failing(diagnostics: &Diagnostics, strict: bool) -> Diagnostics {
    let mut kept = Diagnostics::new();
    for diagnostic in diagnostics.iter().filter(|diagnostic| diagnostic.is_error() || (strict && diagnostic.severity == Severity::Warning)) {
        kept.push(diagnostic.clone());
    }
    kept
}

/// `schema.json: 2 errors, 1 warning` or `schema.json: valid`.
pub(super) fn summary(name: &str, diagnostics: &Diagnostics, failed: bool) -> String {
    let counts: Vec<String> = [(Severity::Error, "error"), (Severity::Warning, "warning"), (Severity::Info, "note")]
        .into_iter()
        .filter_map(|(severity, noun)| {
            let count = diagnostics.count(severity);
            (count > 0).then(|| format!("{count} {noun}{}", if count == 1 { "" } else { "s" }))
        })
        .collect();
    let verdict = if failed { "invalid" } else { "valid" };
    let shown = match diagnostics.dropped() {
        0 => String::new(),
        _ => format!("; only the first {} are shown", diagnostics.len()),
    };
    if counts.is_empty() { format!("{name}: {verdict}\n") } else { format!("{name}: {verdict} ({}{shown})\n", counts.join(", ")) }
}
