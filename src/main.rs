//! The `backbone` binary: parses the command line and hands over to [`backbone::cli`].

use std::process::ExitCode;

// Compilation allocates many small strings and nodes; mimalloc handles that pattern
// about a third faster than the system allocator (see README, Performance). Built with
// `no_thp`: with transparent huge pages every fresh 2 MB region is faulted in and zeroed
// whole, which cost a quarter of the peak memory and a fifth of the time of `generate`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    backbone::cli::main()
}
