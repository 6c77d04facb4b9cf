//! Rules a linter cannot express, checked over the source tree (rust-analyzer's tidy):
//! module docs, where printing and file I/O may happen, who may use petgraph, and no
//! panicking shortcuts or hash-ordered collections in library code.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("read {}: {error}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The file's text without its `#[cfg(test)]` module (unit tests may unwrap and print).
fn production_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable source");
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn relative(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The places where `needle` occurs outside `allowed` files, as `file:line`.
fn offenders(needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in rust_files(Path::new("src")) {
        let name = relative(&path);
        if allowed.iter().any(|prefix| name.starts_with(prefix)) {
            continue;
        }
        for (idx, line) in production_code(&path).lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if needles.iter().any(|needle| code.contains(needle)) {
                found.push(format!("{name}:{}: {}", idx + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let missing: Vec<String> = rust_files(Path::new("src"))
        .into_iter()
        .filter(|path| !std::fs::read_to_string(path).expect("readable source").starts_with("//!"))
        .map(|path| relative(&path))
        .collect();
    assert!(missing.is_empty(), "modules without a `//!` doc saying what they own: {missing:?}");
}

#[test]
fn only_the_printer_prints() {
    let found = offenders(&["println!", "eprintln!", "print!(", "eprint!(", "io::stdout", "io::stderr"], &["src/cli/printer.rs"]);
    assert!(found.is_empty(), "printing outside src/cli/printer.rs:\n{}", found.join("\n"));
}

#[test]
fn only_the_cli_touches_files() {
    // `serve` reads its key file and PEM keys again on reload (SIGHUP, file change), long
    // after the CLI handed over: that one module may read files, and nothing else in it.
    let found = offenders(&["std::fs", "fs::read", "fs::write", "File::"], &["src/cli/", "src/emit.rs", "src/serve/files.rs"]);
    assert!(found.is_empty(), "file I/O outside src/cli, src/emit.rs and src/serve/files.rs:\n{}", found.join("\n"));
}

#[test]
fn only_order_knows_petgraph() {
    let found = offenders(&["petgraph"], &["src/order.rs"]);
    assert!(found.is_empty(), "petgraph outside src/order.rs:\n{}", found.join("\n"));
}

#[test]
fn output_order_never_depends_on_hashing() {
    let found = offenders(&["HashMap", "HashSet"], &[]);
    assert!(found.is_empty(), "hash-ordered collections (use BTreeMap/BTreeSet):\n{}", found.join("\n"));
}

#[test]
fn library_code_does_not_panic_on_purpose() {
    let found = offenders(&[".unwrap()", ".expect(", "panic!(", "unreachable!(", "todo!(", "unimplemented!("], &[]);
    assert!(found.is_empty(), "panicking shortcuts in library code (return a diagnostic instead):\n{}", found.join("\n"));
}
