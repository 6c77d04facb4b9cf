//! Runs what backbone generates: for every example (and `tests/backend/edge_cases.json`),
//! the generated project passes `ruff check`, `ruff format --check` and `mypy`; its
//! migration goes up, down and up again, its own pytest suite passes without a warning
//! and leaves the rows of the app's database (`tests/backend/rows.py`) in place, and the black-box
//! HTTP walk with a schemathesis run (`tests/backend/walk.py`) passes against the served
//! app, on SQLite, PostgreSQL and MariaDB (fresh databases). With `CI=true` the
//! PostgreSQL and MariaDB legs are mandatory; elsewhere they are skipped (with a note)
//! when the server does not answer.
//!
//! The README's walk-through of the generated project is followed literally on SQLite
//! (`readme_walk_through_*`): migrate, run its tests, serve, create a row, read it back.
//!
//! The Python tools come from the venv that `scripts/python-env` builds and caches.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use backbone::refine;
use backbone::source::Source;
use backbone::target::python;
use backbone::{CompileOptions, compile};

/// The venv's python, built once per test run.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let output = Command::new("scripts/python-env").output().expect("run scripts/python-env");
        assert!(output.status.success(), "scripts/python-env failed:\n{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        PathBuf::from(stdout.lines().last().expect("scripts/python-env prints the python path").trim())
    })
}

/// A tool of the venv (`ruff`, `mypy`, `alembic`).
fn tool(name: &str) -> PathBuf {
    python().with_file_name(name)
}

fn must_succeed(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The input document of `example`: `examples/<example>.json`, or one of this test's
/// own in `tests/backend/`.
fn schema_path(example: &str) -> PathBuf {
    let example = example.trim_end_matches("_refined");
    let own = Path::new("tests/backend").join(format!("{example}.json"));
    if own.exists() { own } else { Path::new("examples").join(format!("{example}.json")) }
}

/// Generates `example` into a fresh directory of its own (`tag` tells apart the tests
/// of one example) and returns it.
fn generate(example: &str, tag: &str) -> PathBuf {
    generate_document(example, &schema_path(example), tag)
}

/// Generates the document at `path` into a fresh directory named for `example` and
/// `tag`, and returns the directory.
fn generate_document(example: &str, path: &Path, tag: &str) -> PathBuf {
    let source = Source::new(path.display().to_string(), std::fs::read_to_string(path).expect("readable example"));
    let compilation = compile(&source, &CompileOptions::default());
    let (schema, order) = compilation.valid_schema().unwrap_or_else(|| panic!("{example} is invalid"));
    // `<example>_refined`: the example with its saved refinement applied, as
    // `generate --refinements tests/fixtures/refinements/<example>.json` does.
    let refined = example.strip_suffix("_refined").map(|base| {
        let path = Path::new("tests/fixtures/refinements").join(format!("{base}.json"));
        let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable refinement")).expect("JSON");
        let review = refine::review(schema, &refine::parse(&value).expect("a refinement"));
        assert!(review.rejected.is_empty(), "{:?}", review.rejected);
        refine::apply(schema, &review.accepted)
    });
    let schema = refined.as_ref().unwrap_or(schema);
    let out = std::env::temp_dir().join(format!("backbone-backend-{example}-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for (relative, file) in python::render(schema, order).expect("the templates render").iter() {
        let target = out.join(relative);
        std::fs::create_dir_all(target.parent().expect("a file has a parent")).expect("create directories");
        std::fs::write(&target, &file.contents).expect("write a generated file");
    }
    out
}

#[expect(clippy::print_stderr, reason = "a skipped leg must be visible in the test output")]
/// `true` when the server of `kind` must be tested: always with CI=true, else when it answers.
fn database_leg(kind: &str) -> bool {
    if std::env::var("CI").is_ok_and(|value| value == "true") {
        return true;
    }
    let answered = Command::new(python()).args(["tests/backend/databases.py", "available", kind]).status().is_ok_and(|status| status.success());
    if !answered {
        eprintln!("note: {kind} does not answer on this machine; its leg is skipped (it is mandatory with CI=true)");
    }
    answered
}

fn fresh_database(kind: &str, name: &str) -> String {
    let output = Command::new(python()).args(["tests/backend/databases.py", "create", kind, name]).output().expect("run databases.py");
    must_succeed(&format!("creating {kind} database {name}"), &output);
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn drop_database(kind: &str, name: &str) {
    let _ = Command::new(python()).args(["tests/backend/databases.py", "drop", kind, name]).output();
}

fn alembic(project: &Path, url: &str, args: &[&str]) {
    let output = Command::new(tool("alembic")).args(args).current_dir(project).env("DATABASE_URL", url).output().expect("run alembic");
    must_succeed(&format!("alembic {} on {url}", args.join(" ")), &output);
}

fn migrate_up_down_up(project: &Path, url: &str) {
    alembic(project, url, &["upgrade", "head"]);
    alembic(project, url, &["downgrade", "base"]);
    alembic(project, url, &["upgrade", "head"]);
}

/// The generated project's own test suite, with `url` as the app's database: the tests
/// run on a database of their own, and warnings are errors (the user sees none).
fn pytest(project: &Path, url: &str) {
    let output = Command::new(python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"])
        .current_dir(project)
        .env("DATABASE_URL", url)
        .env_remove("TEST_DATABASE_URL")
        .output()
        .expect("run pytest");
    must_succeed(&format!("the generated tests on {url}"), &output);
}

/// `tests/backend/rows.py`: `insert` rows into the app's database at `url`, or `count` them.
fn rows(project: &Path, url: &str, command: &str) -> String {
    let output = Command::new(python()).arg("tests/backend/rows.py").arg(project).arg(command).env("DATABASE_URL", url).output().expect("run rows.py");
    must_succeed(&format!("rows.py {command} on {url}"), &output);
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The app's database at `url` is migrated and holds rows; the generated tests, run with
/// the same environment, leave every one of them (and the migration) in place.
fn tests_keep_the_apps_rows(project: &Path, url: &str) {
    rows(project, url, "insert");
    let before = rows(project, url, "count");
    let counts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&before).expect("rows.py prints a JSON object");
    assert!(counts.values().any(|count| count.as_u64().is_some_and(|count| count > 0)), "rows.py inserted nothing: {before}");
    pytest(project, url);
    assert_eq!(rows(project, url, "count"), before, "the generated tests changed the app's database at {url}");
    // The migration is still recorded and still current: upgrading is a no-op that works.
    alembic(project, url, &["upgrade", "head"]);
    assert_eq!(rows(project, url, "count"), before);
}

/// `tests/backend/walk.py` (the HTTP walk, then schemathesis) against a fresh,
/// migrated database at `url`.
fn walk(project: &Path, schema: &Path, url: &str) {
    alembic(project, url, &["upgrade", "head"]);
    let output = Command::new(python())
        .arg("tests/backend/walk.py")
        .arg(project)
        .arg(schema)
        .arg("--schemathesis")
        .env("DATABASE_URL", url)
        .output()
        .expect("run walk.py");
    must_succeed(&format!("the HTTP walk of {} on {url}", schema.display()), &output);
}

fn run_example(example: &str) {
    run_project(example, &schema_path(example), true);
}

/// Lints and imports the project generated from the document at `schema`; with
/// `databases`, also migrates it, runs its tests and walks it on every database.
fn run_project(example: &str, schema: &Path, databases: bool) {
    let project = generate_document(example, schema, "run");
    let check = |args: &[&str], tool_name: &str| {
        let output = Command::new(tool(tool_name)).args(args).current_dir(&project).output().expect("run a linter");
        must_succeed(&format!("{tool_name} {} on {example}", args.join(" ")), &output);
    };
    check(&["check", "."], "ruff");
    check(&["format", "--check", "."], "ruff");
    check(&["--no-incremental", "app", "migrations", "tests"], "mypy");
    // Importing the app reads no setting and makes no engine: that waits for first use.
    let imported = Command::new(python())
        .args(["-c", "import app.main, app.db; assert app.db.get_engine.cache_info().currsize == 0, 'importing made an engine'"])
        .current_dir(&project)
        .output()
        .expect("run python");
    must_succeed(&format!("importing the app of {example}"), &imported);
    if !databases {
        let _ = std::fs::remove_dir_all(&project);
        return;
    }

    // The app's database keeps its rows through the generated tests; the walk, which
    // counts rows, gets a database of its own.
    let sqlite = format!("sqlite:///{}", project.join("app.db").display());
    migrate_up_down_up(&project, &sqlite);
    tests_keep_the_apps_rows(&project, &sqlite);
    assert!(!project.join("app_test.db").exists(), "the generated tests left their database behind");
    walk(&project, schema, &format!("sqlite:///{}", project.join("walk.db").display()));
    for kind in ["postgresql", "mariadb"] {
        if !database_leg(kind) {
            continue;
        }
        let name = format!("bb_{example}_{}", std::process::id());
        let url = fresh_database(kind, &name);
        migrate_up_down_up(&project, &url);
        tests_keep_the_apps_rows(&project, &url);
        drop_database(kind, &name);
        // The tests dropped the database they created (`<name>_test`).
        let leftover = Command::new(python()).args(["tests/backend/databases.py", "exists", kind, &format!("{name}_test")]).status().expect("run databases.py");
        assert_eq!(leftover.code(), Some(1), "the generated tests left {name}_test behind on {kind}");
        let walk_name = format!("{name}_walk");
        let walk_url = fresh_database(kind, &walk_name);
        walk(&project, schema, &walk_url);
        drop_database(kind, &walk_name);
    }
    let _ = std::fs::remove_dir_all(&project);
}

macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_example(stringify!($name));
            }
        )*
    };
}

backend_tests!(library, blog, ecommerce, all_types, adversarial, sakila, chinook, northwind);

// Shapes no example has (tests/backend/edge_cases.json).
backend_tests!(edge_cases);

// Class, table and column names that collide with what the generated modules import or
// define (tests/backend/hostile_names.json).
backend_tests!(hostile_names);

// The library with a refinement applied (tests/fixtures/refinements/library.json): the
// generated API and its tests enforce the refined constraints on every database.
backend_tests!(library_refined);

/// The fenced `sh` blocks of the README section headed `## {heading}`.
fn readme_blocks(readme: &str, heading: &str) -> Vec<String> {
    let section = readme.split(&format!("\n## {heading}\n")).nth(1).unwrap_or_else(|| panic!("the README has no section {heading}"));
    let section = section.split("\n## ").next().unwrap_or(section);
    section.split("```sh\n").skip(1).map(|block| block.split("```").next().unwrap_or(block).to_owned()).collect()
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("bind a loopback port").port()
}

/// The README's walk-through, followed literally in the generated project: its first
/// block (migrate, run the tests, serve) in one shell, the server in the background,
/// then its second block (create a row, read it back) — with the venv's tools first on
/// PATH, as after the README's set-up, and another port than 8000, which may be taken
/// on a shared machine. The row reads back exactly as created, the tests pass, and the
/// app's database keeps the row while the tests' database is gone.
fn follow_the_readme(example: &str) {
    let project = generate(example, "readme");
    let readme = std::fs::read_to_string(project.join("README.md")).expect("a README");
    let blocks = readme_blocks(&readme, "Walk-through");
    assert_eq!(blocks.len(), 2, "the walk-through has a serving block and a calling block:\n{readme}");
    let port = free_port().to_string();
    let with_port = |text: &str| text.replace("--port 8000", &format!("--port {port}")).replace("127.0.0.1:8000", &format!("127.0.0.1:{port}"));
    let serving = with_port(&blocks[0]);
    let (setup, serve) = serving.trim_end().rsplit_once('\n').expect("commands, then the server");
    assert!(serve.starts_with("uvicorn "), "the block ends by serving: {serve}");
    let calls: Vec<String> = with_port(&blocks[1]).lines().map(str::to_owned).collect();
    assert_eq!(calls.len(), 2, "a POST and a GET: {calls:?}");
    let script = format!(
        "set -eu\n{setup}\n{serve} >server.log 2>&1 &\nserver=$!\ntrap 'kill $server' EXIT\n\
         for _ in $(seq 150); do curl -fsS http://127.0.0.1:{port}/health >/dev/null 2>&1 && break; sleep 0.1; done\n\
         echo '--- POST'\n{}\necho\necho '--- GET'\n{}\necho\n",
        calls[0], calls[1]
    );
    let bin = python().parent().expect("the venv's bin");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&project)
        .env("PATH", path)
        .env_remove("DATABASE_URL")
        .env_remove("TEST_DATABASE_URL")
        .output()
        .expect("run bash");
    must_succeed(&format!("the README walk-through of {example}"), &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" passed"), "the tests ran:\n{stdout}");
    let (_, answers) = stdout.split_once("--- POST\n").expect("the POST ran");
    let (created, read) = answers.split_once("--- GET\n").expect("the GET ran");
    let created: serde_json::Value = serde_json::from_str(created.trim()).unwrap_or_else(|_| panic!("the POST answers a row: {created}"));
    let read: serde_json::Value = serde_json::from_str(read.trim()).unwrap_or_else(|_| panic!("the GET answers a row: {read}"));
    assert_eq!(created, read, "the row reads back as created");
    let body = calls[0].rsplit_once(" -d '").expect("a body").1.trim_end().strip_suffix('\'').expect("a quoted body").replace("'\\''", "'");
    let body: serde_json::Value = serde_json::from_str(&body).expect("the body is JSON");
    for (field, value) in body.as_object().expect("an object") {
        assert_eq!(created.get(field), Some(value), "{field} was stored as sent");
    }
    let database = readme.lines().find_map(|line| line.strip_prefix("export DATABASE_URL=sqlite:///")).expect("the walk-through's SQLite file");
    assert!(project.join(database).exists(), "the app's database {database} is there");
    let test_database = database.replace(".db", "_test.db");
    assert!(!project.join(&test_database).exists(), "the tests dropped {test_database}");
    let _ = std::fs::remove_dir_all(&project);
}

#[test]
fn readme_walk_through_library() {
    follow_the_readme("library");
}

// Declared for MariaDB: the walk-through still runs on SQLite.
#[test]
fn readme_walk_through_ecommerce() {
    follow_the_readme("ecommerce");
}

#[path = "support/random_names.rs"]
mod random_names;

/// Documents whose names are drawn from what generated code uses (see
/// `tests/names.rs`, which checks hundreds of them in-process): seeded, so a failure
/// reproduces. Each generated project passes ruff, mypy and imports; the first two also
/// run end to end on every database.
#[test]
fn random_names() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    const CASES: usize = 6;
    const END_TO_END: usize = 2;
    let pool = random_names::pool();
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let directory = std::env::temp_dir().join(format!("backbone-random-names-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("create a directory");
    for case in 0..CASES {
        let spec = random_names::document_spec().new_tree(&mut runner).expect("a document").current();
        let document = random_names::document(&pool, &spec, ["postgresql", "mysql", "sqlite"][case % 3]);
        let path = directory.join(format!("random_names_{case}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&document).expect("serializable")).expect("write the document");
        run_project(&format!("random_names_{case}"), &path, case < END_TO_END);
    }
    let _ = std::fs::remove_dir_all(&directory);
}
