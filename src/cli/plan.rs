//! `backbone plan FILE`

use clap::{Args, ValueEnum};

use super::{CompileArgs, ExitStatus, Printer, input};
use crate::compile;
use crate::diagnostics::render::{self, HumanStyle};
use crate::plan::Plan;

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The schema document; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub compile: CompileArgs,
}

/// How the plan is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Json,
}

pub(crate) fn run(args: &PlanArgs, printer: &mut Printer) -> ExitStatus {
    let source = match input::read(&args.file, args.compile.max_bytes) {
        Ok(source) => source,
        Err(message) => {
            printer.err(&format!("error: {message}\n"));
            return ExitStatus::Error;
        }
    };
    let compilation = compile(&source, &args.compile.options());
    let style = HumanStyle { color: printer.stderr_color(args.compile.color), ..HumanStyle::default() };
    let Some((schema, order)) = compilation.valid_schema() else {
        printer.err(&render::human(&source, &compilation.diagnostics, style));
        printer.err(&super::validate::summary(source.name(), &compilation.diagnostics, true));
        return ExitStatus::Invalid;
    };
    let plan = Plan::new(schema, order);
    match args.format {
        PlanFormat::Human => printer.out(&plan.to_human()),
        // Serializing strings and lists cannot fail.
        PlanFormat::Json => printer.out(&(serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n")),
    }
    ExitStatus::Success
}
