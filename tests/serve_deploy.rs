//! The `deploy/` folder: every YAML and JSON file parses, the alert rules pass
//! `promtool check rules`, the configuration files are ones `backbone serve` accepts,
//! the manifests point at routes the daemon serves, and every metric the dashboard or
//! the rules name is in a real scrape of the daemon.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use backbone::serve::config::Config;
use backbone::serve::{ManualClock, Server};
use serde_yaml::Value as Yaml;

fn files_with(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extensions.iter().any(|wanted| extension == *wanted)) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn yaml_documents(path: &Path) -> Vec<Yaml> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| <Yaml as serde::Deserialize>::deserialize(document).unwrap_or_else(|error| panic!("{}: {error}", path.display())))
        .collect()
}

fn yaml(path: &str) -> Yaml {
    yaml_documents(Path::new(path)).into_iter().next().unwrap()
}

#[test]
fn every_yaml_and_json_file_parses() {
    let yaml_files = files_with(Path::new("deploy"), &["yml", "yaml"]);
    assert!(yaml_files.len() >= 10, "{yaml_files:?}");
    for path in yaml_files {
        assert!(!yaml_documents(&path).is_empty(), "{}", path.display());
    }
    for path in files_with(Path::new("deploy"), &["json"]) {
        let text = std::fs::read_to_string(&path).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }
}

#[test]
fn the_configuration_files_are_accepted() {
    let config = Config::from_toml(&std::fs::read_to_string("deploy/backbone.toml").unwrap()).unwrap();
    assert_eq!(config.limits, Config::default().limits, "the example shows the documented defaults");
    assert_eq!(config.rate_limit.public_per_minute, 20);
    let configmap = yaml("deploy/k8s/configmap.yaml");
    let in_cluster = Config::from_toml(configmap["data"]["backbone.toml"].as_str().unwrap()).unwrap();
    assert!(in_cluster.rate_limit.store.starts_with("redis://"));
    assert!(in_cluster.drain_delay_ms > 0, "readiness fails before the listener closes");
    let keys = backbone::serve::keys::parse_key_file(&std::fs::read_to_string("deploy/keys.example.toml").unwrap()).unwrap();
    assert_eq!(keys.len(), 2);
    let secret = yaml("deploy/k8s/secret.yaml");
    backbone::serve::keys::parse_key_file(secret["stringData"]["keys.toml"].as_str().unwrap()).unwrap();
    assert!(secret["stringData"]["jwt-secret"].as_str().unwrap().len() >= 32);
}

fn served(path: &str) -> bool {
    backbone::serve::openapi::ROUTES.iter().any(|route| route.path == path)
}

#[test]
fn the_kubernetes_manifests_fit_together() {
    let deployment = yaml("deploy/k8s/deployment.yaml");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let path = container[probe]["httpGet"]["path"].as_str().unwrap();
        assert!(served(path), "{probe} {path}");
    }
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health/liveness");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/health/readiness");
    assert!(container["resources"]["limits"]["cpu"].is_string() && container["resources"]["limits"]["memory"].is_string());
    assert!(container["resources"]["requests"]["cpu"].is_string());
    assert_eq!(deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"], true);
    let name = deployment["metadata"]["name"].as_str().unwrap();
    let hpa = yaml("deploy/k8s/hpa.yaml");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"].as_str(), Some(name));
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
    let service = yaml("deploy/k8s/service.yaml");
    assert_eq!(service["spec"]["selector"], deployment["spec"]["selector"]["matchLabels"]);
    let pdb = yaml("deploy/k8s/pdb.yaml");
    assert_eq!(pdb["apiVersion"], "policy/v1");
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);
    let min_available = pdb["spec"]["minAvailable"].as_u64().unwrap();
    assert!(min_available >= 1 && min_available < deployment["spec"]["replicas"].as_u64().unwrap(), "a drain can always proceed");
    let ingress = yaml("deploy/k8s/ingress.yaml");
    assert_eq!(ingress["apiVersion"], "networking.k8s.io/v1");
    assert!(ingress["spec"]["tls"][0]["secretName"].is_string(), "TLS from a Secret");
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"], service["metadata"]["name"]);
    assert_eq!(backend["port"]["name"], service["spec"]["ports"][0]["name"]);
    let kustomization = yaml("deploy/k8s/kustomization.yaml");
    for resource in kustomization["resources"].as_sequence().unwrap() {
        assert!(Path::new("deploy/k8s").join(resource.as_str().unwrap()).exists(), "{resource:?}");
    }
    let kinds: BTreeSet<String> = files_with(Path::new("deploy/k8s"), &["yaml"])
        .iter()
        .flat_map(|path| yaml_documents(path))
        .filter_map(|document| document["kind"].as_str().map(str::to_owned))
        .collect();
    for kind in ["Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
}

/// The kinds the manifests may use, with the API group version Kubernetes serves them
/// under (the stable ones: a beta or removed version fails to apply on a current cluster).
const KNOWN_KINDS: &[(&str, &str)] = &[
    ("v1", "ConfigMap"),
    ("v1", "Namespace"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
];

/// Every Kubernetes object under deploy/k8s (the kustomization is kustomize's, not an object).
fn kubernetes_objects() -> Vec<(PathBuf, Yaml)> {
    files_with(Path::new("deploy/k8s"), &["yaml", "yml"])
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name != "kustomization.yaml"))
        .flat_map(|path| yaml_documents(&path).into_iter().map(move |document| (path.clone(), document)))
        .collect()
}

fn of_kind<'a>(objects: &'a [(PathBuf, Yaml)], kind: &str) -> Vec<&'a Yaml> {
    objects.iter().filter(|(_, object)| object["kind"] == kind).map(|(_, object)| object).collect()
}

fn name_of(object: &Yaml) -> &str {
    object["metadata"]["name"].as_str().unwrap()
}

/// `true` when every label of `selector` is on `labels` (how a label selector matches).
fn selects(selector: &Yaml, labels: &Yaml) -> bool {
    let (Some(selector), Some(labels)) = (selector.as_mapping(), labels.as_mapping()) else { return false };
    !selector.is_empty() && selector.iter().all(|(key, value)| labels.get(key) == Some(value))
}

/// `true` when a probe's or a Service's port (a name or a number) is one the container declares.
fn names_a_container_port(port: &Yaml, container: &Yaml) -> bool {
    container["ports"].as_sequence().into_iter().flatten().any(|declared| match port {
        Yaml::String(name) => declared["name"].as_str() == Some(name),
        number => declared["containerPort"] == *number,
    })
}

/// The schema facts `kubectl apply` (or the pods it starts) would trip over, checked over
/// every object rather than one file at a time: known kinds, selectors that select, ports
/// that exist, probes on the daemon's real routes, bounded resources and non-root pods.
#[test]
fn every_kubernetes_object_is_consistent_with_the_others() {
    let objects = kubernetes_objects();
    assert!(objects.len() >= 10, "{} objects", objects.len());
    for (path, object) in &objects {
        let (api_version, kind) = (object["apiVersion"].as_str().unwrap_or_default(), object["kind"].as_str().unwrap_or_default());
        assert!(KNOWN_KINDS.contains(&(api_version, kind)), "{}: {api_version} {kind} is not a known stable kind", path.display());
        let name = name_of(object);
        assert!(
            name.len() <= 63 && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-') && !name.starts_with('-'),
            "{}: {name} is not a DNS-1123 label",
            path.display()
        );
    }
    let deployments = of_kind(&objects, "Deployment");
    for deployment in &deployments {
        let name = name_of(deployment);
        let pod = &deployment["spec"]["template"];
        assert!(selects(&deployment["spec"]["selector"]["matchLabels"], &pod["metadata"]["labels"]), "{name}: the selector misses its own pods");
        assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true, "{name}: the pod may run as root");
        let containers = pod["spec"]["containers"].as_sequence().unwrap();
        for container in containers {
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(!container["resources"][bound][resource].is_null(), "{name}: no {bound}.{resource}");
                }
            }
            assert_eq!(container["securityContext"]["allowPrivilegeEscalation"], false, "{name}");
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                let probe = &container[probe];
                for handler in ["httpGet", "tcpSocket"] {
                    if !probe[handler].is_null() {
                        assert!(names_a_container_port(&probe[handler]["port"], container), "{name}: {handler} probe on an undeclared port");
                    }
                }
                if let Some(path) = probe["httpGet"]["path"].as_str() {
                    assert!(served(path), "{name}: probe on {path}, which the daemon does not serve");
                }
            }
        }
    }
    let services = of_kind(&objects, "Service");
    for service in &services {
        let name = name_of(service);
        let backing: Vec<&&Yaml> =
            deployments.iter().filter(|deployment| selects(&service["spec"]["selector"], &deployment["spec"]["template"]["metadata"]["labels"])).collect();
        assert_eq!(backing.len(), 1, "Service {name} selects {} Deployments", backing.len());
        let containers = backing[0]["spec"]["template"]["spec"]["containers"].as_sequence().unwrap();
        for port in service["spec"]["ports"].as_sequence().unwrap() {
            let target = &port["targetPort"];
            assert!(containers.iter().any(|container| names_a_container_port(target, container)), "Service {name}: targetPort {target:?} is no container port");
        }
    }
    for pdb in of_kind(&objects, "PodDisruptionBudget") {
        let selected = deployments
            .iter()
            .filter(|deployment| selects(&pdb["spec"]["selector"]["matchLabels"], &deployment["spec"]["template"]["metadata"]["labels"]))
            .count();
        assert_eq!(selected, 1, "PodDisruptionBudget {} selects {selected} Deployments", name_of(pdb));
    }
    for ingress in of_kind(&objects, "Ingress") {
        for rule in ingress["spec"]["rules"].as_sequence().unwrap() {
            for path in rule["http"]["paths"].as_sequence().unwrap() {
                let backend = &path["backend"]["service"];
                let service = services.iter().find(|service| service["metadata"]["name"] == backend["name"]);
                let service = service.unwrap_or_else(|| panic!("Ingress {}: no Service {:?}", name_of(ingress), backend["name"]));
                let port = &backend["port"];
                let exists = service["spec"]["ports"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|declared| if port["name"].is_null() { declared["port"] == port["number"] } else { declared["name"] == port["name"] });
                assert!(exists, "Ingress {}: Service {} has no port {port:?}", name_of(ingress), name_of(service));
            }
        }
    }
    for hpa in of_kind(&objects, "HorizontalPodAutoscaler") {
        let target = &hpa["spec"]["scaleTargetRef"];
        assert!(deployments.iter().any(|deployment| deployment["metadata"]["name"] == target["name"]), "HorizontalPodAutoscaler {}: no target", name_of(hpa));
    }
}

/// The full OpenAPI schemas of Kubernetes, through `kubernetes-validate` (PyPI; it
/// bundles the schemas and works offline), from the test venv (`scripts/python-env`,
/// pinned in tests/python/requirements.txt).
#[test]
fn kubernetes_validate_accepts_every_manifest() {
    let manifests: Vec<PathBuf> = files_with(Path::new("deploy/k8s"), &["yaml", "yml"])
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name != "kustomization.yaml"))
        .collect();
    let venv = std::process::Command::new("scripts/python-env").output().expect("run scripts/python-env");
    assert!(venv.status.success(), "scripts/python-env failed:\n{}", String::from_utf8_lossy(&venv.stderr));
    let python = PathBuf::from(String::from_utf8_lossy(&venv.stdout).lines().last().expect("the venv's python").trim());
    let output = std::process::Command::new(python.with_file_name("kubernetes-validate"))
        .args(["--strict", "--quiet"])
        .args(&manifests)
        .output()
        .expect("run kubernetes-validate");
    assert!(output.status.success(), "kubernetes-validate --strict:\n{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
}

#[test]
fn compose_and_dockerfile_are_complete() {
    let compose = yaml("deploy/docker-compose.yml");
    let services = compose["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().filter_map(Yaml::as_str).collect();
    for wanted in ["backbone-1", "backbone-2", "redis", "prometheus", "grafana"] {
        assert!(names.contains(&wanted), "{wanted} in {names:?}");
    }
    for service in services.values() {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let host = volume.as_str().unwrap().split(':').next().unwrap();
            assert!(Path::new("deploy").join(host).exists(), "{host} is mounted but missing");
        }
    }
    let dockerfile = std::fs::read_to_string("deploy/Dockerfile").unwrap();
    assert!(dockerfile.lines().filter(|line| line.starts_with("FROM ")).count() >= 2, "multi-stage");
    let user = dockerfile.lines().rev().find_map(|line| line.strip_prefix("USER ")).expect("a USER line");
    assert!(!user.starts_with("root") && !user.starts_with('0'), "runs as non-root: {user}");
    for copied in dockerfile.lines().filter_map(|line| line.strip_prefix("COPY ")).filter(|line| !line.starts_with("--from")) {
        let sources: Vec<&str> = copied.split_whitespace().collect();
        for source in &sources[..sources.len() - 1] {
            assert!(Path::new(source).exists(), "COPY {source}: missing from the repository");
        }
    }
}

/// Metric names (`backbone_…`, `process_…`) in a PromQL expression, histogram series
/// mapped to their family.
fn metric_names(expression: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expression.as_bytes();
    let mut idx = 0;
    while idx < bytes.len() {
        let rest = &expression[idx..];
        let boundary = idx == 0 || !(bytes[idx - 1].is_ascii_alphanumeric() || bytes[idx - 1] == b'_');
        if boundary && (rest.starts_with("backbone_") || rest.starts_with("process_")) {
            let end = rest.find(|character: char| !(character.is_ascii_alphanumeric() || character == '_')).unwrap_or(rest.len());
            let name = &rest[..end];
            let family = ["_bucket", "_sum", "_count"].iter().find_map(|suffix| name.strip_suffix(suffix)).unwrap_or(name);
            names.insert(family.to_owned());
            idx += end;
        } else {
            idx += 1;
        }
    }
    names
}

fn referenced_metrics() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("deploy/grafana/dashboards/backbone.json").unwrap()).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            names.extend(metric_names(target["expr"].as_str().unwrap()));
        }
    }
    let rules = yaml("deploy/prometheus/alerts.yml");
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            names.extend(metric_names(rule["expr"].as_str().unwrap()));
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_named_by_the_dashboard_and_rules_is_scraped() {
    let referenced = referenced_metrics();
    assert!(referenced.len() >= 15, "{referenced:?}");
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        workers: 1,
        auth: backbone::serve::config::AuthConfig { api_keys: vec!["ci:ci-key".to_owned()], ..Default::default() },
        rate_limit: backbone::serve::config::RateLimitConfig { public_per_minute: 1, ..Default::default() },
        ..Config::default()
    };
    let server = Server::bind(config, Arc::new(ManualClock::new(1_893_456_000_000))).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let handle = server.handle();
    let task = tokio::spawn(server.run());
    let http = reqwest::Client::new();
    let schema = std::fs::read_to_string("examples/library.json").unwrap();
    // Enough traffic that every labelled family has a series: a validation, a
    // generation, an auth failure and a rate-limit refusal.
    http.post(format!("{base}/api/v1/validate")).header("x-api-key", "ci-key").body(schema.clone()).send().await.unwrap();
    http.post(format!("{base}/api/v1/generate")).header("x-api-key", "ci-key").body(schema).send().await.unwrap();
    http.post(format!("{base}/api/v1/validate")).send().await.unwrap();
    http.post(format!("{base}/api/v1/token")).header("x-api-key", "wrong").send().await.unwrap();
    http.get(format!("{base}/health/readiness")).send().await.unwrap();
    let scrape = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    let exported: BTreeSet<&str> = scrape.lines().filter_map(|line| line.strip_prefix("# TYPE ")).filter_map(|rest| rest.split(' ').next()).collect();
    for name in &referenced {
        assert!(exported.contains(name.as_str()), "{name} is named by the dashboard or the rules but not in the scrape");
    }
    handle.shutdown();
    task.await.unwrap().unwrap();
}

#[test]
fn promtool_accepts_the_alert_rules() {
    let output = std::process::Command::new("promtool").args(["check", "rules", "deploy/prometheus/alerts.yml"]).output();
    match output {
        Ok(output) => {
            assert!(output.status.success(), "promtool check rules:\n{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        }
        Err(_) => skip_note("promtool (Debian package `prometheus`) is not installed; the alert rules were only parsed as YAML"),
    }
}

#[expect(clippy::print_stderr, reason = "a skipped check must be visible in the test output")]
fn skip_note(what: &str) {
    eprintln!("note: {what}");
}
