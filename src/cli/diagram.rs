//! `backbone diagram FILE [--format mermaid|dot|svg] [-o FILE]`

use clap::{Args, ValueEnum};

use super::{CompileArgs, ExitStatus, Printer};
use crate::diagram::{self, DiagramFormat};

#[derive(Debug, Clone, Args)]
pub struct DiagramArgs {
    /// The schema document; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The picture's language.
    #[arg(long, value_enum, default_value_t = DiagramFormatArg::Mermaid)]
    pub format: DiagramFormatArg,
    /// Write the diagram to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub compile: CompileArgs,
}

/// `--format` of `backbone diagram`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormatArg {
    /// A Mermaid erDiagram (GitHub renders it in Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tpng`).
    Dot,
    /// A standalone SVG image, laid out by backbone itself.
    Svg,
}

pub(crate) fn run(args: &DiagramArgs, printer: &mut Printer) -> ExitStatus {
    let (_, compilation) = match super::compile_valid(&args.file, &args.compile, printer) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let Some((schema, _)) = compilation.valid_schema() else { return ExitStatus::Invalid };
    let format = match args.format {
        DiagramFormatArg::Mermaid => DiagramFormat::Mermaid,
        DiagramFormatArg::Dot => DiagramFormat::Dot,
        DiagramFormatArg::Svg => DiagramFormat::Svg,
    };
    let text = diagram::render(schema, format);
    match &args.output {
        None => printer.out(&text),
        Some(path) => {
            if let Err(error) = std::fs::write(path, text) {
                printer.err(&format!("error: cannot write {}: {error}\n", path.display()));
                return ExitStatus::Error;
            }
        }
    }
    ExitStatus::Success
}
