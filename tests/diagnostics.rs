//! Every diagnostic code, shown on a small document that has exactly the problem its
//! name says: `tests/fixtures/invalid/<CODE>_<problem>.json`.
//!
//! For each fixture the test asserts that a diagnostic with the code of the file-name
//! prefix is produced and no other error (no cascade), then snapshots both renderings (human and JSON) into
//! `snapshots/diagnostics/<fixture>.snap`, so a change of message, label position or
//! help text shows up in review. `every_code_has_a_fixture` keeps the set complete.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test diagnostics` (or
//! `cargo insta review`), then read every changed `.snap` file.

#[path = "support/subjects.rs"]
mod subjects;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use backbone::diagnostics::Code;
use backbone::diagnostics::render::{FileReport, HumanStyle, JsonDiagnostic, file_report, human, json};
use backbone::source::Source;
use backbone::{CompileOptions, Limits};

/// Where the fixtures live, relative to the package root.
const FIXTURE_DIR: &str = "tests/fixtures/invalid";

/// One fixture file: its stem (`FK_COLUMN_NOT_FOUND_typo_in_column`) and path.
struct Fixture {
    stem: String,
    path: PathBuf,
}

/// Every `*.json` fixture, sorted by name.
fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE_DIR);
    let mut fixtures: Vec<Fixture> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .map(|path| {
            let stem = path.file_stem().and_then(|stem| stem.to_str()).expect("a UTF-8 file name").to_owned();
            Fixture { stem, path }
        })
        .collect();
    fixtures.sort_by(|a, b| a.stem.cmp(&b.stem));
    assert!(!fixtures.is_empty(), "no fixtures in {}", dir.display());
    fixtures
}

/// The code a fixture is about: the longest code that prefixes its stem, followed by
/// `_` or nothing.
fn expected_code(stem: &str) -> Option<Code> {
    Code::ALL
        .iter()
        .copied()
        .filter(|code| stem.strip_prefix(code.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('_')))
        .max_by_key(|code| code.as_str().len())
}

/// The options a fixture is compiled with: `LIMIT_EXCEEDED` fixtures get a limit to
/// exceed, all others the defaults (no limits).
fn options_for(code: Code) -> CompileOptions {
    if code == Code::LimitExceeded {
        CompileOptions { limits: Limits { max_tables: Some(2), ..Limits::default() }, ..CompileOptions::default() }
    } else {
        CompileOptions::default()
    }
}

/// Compiles one fixture; returns the snapshot text, or why the fixture is wrong.
/// Fixtures whose one mistake is rightly reported twice, with the second error's code.
const SECOND_ERRORS: &[(&str, &[&str])] = &[
    // `primaryKey` is an unknown key, so the table has no primary key.
    ("UNKNOWN_FIELD_camel_case_primary_key", &["NO_PRIMARY_KEY"]),
    // A misspelt required key is both unknown and missing.
    ("UNKNOWN_FIELD_misspelt_back_populates_key", &["MISSING_FIELD"]),
    ("UNKNOWN_FIELD_misspelt_target_table_key", &["MISSING_FIELD"]),
];

fn check_fixture(fixture: &Fixture) -> Result<String, String> {
    let code = expected_code(&fixture.stem).ok_or_else(|| format!("`{}` does not start with a diagnostic code", fixture.stem))?;
    let bytes = std::fs::read(&fixture.path).map_err(|error| format!("cannot read {}: {error}", fixture.path.display()))?;
    let file_name = fixture.path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let source = Source::from_bytes(format!("{FIXTURE_DIR}/{file_name}"), bytes);
    let compilation = backbone::compile(&source, &options_for(code));
    let found: Vec<&str> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect();
    if !found.contains(&code.as_str()) {
        return Err(format!("`{}` produced no `{code}` diagnostic; found [{}]", fixture.stem, found.join(", ")));
    }
    // One problem, one error: any other error is a cascade, unless the fixture's problem
    // really is two (a misspelt required key is unknown and missing at once).
    let allowed = SECOND_ERRORS.iter().find(|(stem, _)| *stem == fixture.stem).map_or(&[][..], |(_, codes)| *codes);
    let extra: Vec<&str> = compilation
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.is_error() && diagnostic.code != code && !allowed.contains(&diagnostic.code.as_str()))
        .map(|diagnostic| diagnostic.code.as_str())
        .collect();
    if !extra.is_empty() {
        return Err(format!("`{}` also produced errors [{}]: a cascade from one problem", fixture.stem, extra.join(", ")));
    }
    let human_text = human(&source, &compilation.diagnostics, HumanStyle { color: false, width: 100 });
    let json_text = json(&[file_report(&source, &compilation.diagnostics)]);
    Ok(format!("{human_text}{json_text}\n"))
}

#[test]
fn every_fixture_produces_its_code_and_matches_its_snapshot() {
    let mut problems = Vec::new();
    let mut mismatched = Vec::new();
    for fixture in fixtures() {
        let text = match check_fixture(&fixture) {
            Ok(text) => text,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots/diagnostics");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&fixture.path);
        // Check every fixture before failing, so one run lists every changed snapshot.
        let stem = fixture.stem.as_str();
        if catch_unwind(AssertUnwindSafe(|| settings.bind(|| insta::assert_snapshot!(stem, text)))).is_err() {
            mismatched.push(fixture.stem);
        }
    }
    assert!(problems.is_empty(), "fixtures that do not show their code:\n  {}", problems.join("\n  "));
    assert!(mismatched.is_empty(), "snapshots that differ (see the diffs above):\n  {}", mismatched.join("\n  "));
}

/// Every `*.json` document under `dir` (relative to the package root), recursively.
fn documents_under(dir: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display())) {
            let path = entry.expect("a readable directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Issue 10: JSON and GitHub output show no snippet, so every diagnostic inside a table
/// names the table (and the column or relationship) in its message or help. Checked on
/// every fixture, valid examples (for their warnings) and the limit fixtures with their
/// limits; the expected names are read from each document, not listed here.
#[test]
fn every_diagnostic_names_its_subject() {
    let mut documents = documents_under("tests/fixtures");
    documents.extend(documents_under("examples"));
    let mut problems = Vec::new();
    let mut named = 0;
    for path in &documents {
        let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
        let options = expected_code(stem).map_or_else(CompileOptions::default, options_for);
        let source = Source::from_bytes(path.display().to_string(), bytes);
        let compilation = backbone::compile(&source, &options);
        let report = file_report(&source, &compilation.diagnostics);
        named += report.diagnostics.iter().filter(|diagnostic| diagnostic.path.starts_with("/schema/")).count();
        problems.extend(subjects::missing_subjects(source.text(), &report).into_iter().map(|problem| format!("{stem}: {problem}")));
    }
    assert!(problems.is_empty(), "diagnostics that do not say what they are about:\n  {}", problems.join("\n  "));
    // The check must have had something to check: most fixtures' diagnostics lie in a table.
    assert!(named > 150, "only {named} diagnostics inside tables in {} documents", documents.len());
}

/// The subject check fails for a message that names only the attribute, as messages did
/// before issue 10, and accepts one that names the table and column.
#[test]
fn subject_check_rejects_a_message_without_its_subject() {
    let text = r#"{"schema": [{"table_name": "users"}, {"table_name": "articles", "columns": [{"name": "id"}, {"name": "headline", "type": "Varchar"}]}]}"#;
    let report = |message: &str| FileReport {
        file: "subjects.json".to_owned(),
        valid: false,
        diagnostics: vec![JsonDiagnostic {
            code: "BAD_VALUE",
            severity: "error",
            message: message.to_owned(),
            path: "/schema/1/columns/1/type".to_owned(),
            line: 1,
            column: 1,
            help: None,
        }],
    };
    assert_eq!(subjects::missing_subjects(text, &report("`Varchar` is not a column type")).len(), 2);
    assert_eq!(subjects::missing_subjects(text, &report("table `articles`: `Varchar` is not a column type")).len(), 1);
    assert!(subjects::missing_subjects(text, &report("column `articles.headline`: `Varchar` is not a column type")).is_empty());
}

#[test]
fn every_code_has_a_fixture() {
    let covered: Vec<Code> = fixtures().iter().filter_map(|fixture| expected_code(&fixture.stem)).collect();
    let missing: Vec<&str> = Code::ALL.iter().filter(|code| !covered.contains(code)).map(|code| code.as_str()).collect();
    assert!(missing.is_empty(), "codes without a fixture in {FIXTURE_DIR}: {}", missing.join(", "));
}

#[test]
fn every_snapshot_has_a_fixture() {
    let stems: Vec<String> = fixtures().into_iter().map(|fixture| fixture.stem).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/diagnostics");
    let entries = std::fs::read_dir(&dir).expect("snapshots/diagnostics exists");
    let mut stale: Vec<String> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "snap"))
        .filter_map(|path| path.file_stem().and_then(|stem| stem.to_str()).map(str::to_owned))
        .filter(|stem| !stems.contains(stem))
        .collect();
    stale.sort();
    assert!(stale.is_empty(), "snapshots without a fixture (delete them): {}", stale.join(", "));
}

#[test]
fn fixture_names_pick_the_longest_code() {
    assert_eq!(expected_code("FK_COLUMN_NOT_FOUND_typo_in_column"), Some(Code::FkColumnNotFound));
    assert_eq!(expected_code("SET_DEFAULT_NO_DEFAULT_author"), Some(Code::SetDefaultNoDefault));
    assert_eq!(expected_code("REL_FK_INVALID"), Some(Code::RelFkInvalid));
    assert_eq!(expected_code("EMPTYISH_thing"), None);
}
