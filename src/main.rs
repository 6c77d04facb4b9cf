//! The `backbone` binary: parses the command line and hands over to [`backbone::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    backbone::cli::main()
}
