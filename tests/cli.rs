//! The `backbone` binary end to end: exit codes, output formats, colors, standard input,
//! limits, `explain`, `schema` and `plan`, with snapshots of representative runs in
//! `snapshots/cli/`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::cargo::cargo_bin_cmd;
use backbone::diagnostics::{Code, Severity};
use serde_json::Value;

/// A document with two errors: an unknown `db_type` and a foreign key to a missing table.
const INVALID: &str = r#"{
  "project_name": "shop",
  "db_type": "postgres",
  "schema": [
    {
      "table_name": "orders", "class_name": "Order",
      "columns": [
        {"name": "id", "type": "Integer", "primary_key": true},
        {"name": "customer_id", "type": "ForeignKey", "target": "customer.id"}
      ]
    }
  ]
}
"#;

/// A valid document with one warning (`STRING_NO_LENGTH`).
const WARNING: &str = r#"{
  "project_name": "notes",
  "db_type": "sqlite",
  "schema": [
    {"table_name": "notes", "class_name": "Note", "columns": [
      {"name": "id", "type": "Integer", "primary_key": true},
      {"name": "title", "type": "String"}
    ]}
  ]
}
"#;

/// A valid document without any diagnostic.
const CLEAN: &str = r#"{"project_name": "tiny", "db_type": "mysql", "schema": [
  {"table_name": "things", "class_name": "Thing", "columns": [{"name": "id", "type": "Integer", "primary_key": true}]}
]}
"#;

/// Not JSON at all.
const BROKEN: &str = "{\"project_name\": \"x\",\n  \"schema\": [\n";

/// A file in the temporary directory, removed when dropped.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("backbone-cli-{}-{unique}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("temporary directory is writable");
        Self { path }
    }

    fn path(&self) -> &str {
        self.path.to_str().expect("UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The outcome of one run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

/// Runs the binary from the package root with a neutral environment.
fn run_with(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut command = cargo_bin_cmd!("backbone");
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "COLUMNS", "TERM"] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.write_stdin(stdin.unwrap_or_default());
    let output = command.output().expect("the binary runs");
    let run = Run {
        code: output.status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    };
    assert!(!run.stderr.contains("panicked at"), "the binary panicked:\n{}", run.stderr);
    run
}

fn run(args: &[&str]) -> Run {
    run_with(args, None, &[])
}

fn run_stdin(args: &[&str], stdin: &str) -> Run {
    run_with(args, Some(stdin), &[])
}

/// Snapshots the invocation, its exit code and both streams.
fn snapshot(name: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let result = run_with(args, stdin, &[]);
    let text = format!(
        "$ backbone {}{}\nexit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        args.join(" "),
        if stdin.is_some() { " < stdin" } else { "" },
        result.code,
        result.stdout,
        result.stderr
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots/cli");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
    result
}

fn examples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .expect("examples/ exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .map(|path| format!("examples/{}", path.file_name().expect("a file name").to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples");
    files
}

fn has_ansi(text: &str) -> bool {
    text.contains('\u{1b}')
}

// ---------------------------------------------------------------------------------
// Exit codes

#[test]
fn every_example_is_valid() {
    for example in examples() {
        let result = run(&["validate", &example]);
        assert_eq!(result.code, 0, "{example}:\n{}", result.stderr);
        assert!(result.stderr.contains(&format!("{example}: valid")), "{example}:\n{}", result.stderr);
        assert!(result.stdout.is_empty(), "human diagnostics go to stderr");
    }
}

#[test]
fn an_invalid_document_exits_1() {
    let file = TempFile::new("invalid.json", INVALID);
    let result = run(&["validate", file.path()]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stderr.contains("BAD_VALUE") && result.stderr.contains("FK_TABLE_NOT_FOUND"), "{}", result.stderr);
    assert!(result.stderr.contains(&format!("{}: invalid (2 errors)", file.path())), "{}", result.stderr);

    let broken = TempFile::new("broken.json", BROKEN);
    let result = run(&["validate", broken.path()]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stderr.contains("JSON_SYNTAX"), "{}", result.stderr);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = run(&["validate", "no/such/file.json"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no/such/file.json"), "{}", missing.stderr);

    let directory = run(&["validate", "examples"]);
    assert_eq!(directory.code, 2, "{}", directory.stderr);

    for args in [
        &["validate", "--no-such-flag", "examples/library.json"][..],
        &["validate"],
        &["validate", "--format", "xml", "examples/library.json"],
        &["validate", "--color", "sometimes", "examples/library.json"],
        &["validate", "--max-tables", "many", "examples/library.json"],
        &["no-such-command"],
        &[],
        &["plan"],
        &["plan", "examples/library.json", "--format", "github"],
        &["explain", "NO_SUCH_CODE"],
        &["explain", "FK_COLUMN_NOT_FOUND", "extra"],
    ] {
        let result = run(args);
        assert_eq!(result.code, 2, "backbone {}\n{}{}", args.join(" "), result.stdout, result.stderr);
        assert!(!result.stderr.is_empty(), "backbone {}: no message", args.join(" "));
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["validate", "--help"],
        &["plan", "--help"],
        &["explain", "--help"],
        &["schema", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let result = run(args);
        assert_eq!(result.code, 0, "backbone {}\n{}", args.join(" "), result.stderr);
        assert!(!result.stdout.is_empty());
    }
}

#[test]
fn several_files_exit_with_the_worst() {
    let invalid = TempFile::new("several-invalid.json", INVALID);
    let valid = "examples/library.json";
    let cases: [(&[&str], i32); 6] = [
        (&[valid, "examples/blog.json"], 0),
        (&[valid, invalid.path()], 1),
        (&[invalid.path(), valid], 1),
        (&[valid, "missing.json"], 2),
        (&[invalid.path(), "missing.json"], 2),
        (&["missing.json", invalid.path()], 2),
    ];
    for (files, expected) in cases {
        let mut args = vec!["validate"];
        args.extend_from_slice(files);
        let result = run(&args);
        assert_eq!(result.code, expected, "{args:?}\n{}", result.stderr);
        // Every readable file is still reported.
        for file in files.iter().filter(|file| **file != "missing.json") {
            assert!(result.stderr.contains(&format!("{file}: ")), "{file} not reported:\n{}", result.stderr);
        }
    }
}

#[test]
fn fixtures_exit_0_or_1_consistently_with_the_json_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let entries = std::fs::read_dir(&dir).expect("tests/fixtures/invalid exists");
    let mut files: Vec<PathBuf> = entries.map(|entry| entry.expect("directory entry").path()).collect();
    files.sort();
    for path in files.iter().filter(|path| path.extension().is_some_and(|extension| extension == "json")) {
        // A fixture named after a code reports that code; `LIMIT_EXCEEDED` ones need a limit.
        let stem = path.file_stem().expect("a stem").to_string_lossy().into_owned();
        let code = Code::ALL
            .iter()
            .copied()
            .filter(|code| stem.strip_prefix(code.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('_')))
            .max_by_key(|code| code.as_str().len());
        let path = path.to_str().expect("UTF-8 path");
        let mut args = vec!["validate"];
        if code == Some(Code::LimitExceeded) {
            args.extend(["--max-tables", "2"]);
        }
        args.push(path);
        let human = run(&args);
        assert!(human.code == 0 || human.code == 1, "{path}: exit {}\n{}", human.code, human.stderr);
        args.splice(1..1, ["--format", "json"]);
        let json = run(&args);
        assert_eq!(human.code, json.code, "{path}");
        let report = json.json();
        assert_eq!(report["files"][0]["valid"], Value::Bool(json.code == 0), "{path}");
        if let Some(code) = code {
            let codes: Vec<&str> = report["files"][0]["diagnostics"].as_array().expect("diagnostics").iter().filter_map(|d| d["code"].as_str()).collect();
            assert!(codes.contains(&code.as_str()), "{path}: expected {code}, got {codes:?}");
            if code.severity() == Severity::Error {
                assert_eq!(json.code, 1, "{path}: {code} is an error");
            }
            let any_error = codes.iter().any(|found| Code::from_name(found).is_some_and(|found| found.severity() == Severity::Error));
            assert_eq!(json.code == 1, any_error, "{path}: exit {} with {codes:?}", json.code);
        }
    }
}

// ---------------------------------------------------------------------------------
// Formats

#[test]
fn json_format_has_the_documented_shape() {
    let invalid = TempFile::new("shape.json", INVALID);
    let result = run(&["validate", "--format", "json", "examples/library.json", invalid.path(), "-"]);
    assert_eq!(result.code, 1);
    assert!(result.stderr.is_empty(), "JSON mode writes nothing else: {}", result.stderr);
    let report = result.json();
    let root = report.as_object().expect("an object");
    assert_eq!(root.keys().collect::<Vec<_>>(), ["files"]);
    let files = report["files"].as_array().expect("files is an array");
    assert_eq!(files.len(), 3);
    let expected_keys = ["code", "column", "help", "line", "message", "path", "severity"];
    for (file, (name, valid)) in files.iter().zip([("examples/library.json", true), (invalid.path(), false), ("<stdin>", false)]) {
        let mut keys: Vec<&str> = file.as_object().expect("a file object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["diagnostics", "file", "valid"]);
        assert_eq!(file["file"], name);
        assert_eq!(file["valid"], valid);
        for diagnostic in file["diagnostics"].as_array().expect("diagnostics is an array") {
            let mut keys: Vec<&str> = diagnostic.as_object().expect("a diagnostic object").keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, expected_keys);
            let code = diagnostic["code"].as_str().expect("code is a string");
            assert!(Code::from_name(code).is_some_and(|known| known.as_str() == code), "unknown code {code}");
            assert!(["error", "warning", "info"].contains(&diagnostic["severity"].as_str().expect("severity is a string")));
            assert!(diagnostic["message"].as_str().is_some_and(|message| !message.is_empty()));
            let path = diagnostic["path"].as_str().expect("path is a string");
            assert!(path.is_empty() || path.starts_with('/'), "{path} is not a JSON pointer");
            assert!(diagnostic["line"].as_u64().is_some_and(|line| line >= 1));
            assert!(diagnostic["column"].as_u64().is_some_and(|column| column >= 1));
            assert!(diagnostic["help"].is_null() || diagnostic["help"].is_string());
        }
    }
    let invalid_codes: Vec<&str> = files[1]["diagnostics"].as_array().expect("array").iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(invalid_codes, ["BAD_VALUE", "FK_TABLE_NOT_FOUND"]);
    let fk = &files[1]["diagnostics"][1];
    assert_eq!(fk["path"], "/schema/0/columns/1/target");
    assert_eq!((fk["line"].as_u64(), fk["column"].as_u64()), (Some(9), Some(65)));
    // Standard input was empty: a syntax error at 1:1.
    assert_eq!(files[2]["diagnostics"][0]["code"], "JSON_SYNTAX");
}

#[test]
fn json_format_of_a_valid_file_without_diagnostics() {
    let result = run_stdin(&["validate", "--format", "json", "-"], CLEAN);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(result.json(), serde_json::json!({"files": [{"file": "<stdin>", "valid": true, "diagnostics": []}]}));
}

#[test]
fn github_format_writes_one_annotation_per_diagnostic() {
    let invalid = TempFile::new("github.json", INVALID);
    let warning = TempFile::new("github-warning.json", WARNING);
    let result = run(&["validate", "--format", "github", invalid.path(), warning.path(), "examples/library.json"]);
    assert_eq!(result.code, 1);
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", result.stdout);
    for line in &lines {
        assert!(["::error ", "::warning ", "::notice "].iter().any(|prefix| line.starts_with(prefix)), "{line}");
        assert!(line.contains(",line=") && line.contains(",col=") && line.contains("::"), "{line}");
    }
    assert!(lines[0].starts_with("::error ") && lines[0].contains("BAD_VALUE") && lines[0].contains(",line=3,col=14::"));
    assert!(lines[1].starts_with("::error ") && lines[1].contains("FK_TABLE_NOT_FOUND"));
    assert!(lines[2].starts_with("::warning ") && lines[2].contains("STRING_NO_LENGTH"));
    assert!(lines[3].starts_with("::notice ") && lines[3].contains("COMPOSITE_PRIMARY_KEY"));
    assert!(lines.iter().all(|line| !line.contains('\n')), "messages are escaped onto one line");
}

#[test]
fn standard_input_is_read_for_dash() {
    let library = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/library.json")).expect("library.json");
    let result = run_stdin(&["validate", "-"], &library);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.contains("<stdin>: valid"), "{}", result.stderr);

    let result = run_stdin(&["validate", "-"], INVALID);
    assert_eq!(result.code, 1);
    assert!(result.stderr.contains("<stdin>:"), "{}", result.stderr);

    let result = run_stdin(&["plan", "--format", "json", "-"], &library);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_eq!(result.json()["project"], "library");

    // Invalid UTF-8 on standard input is a schema error, not a crash.
    let mut command = cargo_bin_cmd!("backbone");
    let output = command.args(["validate", "--format", "json", "-"]).write_stdin(b"{\"project_name\": \"\xff\"}".to_vec()).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["files"][0]["diagnostics"][0]["code"], "JSON_SYNTAX");
}

#[test]
fn quiet_prints_nothing_for_valid_documents() {
    let result = run(&["validate", "--quiet", "examples/library.json"]);
    assert_eq!(result.code, 0);
    assert_eq!(result.stderr, "");
    assert_eq!(result.stdout, "");

    let result = run_stdin(&["validate", "-q", "-"], WARNING);
    assert_eq!(result.code, 0);
    assert_eq!(result.stderr, "", "warnings are silenced too");

    let result = run_stdin(&["validate", "--quiet", "-"], INVALID);
    assert_eq!(result.code, 1);
    assert!(result.stderr.contains("FK_TABLE_NOT_FOUND") && result.stderr.contains("<stdin>: invalid"), "{}", result.stderr);
}

#[test]
fn strict_turns_warnings_into_exit_1() {
    let result = run_stdin(&["validate", "-"], WARNING);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.contains("STRING_NO_LENGTH"));

    let result = run_stdin(&["validate", "--strict", "-"], WARNING);
    assert_eq!(result.code, 1, "{}", result.stderr);

    let result = run_stdin(&["validate", "--strict", "--format", "json", "-"], WARNING);
    assert_eq!(result.code, 1, "{}", result.stderr);

    // Notes (info) are not warnings: library.json stays valid under --strict.
    let result = run(&["validate", "--strict", "examples/library.json"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let result = run_stdin(&["validate", "--strict", "-"], CLEAN);
    assert_eq!(result.code, 0, "{}", result.stderr);
}

#[test]
fn limits_reject_large_documents() {
    let result = run(&["validate", "--format", "json", "--max-tables", "1", "examples/library.json"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let report = result.json();
    let limit: Vec<&Value> = report["files"][0]["diagnostics"].as_array().expect("array").iter().filter(|d| d["code"] == "LIMIT_EXCEEDED").collect();
    assert_eq!(limit.len(), 1, "{report:#}");
    assert_eq!(limit[0]["severity"], "error");
    assert!(limit[0]["message"].as_str().is_some_and(|message| message.contains('5') && message.contains('1')), "{:#}", limit[0]);

    assert_eq!(run(&["validate", "--max-tables", "5", "examples/library.json"]).code, 0);
    let human = run(&["validate", "--max-tables", "1", "examples/library.json"]);
    assert_eq!(human.code, 1);
    assert!(human.stderr.contains("LIMIT_EXCEEDED"));

    let columns = run(&["validate", "--format", "json", "--max-columns", "2", "examples/library.json"]);
    assert_eq!(columns.code, 1);
    assert!(columns.stdout.contains("LIMIT_EXCEEDED"));
    let relationships = run(&["validate", "--format", "json", "--max-relationships", "1", "examples/library.json"]);
    assert_eq!(relationships.code, 1);
    assert!(relationships.stdout.contains("LIMIT_EXCEEDED"));
    let bytes = run(&["validate", "--format", "json", "--max-bytes", "100", "examples/library.json"]);
    assert_eq!(bytes.code, 1);
    assert_eq!(bytes.json()["files"][0]["diagnostics"][0]["code"], "LIMIT_EXCEEDED");
    let generous =
        run(&["validate", "--max-tables", "50", "--max-columns", "100", "--max-relationships", "50", "--max-bytes", "10485760", "examples/library.json"]);
    assert_eq!(generous.code, 0, "{}", generous.stderr);
}

// ---------------------------------------------------------------------------------
// Color

#[test]
fn color_follows_the_flag_and_no_color() {
    let args = ["validate", "-"];
    let no_color = run_with(&args, Some(INVALID), &[("NO_COLOR", "1")]);
    assert_eq!(no_color.code, 1);
    assert!(!has_ansi(&no_color.stderr) && !has_ansi(&no_color.stdout), "NO_COLOR=1 must not color:\n{}", no_color.stderr);

    let never = run_with(&["validate", "--color", "never", "-"], Some(INVALID), &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(never.code, 1);
    assert!(!has_ansi(&never.stderr) && !has_ansi(&never.stdout), "--color never must not color:\n{}", never.stderr);

    let auto = run_with(&args, Some(INVALID), &[]);
    assert!(!has_ansi(&auto.stderr), "auto does not color a pipe");

    let always = run_with(&["validate", "--color", "always", "-"], Some(INVALID), &[]);
    assert_eq!(always.code, 1);
    assert!(has_ansi(&always.stderr), "--color always must color:\n{}", always.stderr);

    // Machine formats are never colored.
    for format in ["json", "github"] {
        let result = run_with(&["validate", "--color", "always", "--format", format, "-"], Some(INVALID), &[]);
        assert!(!has_ansi(&result.stdout), "--format {format} must not color");
    }
    let plan = run(&["plan", "--color", "always", "--format", "json", "examples/library.json"]);
    assert!(!has_ansi(&plan.stdout));
}

// ---------------------------------------------------------------------------------
// explain, schema, plan

#[test]
fn explain_knows_every_code() {
    let index = run(&["explain"]);
    assert_eq!(index.code, 0);
    for code in Code::ALL {
        let name = code.as_str();
        assert!(index.stdout.lines().any(|line| line.starts_with(name)), "`explain` does not list {name}");
        let result = run(&["explain", name]);
        assert_eq!(result.code, 0, "explain {name}: {}", result.stderr);
        assert!(result.stdout.starts_with(name), "explain {name}:\n{}", result.stdout);
        assert!(result.stdout.contains(code.severity().as_str()));
        let lower = run(&["explain", &name.to_ascii_lowercase().replace('_', "-")]);
        assert_eq!(lower.code, 0, "case and dashes do not matter");
        assert_eq!(lower.stdout, result.stdout);
    }
    assert_eq!(index.stdout.lines().count(), Code::ALL.len());
}

#[test]
fn schema_prints_the_committed_json_schema() {
    let result = run(&["schema"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let printed = result.json();
    assert_eq!(printed["type"], "object");
    assert!(printed["$schema"].as_str().is_some_and(|uri| uri.contains("json-schema.org")));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/backbone.schema.json");
    if let Ok(text) = std::fs::read_to_string(&committed) {
        let committed: Value = serde_json::from_str(&text).expect("schemas/backbone.schema.json is JSON");
        assert_eq!(printed, committed, "`backbone schema` differs from schemas/backbone.schema.json");
    }
}

#[test]
fn plan_gives_the_build_order_of_library() {
    let result = run(&["plan", "--format", "json", "examples/library.json"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let plan = result.json();
    let order: Vec<&str> = plan["tables"].as_array().expect("tables").iter().filter_map(|table| table["table"].as_str()).collect();
    assert_eq!(order, ["authors", "books", "book_authors", "members", "loans"]);
    let teardown: Vec<&str> = plan["teardown"].as_array().expect("teardown").iter().filter_map(Value::as_str).collect();
    assert_eq!(teardown, ["loans", "members", "book_authors", "books", "authors"]);

    let human = run(&["plan", "examples/library.json"]);
    assert_eq!(human.code, 0);
    for (at, table) in order.iter().enumerate() {
        assert!(human.stdout.contains(&format!("{}. {table} (", at + 1)), "{table} is not at {}:\n{}", at + 1, human.stdout);
    }
}

#[test]
fn plan_builds_every_example() {
    for example in examples() {
        let result = run(&["plan", "--format", "json", &example]);
        assert_eq!(result.code, 0, "{example}: {}", result.stderr);
        let plan = result.json();
        let order: Vec<&str> = plan["tables"].as_array().expect("tables").iter().filter_map(|table| table["table"].as_str()).collect();
        for (at, table) in plan["tables"].as_array().expect("tables").iter().enumerate() {
            for dependency in table["depends_on"].as_array().expect("depends_on") {
                // Deferred keys are not dependencies, so every one listed comes first.
                let dependency = dependency.as_str().expect("a name");
                let position = order.iter().position(|name| *name == dependency).expect("dependency is a table");
                assert!(position < at, "{example}: {} before its dependency {dependency}", order[at]);
            }
        }
    }
}

#[test]
fn plan_of_an_invalid_document_exits_1() {
    let result = run_stdin(&["plan", "-"], INVALID);
    assert_eq!(result.code, 1);
    assert!(result.stdout.is_empty(), "no plan for an invalid document");
    assert!(result.stderr.contains("FK_TABLE_NOT_FOUND"));
    assert_eq!(run(&["plan", "missing.json"]).code, 2);
}

// ---------------------------------------------------------------------------------
// Snapshots

#[test]
fn snapshot_validate_library_human() {
    snapshot("validate_library_human", &["validate", "examples/library.json"], None);
}

#[test]
fn snapshot_validate_library_json() {
    snapshot("validate_library_json", &["validate", "--format", "json", "examples/library.json"], None);
}

#[test]
fn snapshot_validate_invalid_human() {
    snapshot("validate_invalid_human", &["validate", "-"], Some(INVALID));
}

#[test]
fn snapshot_validate_invalid_json() {
    snapshot("validate_invalid_json", &["validate", "--format", "json", "-"], Some(INVALID));
}

#[test]
fn snapshot_validate_invalid_github() {
    snapshot("validate_invalid_github", &["validate", "--format", "github", "-"], Some(INVALID));
}

#[test]
fn snapshot_validate_broken_json_syntax() {
    snapshot("validate_broken_json_syntax", &["validate", "-"], Some(BROKEN));
}

#[test]
fn snapshot_validate_strict_warning() {
    snapshot("validate_strict_warning", &["validate", "--strict", "-"], Some(WARNING));
}

#[test]
fn snapshot_validate_max_tables() {
    snapshot("validate_max_tables_json", &["validate", "--format", "json", "--max-tables", "1", "examples/library.json"], None);
}

#[test]
fn snapshot_validate_missing_file() {
    snapshot("validate_missing_file", &["validate", "no/such/file.json"], None);
}

#[test]
fn snapshot_validate_unknown_flag() {
    snapshot("validate_unknown_flag", &["validate", "--no-such-flag", "examples/library.json"], None);
}

#[test]
fn snapshot_explain_code() {
    snapshot("explain_fk_column_not_found", &["explain", "FK_COLUMN_NOT_FOUND"], None);
}

#[test]
fn snapshot_explain_unknown_code() {
    snapshot("explain_unknown_code", &["explain", "FK_COLUMN_NOT_FUOND"], None);
}

#[test]
fn snapshot_explain_index() {
    snapshot("explain_index", &["explain"], None);
}

#[test]
fn snapshot_plan_library_human() {
    snapshot("plan_library_human", &["plan", "examples/library.json"], None);
}

#[test]
fn snapshot_plan_library_json() {
    snapshot("plan_library_json", &["plan", "--format", "json", "examples/library.json"], None);
}

/// Regression: miette pads with `{:width$}`, and Rust panics on a width over 65535, so a
/// diagnostic beyond column 65535 of one line (a minified document over 64 KiB) made the
/// human rendering panic; such lines are now reported by position, without a snippet.
#[test]
fn long_minified_lines_render() {
    // The erroneous `db_type` comes after the long description, on the same line.
    let document = format!(
        "{{\"description\": \"{}\", \"project_name\": \"p\", \"db_type\": \"oracle\", \"schema\": [{{\"table_name\": \"a\", \"class_name\": \"A\", \"columns\": [{{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}}]}}]}}",
        "x".repeat(70_000)
    );
    let result = run_stdin(&["validate", "-"], &document);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stderr.contains("BAD_VALUE"), "{}", result.stderr);
}

/// A document with a million bad elements keeps 10 000 diagnostics and counts the rest,
/// so a hostile input cannot cost a diagnostic's memory per element.
#[test]
fn floods_of_errors_are_counted_not_kept() {
    let elements: Vec<String> = (0..200_000).map(|idx| idx.to_string()).collect();
    let document = format!("{{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": [{}]}}", elements.join(","));
    let result = run_stdin(&["validate", "-"], &document);
    assert_eq!(result.code, 1, "{}", &result.stderr[result.stderr.len().saturating_sub(300)..]);
    assert!(
        result.stderr.ends_with("<stdin>: invalid (200000 errors; only the first 10000 are shown)\n"),
        "{}",
        &result.stderr[result.stderr.len().saturating_sub(300)..]
    );
    let json = run_stdin(&["validate", "--format", "json", "-"], &document);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["files"][0]["valid"], false);
    assert_eq!(report["files"][0]["diagnostics"].as_array().map(Vec::len), Some(10_000));
}

/// The subcommands `backbone --help` lists, which completions and man pages must cover:
/// read from the clap definitions, so a new subcommand is covered without a test edit.
fn subcommands() -> Vec<String> {
    use clap::CommandFactory;
    let names: Vec<String> = backbone::cli::Cli::command().get_subcommands().map(|subcommand| subcommand.get_name().to_owned()).collect();
    for expected in ["validate", "plan", "generate", "schema", "explain", "serve", "completions", "man"] {
        assert!(names.iter().any(|name| name == expected), "no `{expected}` subcommand in {names:?}");
    }
    names
}

/// Whether `program` can be run here (for the optional checks by a shell's own parser).
fn installed(program: &str) -> bool {
    std::process::Command::new(program).arg("--version").output().is_ok_and(|output| output.status.success())
}

#[test]
fn bash_completion_parses_loads_and_completes_the_subcommands() {
    let result = run(&["completions", "bash"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.is_empty(), "{}", result.stderr);
    let script = TempFile::new("backbone.bash", &result.stdout);
    let syntax = std::process::Command::new("bash").args(["-n", script.path()]).output().expect("run bash -n");
    assert!(syntax.status.success(), "bash -n rejects the completion script:\n{}", String::from_utf8_lossy(&syntax.stderr));
    // Loaded into a shell, it registers a completion for `backbone` that offers every
    // subcommand after `backbone ` and the flags of `validate` after `backbone validate --`.
    let probe = format!(
        "source {}\ncomplete -p backbone\n\
         COMP_WORDS=(backbone ''); COMP_CWORD=1; COMP_LINE='backbone '; COMP_POINT=9; _backbone backbone '' backbone; echo \"top: ${{COMPREPLY[*]}}\"\n\
         COMP_WORDS=(backbone validate --); COMP_CWORD=2; COMP_LINE='backbone validate --'; COMP_POINT=20; _backbone backbone -- validate; echo \"validate: ${{COMPREPLY[*]}}\"\n",
        script.path()
    );
    let loaded = std::process::Command::new("bash").args(["--norc", "--noprofile", "-c", &probe]).output().expect("run bash");
    let stdout = String::from_utf8_lossy(&loaded.stdout);
    assert!(loaded.status.success(), "loading the completion script failed:\n{stdout}\n{}", String::from_utf8_lossy(&loaded.stderr));
    assert!(
        stdout.lines().any(|line| line.starts_with("complete ") && line.ends_with(" -F _backbone backbone")),
        "no completion registered for backbone:\n{stdout}"
    );
    let top = stdout.lines().find_map(|line| line.strip_prefix("top: ")).expect("top-level completions");
    for subcommand in &subcommands() {
        assert!(top.split_whitespace().any(|word| word == *subcommand), "`backbone <TAB>` does not offer `{subcommand}`: {top}");
    }
    let validate = stdout.lines().find_map(|line| line.strip_prefix("validate: ")).expect("validate completions");
    for flag in ["--format", "--strict", "--quiet", "--max-tables", "--color"] {
        assert!(validate.split_whitespace().any(|word| word == flag), "`backbone validate --<TAB>` does not offer `{flag}`: {validate}");
    }
}

#[test]
fn zsh_and_fish_completions_name_every_subcommand() {
    for (shell, header, file) in [("zsh", "#compdef backbone", "_backbone"), ("fish", "complete -c backbone", "backbone.fish")] {
        let result = run(&["completions", shell]);
        assert_eq!(result.code, 0, "{shell}: {}", result.stderr);
        assert!(result.stdout.starts_with(header) || result.stdout.contains(&format!("\n{header}")), "{shell} script lacks `{header}`");
        for subcommand in &subcommands() {
            assert!(result.stdout.contains(subcommand), "the {shell} completion does not name `{subcommand}`");
        }
        // The shell's own syntax check, where that shell is installed.
        if installed(shell) {
            let script = TempFile::new(file, &result.stdout);
            let syntax = std::process::Command::new(shell).args(["-n", script.path()]).output().expect("run the shell");
            assert!(syntax.status.success(), "{shell} -n rejects the completion script:\n{}", String::from_utf8_lossy(&syntax.stderr));
            if shell == "fish" {
                // fish can ask its completion engine directly.
                let probe = format!("source {}; complete -C 'backbone '", script.path());
                let completed = std::process::Command::new("fish").args(["--no-config", "-c", &probe]).output().expect("run fish");
                let offered: Vec<String> =
                    String::from_utf8_lossy(&completed.stdout).lines().filter_map(|line| line.split('\t').next().map(str::to_owned)).collect();
                for subcommand in &subcommands() {
                    assert!(offered.iter().any(|word| word == subcommand), "fish does not complete `backbone {subcommand}`: {offered:?}");
                }
            }
        }
    }
    for shell in ["elvish", "powershell"] {
        let result = run(&["completions", shell]);
        assert_eq!(result.code, 0, "{shell}: {}", result.stderr);
        assert!(result.stdout.contains("backbone"), "the {shell} completion does not name backbone");
    }
}

#[test]
fn completions_reject_an_unknown_shell() {
    let result = run(&["completions", "tcsh"]);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("invalid value 'tcsh'") && result.stderr.contains("bash"), "{}", result.stderr);
    assert!(result.stdout.is_empty());
}

/// Checks a roff man page: its title, the sections every page has, and, where groff is
/// installed, that it renders without a warning and reads as text (`-k`: through preconv,
/// as man-db reads pages, since help texts hold UTF-8).
fn assert_man_page(name: &str, page: &str, title: &str) {
    assert!(page.contains(&format!(".TH {title} 1 ")), "{name} has no `.TH {title} 1` title line:\n{}", &page[..page.len().min(300)]);
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(page.contains(section), "{name} has no `{section}`");
    }
    if !installed("groff") {
        return;
    }
    let source = TempFile::new(name, page);
    let rendered = std::process::Command::new("groff").args(["-k", "-man", "-Tutf8", "-ww", source.path()]).output().expect("run groff");
    let warnings = String::from_utf8_lossy(&rendered.stderr);
    assert!(rendered.status.success() && warnings.trim().is_empty(), "groff warns on {name}:\n{warnings}");
    // grotty marks bold and underline by overstriking (`N\bN`): read the plain text.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&rendered.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    assert!(text.contains("NAME") && text.contains("SYNOPSIS") && text.contains("OPTIONS"), "{name} renders without its sections:\n{text}");
}

#[test]
fn man_prints_the_page_of_backbone() {
    let result = run(&["man"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert_man_page("backbone.1", &result.stdout, "backbone");
    for subcommand in &subcommands() {
        assert!(result.stdout.contains(&format!("backbone\\-{subcommand}(1)")), "backbone.1 does not refer to backbone-{subcommand}(1)");
    }
    assert!(result.stdout.contains(env!("CARGO_PKG_VERSION")), "backbone.1 does not carry the version");
}

#[test]
fn man_writes_one_page_per_command_into_a_directory() {
    let dir = std::env::temp_dir().join(format!("backbone-cli-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pages = dir.join("man1");
    let result = run(&["man", "--dir", pages.to_str().expect("UTF-8 path")]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stdout.is_empty(), "{}", result.stdout);
    assert_eq!(result.stderr, format!("wrote {} man pages to {}\n", subcommands().len() + 1, pages.display()));
    let mut names: Vec<String> =
        std::fs::read_dir(&pages).expect("the directory exists").map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = subcommands().iter().map(|subcommand| format!("backbone-{subcommand}.1")).collect();
    expected.push("backbone.1".to_owned());
    expected.sort();
    assert_eq!(names, expected);
    for name in &names {
        let page = std::fs::read_to_string(pages.join(name)).expect("readable page");
        assert_man_page(name, &page, name.trim_end_matches(".1"));
    }
    let validate = std::fs::read_to_string(pages.join("backbone-validate.1")).expect("readable page");
    assert!(validate.contains("\\-\\-strict") && validate.contains("backbone validate"), "backbone-validate.1 lacks its options or synopsis");
    // The same page as `backbone man` prints.
    assert_eq!(std::fs::read_to_string(pages.join("backbone.1")).expect("readable page"), run(&["man"]).stdout);
    let _ = std::fs::remove_dir_all(&dir);

    // A directory that cannot be created is an I/O error (exit 2), not a panic.
    let blocker = TempFile::new("not-a-directory", "");
    let result = run(&["man", "--dir", &format!("{}/man1", blocker.path())]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.starts_with("error: cannot create "), "{}", result.stderr);
}
