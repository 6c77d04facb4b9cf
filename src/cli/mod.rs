//! The command line: clap definitions, one module per subcommand, and the mapping of
//! outcomes to exit codes (0 valid, 1 schema errors, 2 usage or I/O errors).
//!
//! Invariant: only `printer` writes to the terminal; subcommands return text.

mod completions;
mod diagram;
mod explain;
mod generate;
mod input;
mod man;
mod plan;
mod printer;
mod refine;
mod schema;
mod serve;
mod validate;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::{CompileOptions, Limits};
pub use printer::Printer;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything was valid.
    Success,
    /// A document has errors.
    Invalid,
    /// Bad usage, unreadable input, or an internal error.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Invalid => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

const EXAMPLES: &str = "\
Examples:
  backbone validate examples/library.json        check a schema, human diagnostics
  backbone validate --format json schemas/*.json one JSON report for several files
  backbone plan examples/library.json            build order and relationship pairs
  backbone diagram examples/library.json         the model as a Mermaid ER diagram
  backbone generate examples/library.json -o lib the Python backend, into ./lib
  backbone explain FK_COLUMN_NOT_FOUND           what a diagnostic means and how to fix it
  backbone schema > backbone.schema.json         the JSON Schema of the input format
  backbone serve --listen 127.0.0.1:8080         the HTTP daemon (validate, generate, metrics)
  backbone completions bash                      shell completions (bash, zsh, fish, elvish, powershell)
  backbone man | man -l -                        the manual page

Exit codes: 0 valid (warnings allowed), 1 schema errors (generate: also a refusal or
out of sync with --check), 2 usage or I/O error.";

/// Compiles a JSON description of a database into a Python backend.
#[derive(Debug, Parser)]
#[command(name = "backbone", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check schema documents and report every problem.
    #[command(after_help = "Examples:
  backbone validate schema.json
  backbone validate --format github schemas/*.json     annotations for GitHub Actions
  cat schema.json | backbone validate -                read standard input
  backbone validate --strict --max-tables 50 schema.json

Exit codes: 0 valid (warnings allowed unless --strict), 1 schema errors, 2 usage or I/O error.")]
    Validate(validate::ValidateArgs),
    /// Show the resolved model: build order, dependencies and relationship pairs.
    #[command(after_help = "Examples:
  backbone plan examples/library.json
  backbone plan --format json examples/library.json | jq '.tables[].table'")]
    Plan(plan::PlanArgs),
    /// Draw the model: tables, columns, keys and relationships (Mermaid, DOT or SVG).
    #[command(after_help = "Examples:
  backbone diagram examples/library.json                     Mermaid, for Markdown
  backbone diagram examples/library.json --format svg -o library.svg
  backbone diagram examples/library.json --format dot | dot -Tpng > library.png")]
    Diagram(diagram::DiagramArgs),
    /// Generate the Python backend into a directory, atomically (or compare with --check).
    #[command(after_help = "Examples:
  backbone generate examples/library.json -o library   write or update ./library
  backbone generate schema.json -o backend --check     CI: is backend/ in sync?
  backbone generate schema.json -o backend --force     overwrite edited generated files

Generated files carry a header and are rewritten each run; files meant for your code are
created once and never overwritten; anything else in OUT (.venv, .git, your modules) is kept.

Exit codes: 0 written (or in sync with --check), 1 schema errors, a refusal (edited files,
a directory backbone did not generate) or out of sync with --check, 2 usage or I/O error.")]
    Generate(Box<generate::GenerateArgs>),
    /// Print the JSON Schema (draft 2020-12) of the input format.
    #[command(after_help = "Examples:
  backbone schema > backbone.schema.json
  In a document: {\"$schema\": \"./backbone.schema.json\", …} gives editors completion.")]
    Schema,
    /// Explain a diagnostic code, with a wrong and a fixed example.
    #[command(after_help = "Examples:
  backbone explain FK_COLUMN_NOT_FOUND
  backbone explain fk-column-not-found      case and dashes do not matter
  backbone explain                          list every code")]
    Explain(explain::ExplainArgs),
    /// Run the HTTP daemon: validate and generate over HTTP, with auth, rate limits and metrics.
    #[command(after_help = "Examples:
  backbone serve                                   127.0.0.1:8080, no auth, in-memory limits
  backbone serve --listen 0.0.0.0:8080 --api-keys-file keys.toml --jwt-secret \"$SECRET\"
  backbone serve --config backbone.toml --rate-limit-store redis://127.0.0.1:6379

Every flag has a BACKBONE_* variable; precedence: flag > variable > --config file > default.
SIGTERM/SIGINT drain and stop gracefully; SIGHUP reloads the API key file.")]
    Serve(Box<serve::ServeArgs>),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(after_help = "Examples:
  backbone completions bash > ~/.local/share/bash-completion/completions/backbone
  backbone completions zsh > ~/.zfunc/_backbone       with `fpath+=~/.zfunc` before `compinit`
  backbone completions fish > ~/.config/fish/completions/backbone.fish
  source <(backbone completions bash)                 this shell only")]
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(after_help = "Examples:
  backbone man | man -l -                             read it now
  backbone man --dir ~/.local/share/man/man1          backbone.1, backbone-validate.1, …; then `man backbone`")]
    Man(man::ManArgs),
}

/// How diagnostics are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Reports with source snippets, for people.
    Human,
    /// One JSON object on standard output, for programs.
    Json,
    /// GitHub Actions annotations (`::error file=…`).
    Github,
}

/// Whether to color human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when writing to a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

/// Options shared by the commands that compile documents.
#[derive(Debug, Clone, Args)]
pub struct CompileArgs {
    /// Reject documents with more tables than this (no limit by default).
    #[arg(long, value_name = "N")]
    pub max_tables: Option<usize>,
    /// Reject tables with more columns than this, as written (no limit by default).
    #[arg(long, value_name = "N")]
    pub max_columns: Option<usize>,
    /// Reject tables with more relationships than this (no limit by default).
    #[arg(long, value_name = "N")]
    pub max_relationships: Option<usize>,
    /// Reject documents larger than this many bytes (no limit by default).
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<usize>,
    /// Color for human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl CompileArgs {
    pub fn options(&self) -> CompileOptions {
        CompileOptions {
            limits: Limits { max_tables: self.max_tables, max_columns: self.max_columns, max_relationships: self.max_relationships },
            max_bytes: self.max_bytes,
        }
    }
}

/// Reads and compiles `file` for a command that needs a valid document: an unreadable
/// file or an invalid document is reported here, and its exit status returned instead.
fn compile_valid(file: &str, args: &CompileArgs, printer: &mut Printer) -> Result<(crate::source::Source, crate::Compilation), ExitStatus> {
    let source = input::read(file, args.max_bytes).map_err(|message| {
        printer.err(&format!("error: {message}\n"));
        ExitStatus::Error
    })?;
    let compilation = crate::compile(&source, &args.options());
    if !compilation.is_valid() {
        let style = crate::diagnostics::render::HumanStyle { color: printer.stderr_color(args.color), ..Default::default() };
        printer.err(&crate::diagnostics::render::human(&source, &compilation.diagnostics, style));
        printer.err(&validate::summary(source.name(), &compilation.diagnostics, true));
        return Err(ExitStatus::Invalid);
    }
    Ok((source, compilation))
}

/// Runs a parsed command line.
pub fn run(cli: Cli, printer: &mut Printer) -> ExitStatus {
    match cli.command {
        Command::Validate(args) => validate::run(&args, printer),
        Command::Plan(args) => plan::run(&args, printer),
        Command::Diagram(args) => diagram::run(&args, printer),
        Command::Generate(args) => generate::run(&args, printer),
        Command::Schema => schema::run(printer),
        Command::Explain(args) => explain::run(&args, printer),
        Command::Serve(args) => serve::run(&args, printer),
        Command::Completions(args) => completions::run(&args, printer),
        Command::Man(args) => man::run(&args, printer),
    }
}

/// The binary's entry point: parse arguments, run, map to an exit code. A panic is a
/// bug: it is reported as one (exit 2), without a backtrace aimed at developers.
pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        Printer::terminal().err(&format!(
            "error: internal error in backbone {}: {info}\nThis is a bug in backbone, not a problem with your schema. \
             Please report it with the document that caused it.\n",
            env!("CARGO_PKG_VERSION")
        ));
    }));
    let mut printer = Printer::terminal();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let status = if error.use_stderr() { ExitStatus::Error } else { ExitStatus::Success };
            printer.clap_error(&error);
            return status.into();
        }
    };
    let status = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli, &mut printer))) {
        Ok(status) => status,
        Err(_) => ExitStatus::Error,
    };
    if let Some(error) = printer.write_error() {
        let message = format!("error: cannot write the output: {error}\n");
        printer.err(&message);
        return ExitStatus::Error.into();
    }
    status.into()
}
