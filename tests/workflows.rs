//! The repository's own CI/CD under `.github/`: the ci workflow runs exactly `.ci/run`
//! with CI=true next to the servers the tests expect, on the toolchain Cargo.toml names;
//! the release workflow is cut from tags; Dependabot watches every ecosystem the
//! repository pins; every action is pinned by commit.

use std::path::Path;

use serde_yaml::Value as Yaml;

fn yaml(path: &str) -> Yaml {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_yaml::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// `rust-version` of Cargo.toml, the toolchain CI and releases build with.
fn rust_version() -> String {
    let manifest: toml::Value = toml::from_str(&std::fs::read_to_string("Cargo.toml").unwrap()).unwrap();
    manifest["package"]["rust-version"].as_str().unwrap().to_owned()
}

fn steps(job: &Yaml) -> &[Yaml] {
    job["steps"].as_sequence().map_or(&[], Vec::as_slice)
}

/// Every `uses:` of a workflow's steps.
fn actions(workflow: &Yaml) -> Vec<String> {
    workflow["jobs"].as_mapping().unwrap().values().flat_map(steps).filter_map(|step| step["uses"].as_str().map(str::to_owned)).collect()
}

#[test]
fn ci_runs_the_test_command_with_its_servers() {
    let workflow = yaml(".github/workflows/ci.yml");
    // serde_yaml reads the key `on` as the string "on" (YAML 1.2), not as `true`.
    let triggers = &workflow["on"];
    assert!(!triggers["push"].is_null() && triggers.get("pull_request").is_some(), "on push and pull requests: {triggers:?}");
    assert_eq!(workflow["env"]["RUST_TOOLCHAIN"].as_str(), Some(rust_version().as_str()), "the toolchain of Cargo.toml's rust-version");
    let job = &workflow["jobs"]["test"];
    assert_eq!(job["timeout-minutes"].as_u64(), Some(90), "CI's budget for one run");
    let runs: Vec<&Yaml> = steps(job).iter().filter(|step| step["run"].as_str().is_some_and(|run| run.contains(".ci/run"))).collect();
    assert_eq!(runs.len(), 1, "exactly one step runs .ci/run");
    assert_eq!(runs[0]["run"].as_str().map(str::trim), Some("bash .ci/run"), "nothing but .ci/run");
    assert_eq!(runs[0]["env"]["CI"].as_str(), Some("true"), "CI=true makes the database and Redis legs mandatory");
    let services = &job["services"];
    for (service, image, port) in [("postgres", "postgres:", "5432:5432"), ("mariadb", "mariadb:", "3306:3306"), ("redis", "redis:", "6379:6379")] {
        let service = &services[service];
        assert!(service["image"].as_str().is_some_and(|name| name.starts_with(image)), "{image} {service:?}");
        let ports: Vec<&str> = service["ports"].as_sequence().unwrap().iter().filter_map(Yaml::as_str).collect();
        assert_eq!(ports, [port], "the port tests/backend/databases.py and tests/serve.rs connect to");
        assert!(service["options"].as_str().is_some_and(|options| options.contains("--health-cmd")), "the job starts once {image} answers");
    }
    assert_eq!(services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"], "trust", "user postgres without a password");
    assert_eq!(services["mariadb"]["env"]["MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"], "1", "root without a password");
    let cached: String = steps(job)
        .iter()
        .filter(|step| step["uses"].as_str().is_some_and(|uses| uses.starts_with("actions/cache@")))
        .filter_map(|step| step["with"]["path"].as_str())
        .collect();
    for path in ["~/.cargo/registry", "target", "~/.cache/backbone"] {
        assert!(cached.contains(path), "{path} is cached");
    }
    let advisories = steps(&workflow["jobs"]["advisories"]);
    assert!(advisories.iter().any(|step| step["with"]["command"].as_str() == Some("check advisories")), "cargo deny check advisories, which needs the network");
}

#[test]
fn release_is_cut_from_tags_with_binaries_checksums_and_an_image() {
    let workflow = yaml(".github/workflows/release.yml");
    let tags: Vec<&str> = workflow["on"]["push"]["tags"].as_sequence().unwrap().iter().filter_map(Yaml::as_str).collect();
    assert_eq!(tags, ["v*"]);
    assert!(workflow["on"]["push"]["branches"].is_null() && workflow["on"]["pull_request"].is_null(), "tags only");
    assert_eq!(workflow["env"]["RUST_TOOLCHAIN"].as_str(), Some(rust_version().as_str()));
    let targets: Vec<&str> =
        workflow["jobs"]["binaries"]["strategy"]["matrix"]["include"].as_sequence().unwrap().iter().filter_map(|entry| entry["target"].as_str()).collect();
    assert_eq!(targets, ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]);
    let build: String = steps(&workflow["jobs"]["binaries"]).iter().filter_map(|step| step["run"].as_str()).collect();
    assert!(build.contains("cargo build --release --locked") && build.contains("strip "), "a stripped release build");
    let release: String = steps(&workflow["jobs"]["github-release"]).iter().filter_map(|step| step["run"].as_str()).collect();
    assert!(release.contains("SHA256SUMS"));
    assert_eq!(workflow["jobs"]["github-release"]["permissions"]["contents"], "write");
    let image = &workflow["jobs"]["image"];
    let push = steps(image).iter().find(|step| step["uses"].as_str().is_some_and(|uses| uses.starts_with("docker/build-push-action@"))).unwrap();
    assert_eq!(push["with"]["file"].as_str(), Some("deploy/Dockerfile"));
    assert!(Path::new("deploy/Dockerfile").exists());
    assert!(push["with"]["tags"].as_str().is_some_and(|tags| tags.contains("github.ref_name")), "the image is tagged with the release tag");
    assert_eq!(image["permissions"]["packages"], "write", "pushes to ghcr.io");
}

#[test]
fn every_action_is_pinned_by_commit() {
    for path in [".github/workflows/ci.yml", ".github/workflows/release.yml"] {
        let text = std::fs::read_to_string(path).unwrap();
        for uses in actions(&yaml(path)) {
            let (_, reference) = uses.split_once('@').unwrap_or_else(|| panic!("{path}: {uses} is not pinned"));
            assert!(reference.len() == 40 && reference.bytes().all(|byte| byte.is_ascii_hexdigit()), "{path}: {uses} is not pinned by commit");
            let line = text.lines().find(|line| line.contains(&uses)).unwrap();
            assert!(line.contains(" # "), "{path}: {uses} has no comment naming its release");
        }
    }
}

#[test]
fn dependabot_watches_every_ecosystem_the_repository_pins() {
    let config = yaml(".github/dependabot.yml");
    assert_eq!(config["version"].as_u64(), Some(2));
    let updates = config["updates"].as_sequence().unwrap();
    let watched: Vec<(&str, &str)> =
        updates.iter().map(|update| (update["package-ecosystem"].as_str().unwrap(), update["directory"].as_str().unwrap())).collect();
    for (ecosystem, directory, pinned) in [
        ("cargo", "/", "Cargo.toml"),
        ("github-actions", "/", ".github/workflows/ci.yml"),
        ("pip", "/tests/python", "tests/python/requirements.txt"),
        ("docker", "/deploy", "deploy/Dockerfile"),
    ] {
        assert!(watched.contains(&(ecosystem, directory)), "{ecosystem} in {directory}: {watched:?}");
        assert!(Path::new(pinned).exists(), "{pinned}");
    }
    for update in updates {
        assert!(update["schedule"]["interval"].as_str().is_some(), "{update:?}");
    }
    let cargo = updates.iter().find(|update| update["package-ecosystem"] == "cargo").unwrap();
    let grouped = cargo["groups"].as_mapping().unwrap().values().any(|group| {
        let types: Vec<&str> = group["update-types"].as_sequence().into_iter().flatten().filter_map(Yaml::as_str).collect();
        types.contains(&"minor") && types.contains(&"patch")
    });
    assert!(grouped, "cargo minor and patch updates come in one pull request");
    assert_eq!(cargo["schedule"]["interval"], "weekly");
}
