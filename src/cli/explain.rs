//! `backbone explain [CODE]`

use std::fmt::Write;

use clap::Args;

use super::{ExitStatus, Printer};
use crate::diagnostics::{Code, did_you_mean};

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The code to explain, e.g. `FK_COLUMN_NOT_FOUND`; without it, every code is listed.
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

pub(crate) fn run(args: &ExplainArgs, printer: &mut Printer) -> ExitStatus {
    let Some(name) = &args.code else {
        printer.out(&index());
        return ExitStatus::Success;
    };
    match Code::from_name(name) {
        Some(code) => {
            printer.out(&format!("{} ({})\n\n{}\n", code.as_str(), code.severity().as_str(), code.explanation()));
            ExitStatus::Success
        }
        None => {
            let upper = name.to_ascii_uppercase().replace('-', "_");
            let hint = did_you_mean(&upper, Code::ALL.iter().map(|code| code.as_str())).map_or_else(String::new, |code| format!("; did you mean `{code}`?"));
            printer.err(&format!("error: unknown diagnostic code `{name}`{hint}\nrun `backbone explain` to list every code\n"));
            ExitStatus::Error
        }
    }
}

/// Every code with its severity and one-line summary.
fn index() -> String {
    let mut out = String::new();
    for code in Code::ALL {
        let explanation = code.explanation();
        let summary = explanation.lines().next().unwrap_or_default();
        let _ = writeln!(out, "{:<24} {:<8} {summary}", code.as_str(), code.severity().as_str());
    }
    out
}
