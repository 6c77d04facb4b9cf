//! The documentation a newcomer reads is true of the repository: every link in README.md,
//! ARCHITECTURE.md and docs/ leads to a file (and heading) of the repository, the input
//! format reference (docs/format.md) names exactly the keys lowering reads and every
//! diagnostic code with its severity, its example is `examples/library.json` and valid,
//! and the Rust version the README and the Dockerfile state is the one Cargo.toml
//! declares, which no dependency exceeds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use backbone::diagnostics::Code;
use backbone::ir::lower::{COLUMN_KEYS, OPTIONS_KEYS, PROJECT_KEYS, RELATIONSHIP_KEYS, TABLE_KEYS};

const FORMAT: &str = "docs/format.md";

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

/// The Markdown files of `directory`, sorted.
fn markdown_in(directory: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("read {directory}/: {error}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    files.sort();
    files
}

/// The Markdown files a reader of the repository is pointed at, the explanations of
/// docs/codes/ included.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md"), PathBuf::from("ARCHITECTURE.md")];
    files.extend(markdown_in("docs"));
    files.extend(markdown_in("docs/codes"));
    files
}

/// The text outside fenced code blocks and inline code spans, line by line (a link in a
/// code sample is not a link).
fn prose(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            lines.push(String::new());
            continue;
        }
        if fenced {
            lines.push(String::new());
            continue;
        }
        let mut kept = String::new();
        for (idx, part) in line.split('`').enumerate() {
            if idx % 2 == 0 {
                kept.push_str(part);
            }
        }
        lines.push(kept);
    }
    lines
}

/// The targets of the inline links `[text](target)` of a document, with their lines.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (idx, line) in prose(text).iter().enumerate() {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push((idx + 1, after[..end].trim().to_owned()));
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchor for a heading: lowercase, punctuation other than `-` and `_` dropped,
/// spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown document's headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut found = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.insert(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn every_link_leads_to_a_file_and_heading_of_the_repository() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = read(&document);
        for (line, target) in links(&text) {
            if target.starts_with("https://") || target.starts_with("http://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, fragment) = target.split_once('#').map_or((target.as_str(), None), |(path, fragment)| (path, Some(fragment)));
            let file = if path.is_empty() { document.clone() } else { document.parent().unwrap_or(Path::new("")).join(path) };
            let inside = std::path::absolute(&file).is_ok_and(|file| file.starts_with(std::path::absolute(".").expect("current directory")));
            if !inside || !file.exists() {
                broken.push(format!("{}:{line}: `{target}`: no file {} in the repository", document.display(), file.display()));
                continue;
            }
            if let Some(fragment) = fragment
                && file.extension().is_some_and(|extension| extension == "md")
                && !anchors(&read(&file)).contains(fragment)
            {
                broken.push(format!("{}:{line}: `{target}`: {} has no heading with anchor `#{fragment}`", document.display(), file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked >= 3, "expected the README, ARCHITECTURE.md and docs/ to link each other, found {checked} local links");
}

#[test]
fn nothing_points_outside_the_repository() {
    // A clone has no sibling directories: the format reference lives in docs/format.md.
    let needle = ["..", "shared"].join("/");
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = ["src", "tests", "docs", "scripts", "deploy", "benches", "templates"].iter().map(PathBuf::from).collect();
    pending.extend([PathBuf::from("README.md"), PathBuf::from("ARCHITECTURE.md"), PathBuf::from("Cargo.toml")]);
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).expect("readable directory").map(|entry| entry.expect("directory entry").path()));
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            for (idx, line) in text.lines().enumerate() {
                if line.contains(&needle) {
                    found.push(format!("{}:{}: {}", path.display(), idx + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "references to files outside the repository:\n{}", found.join("\n"));
}

/// The body of the section of docs/format.md whose heading starts with `heading`, up to
/// the next heading of the same or a higher level.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let start = text.find(&format!("\n{heading}")).unwrap_or_else(|| panic!("{FORMAT} has no section `{heading}`")) + 1;
    let body = &text[start..];
    let body_start = body.find('\n').map_or(body.len(), |at| at + 1);
    let end = body[body_start..]
        .match_indices("\n#")
        .find(|(at, _)| body[body_start + at + 1..].chars().take_while(|c| *c == '#').count() <= level)
        .map_or(body.len(), |(at, _)| body_start + at + 1);
    &body[body_start..end]
}

/// The first column of every row of the `table`-th Markdown table of `text` (0-based),
/// without its backticks.
fn first_column(text: &str, table: usize) -> Vec<String> {
    let mut tables: Vec<Vec<String>> = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with('|') {
            if !in_table {
                tables.push(Vec::new());
                in_table = true;
            }
            let cell = line.trim_start_matches('|').split('|').next().unwrap_or_default().trim();
            if let Some(rows) = tables.last_mut() {
                rows.push(cell.trim_matches('`').to_owned());
            }
        } else {
            in_table = false;
        }
    }
    let rows = tables.get(table).unwrap_or_else(|| panic!("expected at least {} table(s) in the section", table + 1));
    // Skip the header and the `|---|` line.
    rows.iter().skip(2).cloned().collect()
}

fn sorted(keys: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut keys: Vec<String> = keys.into_iter().map(Into::into).collect();
    keys.sort();
    keys
}

#[test]
fn the_format_reference_names_exactly_the_keys_lowering_reads() {
    let text = read(FORMAT);
    for (heading, keys) in
        [("### 3.1", PROJECT_KEYS), ("### 3.2", TABLE_KEYS), ("### 3.3", OPTIONS_KEYS), ("### 3.4", COLUMN_KEYS), ("### 3.5", RELATIONSHIP_KEYS)]
    {
        assert_eq!(sorted(first_column(section(&text, heading), 0)), sorted(keys.iter().copied()), "the key table of {FORMAT} {heading}");
    }
}

#[test]
fn the_format_reference_lists_every_column_type_of_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&backbone::syntax::document::json_schema()).expect("the schema is JSON");
    let types = schema["$defs"]["ColumnType"]["oneOf"].as_array().expect("ColumnType is a oneOf");
    let types = sorted(types.iter().map(|variant| variant["const"].as_str().expect("a type name").to_owned()));
    assert!(types.len() >= 10, "expected the column types, found {types:?}");
    assert_eq!(sorted(first_column(section(&read(FORMAT), "### 3.4"), 1)), types, "the type table of {FORMAT} §3.4");
}

#[test]
fn the_format_reference_lists_every_code_with_its_severity() {
    let rules = section(&read(FORMAT), "## 6.").to_owned();
    let documented: Vec<String> =
        rules.lines().filter(|line| line.starts_with("| `")).map(|line| line.split('|').take(3).collect::<Vec<_>>().join("|")).collect();
    let expected: Vec<String> = Code::ALL.iter().map(|code| format!("| `{code}` | {} ", code.severity().as_str())).collect();
    assert_eq!(documented, expected, "the rule table of {FORMAT} §6 must list every code of `backbone explain`, in its order, with its severity");
}

#[test]
fn the_format_example_is_the_library_example_and_valid() {
    let example = section(&read(FORMAT), "## 2.").to_owned();
    let start = example.find("```json\n").expect("§2 has a JSON block") + "```json\n".len();
    let block = &example[start..start + example[start..].find("```").expect("the JSON block is closed")];
    let written: serde_json::Value = serde_json::from_str(block).expect("the §2 example is JSON");
    let library: serde_json::Value = serde_json::from_str(&read("examples/library.json")).expect("examples/library.json is JSON");
    assert_eq!(written, library, "the example of {FORMAT} §2 is examples/library.json");
    let compilation = backbone::compile(&backbone::source::Source::new("format.md", block), &backbone::CompileOptions::default());
    assert!(compilation.is_valid(), "the §2 example is invalid: {:?}", compilation.diagnostics);
}

/// `1.95` as `(1, 95, 0)`.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.trim().split('.').map(|part| part.parse::<u64>().unwrap_or_else(|_| panic!("`{text}` is not a version")));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

fn declared_rust_version() -> String {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml is TOML");
    manifest["package"]["rust-version"].as_str().expect("Cargo.toml declares a rust-version").to_owned()
}

#[test]
fn the_stated_rust_version_is_the_declared_one() {
    let declared = declared_rust_version();
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust toolchain ({declared} or newer)")),
        "README.md must state the rust-version of Cargo.toml: \"Rust toolchain ({declared} or newer)\""
    );
    let dockerfile = read("deploy/Dockerfile");
    assert!(dockerfile.contains(&format!("FROM rust:{declared}-")), "deploy/Dockerfile must build with Rust {declared}, the rust-version of Cargo.toml");
    assert!(readme.contains(&format!("Rust {declared} builder")), "README.md must describe the Dockerfile's Rust {declared} builder");
}

#[test]
fn no_dependency_needs_a_newer_rust_than_declared() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let host = std::process::Command::new(rustc).arg("-vV").output().expect("run rustc -vV");
    let host = String::from_utf8_lossy(&host.stdout).lines().find_map(|line| line.strip_prefix("host: ").map(str::to_owned)).expect("rustc -vV names the host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline", "--filter-platform", &host])
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let declared = declared_rust_version();
    let newer: Vec<String> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| {
            let needed = package["rust_version"].as_str()?;
            (version(needed) > version(&declared))
                .then(|| format!("{} {} needs Rust {needed}", package["name"].as_str().unwrap_or("?"), package["version"].as_str().unwrap_or("?")))
        })
        .collect();
    assert!(newer.is_empty(), "Cargo.toml declares rust-version {declared}, but:\n{}", newer.join("\n"));
}
