//! `backbone completions SHELL`: the shell completion script, from the clap definitions
//! (clap_complete), so it names every subcommand, option and value the binary accepts.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, ExitStatus, Printer};

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

pub(crate) fn run(args: &CompletionsArgs, printer: &mut Printer) -> ExitStatus {
    match script(args.shell) {
        Ok(script) => {
            printer.out(&script);
            ExitStatus::Success
        }
        Err(message) => {
            printer.err(&format!("error: internal error in backbone: {message}\n"));
            ExitStatus::Error
        }
    }
}

/// The completion script of `backbone` for `shell`.
pub(crate) fn script(shell: Shell) -> Result<String, String> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "backbone", &mut script);
    String::from_utf8(script).map_err(|error| format!("the {shell} completion script is not UTF-8: {error}"))
}
