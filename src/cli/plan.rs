//! `backbone plan FILE`

use clap::{Args, ValueEnum};

use super::{CompileArgs, ExitStatus, Printer};
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
    let (_, compilation) = match super::compile_valid(&args.file, &args.compile, printer) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let Some((schema, order)) = compilation.valid_schema() else { return ExitStatus::Invalid };
    let plan = Plan::new(schema, order);
    match args.format {
        PlanFormat::Human => printer.out(&plan.to_human()),
        // Serializing strings and lists cannot fail.
        PlanFormat::Json => printer.out(&(serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n")),
    }
    ExitStatus::Success
}
