//! `backbone man [--dir DIR]`: the manual pages (roff), rendered by clap_mangen from the
//! clap definitions: `backbone(1)` on standard output, or one page per command in DIR.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::{Cli, ExitStatus, Printer};

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write every page (backbone.1, backbone-validate.1, …) into this directory, created
    /// when missing, instead of printing backbone.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub(crate) fn run(args: &ManArgs, printer: &mut Printer) -> ExitStatus {
    let pages = match pages() {
        Ok(pages) => pages,
        Err(message) => {
            printer.err(&format!("error: internal error in backbone: cannot render the man pages: {message}\n"));
            return ExitStatus::Error;
        }
    };
    let Some(dir) = &args.dir else {
        // The first page is backbone(1) itself.
        if let Some((_, page)) = pages.first() {
            printer.out(page);
        }
        return ExitStatus::Success;
    };
    if let Err(error) = std::fs::create_dir_all(dir) {
        printer.err(&format!("error: cannot create {}: {error}\n", dir.display()));
        return ExitStatus::Error;
    }
    for (name, page) in &pages {
        let path = dir.join(name);
        if let Err(error) = std::fs::write(&path, page) {
            printer.err(&format!("error: cannot write {}: {error}\n", path.display()));
            return ExitStatus::Error;
        }
    }
    printer.err(&format!("wrote {} man pages to {}\n", pages.len(), dir.display()));
    ExitStatus::Success
}

/// Every page as (file name, roff): `backbone.1` first, then one per subcommand
/// (`backbone-validate.1`, …) in the order of `backbone --help`.
pub(crate) fn pages() -> Result<Vec<(String, String)>, String> {
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building gives each subcommand its display name (`backbone-validate`), which names
    // its page, and its bin name (`backbone validate`), which its synopsis shows.
    command.build();
    let mut pages = vec![render(&command)?];
    for subcommand in command.get_subcommands().filter(|subcommand| !subcommand.is_hide_set()) {
        pages.push(render(subcommand)?);
    }
    Ok(pages)
}

fn render(command: &clap::Command) -> Result<(String, String), String> {
    let man = clap_mangen::Man::new(command.clone());
    let name = man.get_filename();
    let mut page = Vec::new();
    man.render(&mut page).map_err(|error| format!("{name}: {error}"))?;
    let page = String::from_utf8(page).map_err(|error| format!("{name} is not UTF-8: {error}"))?;
    Ok((name, page))
}
