//! What a generated project ships with beside its code — `pyproject.toml`,
//! `Dockerfile`, `compose.yaml`, `.env.example`, `.dockerignore` and the CI workflow —
//! checked for every example without Docker or a network: each file parses, compose's
//! services are the app, its migrations and the declared database, every environment
//! name is a setting the app reads (and every setting is in `.env.example`), the
//! Dockerfile is multi-stage, copies only files the project has and runs as a non-root
//! user, and the test tools are pinned exactly as this repository's CI pins them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use backbone::source::Source;
use backbone::target::{FileSet, python};
use backbone::{CompileOptions, compile};
use serde_yaml::Value as Yaml;

fn examples() -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/ exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    paths.sort();
    paths
}

/// Every example's generated files, with its `db_type`.
fn projects() -> Vec<(String, String, FileSet)> {
    examples()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable example");
            let db_type = serde_json::from_str::<serde_json::Value>(&text).expect("JSON")["db_type"].as_str().expect("a db_type").to_owned();
            let source = Source::new(path.display().to_string(), text);
            let compilation = compile(&source, &CompileOptions::default());
            let (schema, order) = compilation.valid_schema().unwrap_or_else(|| panic!("{} is invalid", path.display()));
            (path.display().to_string(), db_type, python::render(schema, order).expect("the templates render"))
        })
        .collect()
}

fn file<'a>(files: &'a FileSet, path: &str) -> &'a str {
    &files.get(path).unwrap_or_else(|| panic!("no {path}")).contents
}

fn yaml(files: &FileSet, path: &str) -> Yaml {
    serde_yaml::from_str(file(files, path)).unwrap_or_else(|error| panic!("{path} does not parse: {error}"))
}

fn keys(mapping: &Yaml) -> BTreeSet<String> {
    mapping.as_mapping().map(|mapping| mapping.keys().filter_map(|key| key.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn string<'a>(value: &'a Yaml, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

/// The environment variables the app and its tests read: the fields of `Settings` in
/// `app/config.py` (pydantic-settings reads `NAME` for a field `name`), the one module
/// that reads the environment.
fn settings(files: &FileSet) -> BTreeSet<String> {
    let config = file(files, "app/config.py");
    let (_, class) = config.split_once("class Settings(BaseSettings):").expect("app/config.py defines Settings");
    let body = class.lines().skip(1).take_while(|line| line.is_empty() || line.starts_with("    "));
    let names: BTreeSet<String> = body
        .filter_map(|line| line.strip_prefix("    ")?.split_once(": ").map(|(name, _)| name))
        .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_ascii_uppercase)
        .collect();
    for (path, generated) in files.iter() {
        let reads = std::path::Path::new(path).extension().is_some_and(|extension| extension == "py")
            && path != "app/config.py"
            && generated.contents.contains("os.environ");
        assert!(!reads || path == "tests/conftest.py", "{path} reads the environment itself");
    }
    assert!(names.contains("DATABASE_URL") && names.contains("TEST_DATABASE_URL"), "{names:?}");
    names
}

/// The environment names that `.env.example` sets or shows commented out.
fn env_example_names(files: &FileSet) -> BTreeSet<String> {
    file(files, ".env.example")
        .lines()
        .map(|line| line.trim_start_matches("# "))
        .filter_map(|line| line.split_once('='))
        .filter(|(name, _)| !name.is_empty() && name.chars().all(|character| character.is_ascii_uppercase() || character == '_'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

#[test]
fn env_example_lists_every_setting_and_nothing_else() {
    for (example, _, files) in projects() {
        assert_eq!(env_example_names(&files), settings(&files), "{example}: .env.example");
    }
}

/// The parts of a SQLAlchemy URL `driver://user:password@host:port/database?query`.
fn url_parts(url: &str) -> (String, String, String, String, String) {
    let (driver, rest) = url.split_once("://").expect("a URL");
    let (credentials, rest) = rest.split_once('@').unwrap_or(("", rest));
    let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
    let (host, database) = rest.split_once('/').expect("a database");
    let database = database.split_once('?').map_or(database, |(name, _)| name);
    (driver.to_owned(), user.to_owned(), password.to_owned(), host.to_owned(), database.to_owned())
}

#[test]
fn compose_runs_the_app_its_migrations_and_the_declared_database() {
    for (example, db_type, files) in projects() {
        let compose = yaml(&files, "compose.yaml");
        let services = &compose["services"];
        let server = matches!(db_type.as_str(), "postgresql" | "mysql");
        let mut expected: BTreeSet<String> = ["app", "migrate"].map(str::to_owned).into();
        if server {
            expected.insert("db".to_owned());
        }
        assert_eq!(keys(services), expected, "{example}: services");
        let settings = settings(&files);
        for name in ["app", "migrate"] {
            let service = &services[name];
            let environment = &service["environment"];
            assert!(keys(environment).is_subset(&settings), "{example}: {name} sets {:?}, the app reads {settings:?}", keys(environment));
            let url = string(&environment["DATABASE_URL"], "DATABASE_URL");
            let (driver, user, password, host, database) = url_parts(url);
            if server {
                let db = &services["db"]["environment"];
                let prefix = if db_type == "postgresql" { "POSTGRES" } else { "MARIADB" };
                let expected_driver = if db_type == "postgresql" { "postgresql+psycopg" } else { "mysql+pymysql" };
                assert_eq!(driver, expected_driver, "{example}: {url}");
                assert_eq!(host.split(':').next(), Some("db"), "{example}: {name} reaches the database service by name");
                let user_key = format!("{prefix}_USER");
                let password_key = format!("{prefix}_PASSWORD");
                let database_key = if db_type == "postgresql" { "POSTGRES_DB" } else { "MARIADB_DATABASE" };
                assert_eq!(user, string(&db[user_key.as_str()], "user"), "{example}");
                assert_eq!(password, string(&db[password_key.as_str()], "password"), "{example}");
                assert_eq!(database, string(&db[database_key], "database"), "{example}");
                let waits_for = if name == "migrate" { ("db", "service_healthy") } else { ("migrate", "service_completed_successfully") };
                assert_eq!(string(&service["depends_on"][waits_for.0]["condition"], "condition"), waits_for.1, "{example}: {name}");
                assert!(!services["db"]["healthcheck"]["test"].is_null(), "{example}: the database has a health check");
            } else {
                // SQLite: an absolute path inside the volume both services mount.
                assert_eq!(driver, "sqlite", "{example}");
                let mounts: Vec<&str> = service["volumes"].as_sequence().expect("volumes").iter().map(|volume| string(volume, "volume")).collect();
                assert!(
                    mounts.iter().any(|mount| mount.split_once(':').is_some_and(|(_, path)| database.starts_with(&format!("{path}/")))),
                    "{example}: {url} in {mounts:?}"
                );
            }
        }
        let migrate: Vec<&str> = services["migrate"]["command"].as_sequence().expect("a command").iter().map(|part| string(part, "command")).collect();
        assert_eq!(migrate, ["alembic", "upgrade", "head"], "{example}");
        assert_eq!(string(&services["migrate"]["image"], "image"), string(&services["app"]["image"], "image"), "{example}: one image");
        for volume in keys(&compose["volumes"]) {
            let used = keys(services).iter().any(|name| {
                services[name.as_str()]["volumes"]
                    .as_sequence()
                    .is_some_and(|mounts| mounts.iter().any(|mount| mount.as_str().is_some_and(|mount| mount.starts_with(&format!("{volume}:")))))
            });
            assert!(used, "{example}: volume {volume} is mounted nowhere");
        }
    }
}

/// The Dockerfile's instructions: (keyword, arguments), continuation lines joined.
fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        joined.push(std::mem::take(&mut current));
    }
    assert!(current.is_empty(), "a continuation ends the Dockerfile");
    joined
        .into_iter()
        .map(|instruction| {
            let (keyword, arguments) = instruction.split_once(' ').expect("an instruction has arguments");
            (keyword.to_owned(), arguments.trim().to_owned())
        })
        .collect()
}

#[test]
fn the_dockerfile_is_multi_stage_copies_what_exists_and_runs_unprivileged() {
    const KEYWORDS: [&str; 13] = ["FROM", "ARG", "ENV", "RUN", "WORKDIR", "COPY", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK", "CMD", "LABEL", "ENTRYPOINT"];
    for (example, _, files) in projects() {
        let instructions = instructions(file(&files, "Dockerfile"));
        let mut stages: Vec<String> = Vec::new();
        let mut user_of_last_stage = None;
        for (keyword, arguments) in &instructions {
            assert!(KEYWORDS.contains(&keyword.as_str()), "{example}: unknown instruction {keyword}");
            match keyword.as_str() {
                "FROM" => {
                    stages.push(arguments.split_once(" AS ").map_or(String::new(), |(_, name)| name.to_owned()));
                    user_of_last_stage = None;
                }
                "USER" => user_of_last_stage = Some(arguments.clone()),
                "COPY" => {
                    let parts: Vec<&str> = arguments.split_whitespace().collect();
                    if let Some(stage) = parts[0].strip_prefix("--from=") {
                        assert!(stages[..stages.len() - 1].iter().any(|name| name == stage), "{example}: COPY from unknown stage {stage}");
                        continue;
                    }
                    for source in &parts[..parts.len() - 1] {
                        let exists = files.get(source).is_some() || files.iter().any(|(path, _)| path.starts_with(&format!("{source}/")));
                        assert!(exists, "{example}: COPY {source}, which the project does not have");
                    }
                }
                _ => {}
            }
        }
        assert!(stages.len() >= 2, "{example}: a multi-stage build");
        let user = user_of_last_stage.unwrap_or_else(|| panic!("{example}: the image runs as root"));
        assert!(user != "root" && user != "0", "{example}: USER {user}");
        let cmd = &instructions.last().expect("instructions").1;
        assert!(instructions.last().is_some_and(|(keyword, _)| keyword == "CMD") && cmd.contains("\"app.main:app\""), "{example}: {cmd}");
        let ignored: Vec<&str> = file(&files, ".dockerignore").lines().collect();
        for secret in [".env", "*.db", ".venv"] {
            assert!(ignored.contains(&secret), "{example}: .dockerignore lacks {secret}");
        }
    }
}

#[test]
fn the_ci_workflow_lints_migrates_and_tests_on_the_declared_database() {
    for (example, db_type, files) in projects() {
        let workflow = yaml(&files, ".github/workflows/ci.yml");
        let job = &workflow["jobs"]["test"];
        assert!(keys(&workflow["on"]).contains("push"), "{example}");
        let environment = keys(&job["env"]);
        assert!(environment.is_subset(&settings(&files)) && environment.contains("DATABASE_URL"), "{example}: {environment:?}");
        let url = string(&job["env"]["DATABASE_URL"], "DATABASE_URL");
        let runs: Vec<&str> = job["steps"].as_sequence().expect("steps").iter().filter_map(|step| step["run"].as_str()).collect();
        for command in ["pip install -e \".[dev]\"", "ruff check .", "ruff format --check .", "mypy app migrations tests", "alembic upgrade head", "pytest"] {
            assert!(runs.contains(&command), "{example}: the workflow does not run `{command}`");
        }
        let compose = yaml(&files, "compose.yaml");
        match db_type.as_str() {
            "postgresql" | "mysql" => {
                let service = &job["services"]["db"];
                assert_eq!(service["image"], compose["services"]["db"]["image"], "{example}: CI tests the database compose runs");
                assert_eq!(service["env"], compose["services"]["db"]["environment"], "{example}");
                let port = string(&service["ports"][0], "port");
                let (_, _, _, host, _) = url_parts(url);
                assert_eq!(host.split_once(':').map(|(_, port)| port), port.split(':').next(), "{example}: {url} and {port}");
            }
            _ => assert!(url.starts_with("sqlite:///"), "{example}: {url}"),
        }
    }
}

/// The `name==version` pins of `tests/python/requirements.txt`, by lowercased name.
fn ci_pins() -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string("tests/python/requirements.txt")
        .expect("the pins")
        .lines()
        .filter_map(|line| line.split_once("=="))
        .map(|(name, version)| (name.split('[').next().unwrap_or(name).to_ascii_lowercase(), version.trim().to_owned()))
        .collect()
}

/// A version's numeric components, for comparison (`1.10.0` → `[1, 10, 0]`).
fn version(text: &str) -> Vec<u64> {
    text.split('.').map(|part| part.parse().unwrap_or_else(|_| panic!("a numeric version: {text}"))).collect()
}

#[test]
fn the_drivers_are_extras_and_the_test_tools_are_pinned_as_in_ci() {
    let pins = ci_pins();
    for (example, db_type, files) in projects() {
        let pyproject: toml::Table = file(&files, "pyproject.toml").parse().unwrap_or_else(|error| panic!("{example}: {error}"));
        let project = &pyproject["project"];
        let list =
            |value: &toml::Value| -> Vec<String> { value.as_array().expect("a list").iter().map(|item| item.as_str().expect("a string").to_owned()).collect() };
        let extras = project["optional-dependencies"].as_table().expect("extras");
        let dependencies = list(&project["dependencies"]);
        for (extra, driver) in [("postgresql", "psycopg[binary]"), ("mysql", "pymysql")] {
            let requirements = list(&extras[extra]);
            assert!(requirements.len() == 1 && requirements[0].starts_with(driver), "{example}: extra {extra}: {requirements:?}");
            let declared = db_type == extra;
            assert_eq!(dependencies.iter().any(|dependency| dependency.starts_with(driver)), declared, "{example}: {driver} in {dependencies:?}");
        }
        for extra in ["test", "dev"] {
            for requirement in list(&extras[extra]) {
                if let Some((name, version)) = requirement.split_once("==") {
                    assert_eq!(pins.get(&name.to_ascii_lowercase()), Some(&version.to_owned()), "{example}: {extra} pins {requirement}, CI another");
                } else {
                    // The one floor: the Starlette whose TestClient uses httpx2.
                    let (name, floor) = requirement.split_once(">=").expect("a pin or a floor");
                    assert_eq!(name, "starlette", "{example}: {requirement} is not pinned");
                    assert!(version(&pins[name]) >= version(floor), "{example}: CI's {name} is older than {floor}");
                }
            }
        }
        assert!(list(&extras["test"]).iter().any(|requirement| requirement.starts_with("httpx2==")), "{example}: the TestClient's client");
    }
}
