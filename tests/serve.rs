//! `backbone serve` over real loopback sockets: every endpoint, auth (keys, JWT, the
//! token endpoint, reload), the four rate-limit tiers with an injected clock, limits
//! shared through the real Redis, input limits, health states, request ids, the
//! metrics scrape (checked by `promtool`), CORS, timeouts and graceful shutdown.
//!
//! Redis (127.0.0.1:6379) and openssl are required when `CI=true`; elsewhere a test
//! that needs one skips with a note when it is missing. `promtool` is used when it is
//! installed (Debian package `prometheus`), else that one check is skipped with a note.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use backbone::serve::config::{Config, FailMode, JwtAlgorithm};
use backbone::serve::{Handle, ManualClock, Server};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 2030-01-01T00:00:00Z exactly: the start of a minute and of an hour, so windows are whole.
const T0_MS: u64 = 1_893_456_000_000;

const TINY: &str = r#"{"project_name": "tiny", "db_type": "sqlite", "schema": [
  {"table_name": "items", "class_name": "Item", "columns": [
    {"name": "id", "type": "Integer", "primary_key": true, "nullable": false},
    {"name": "name", "type": "String", "length": 50}]}]}"#;

const HS_SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

struct Daemon {
    base: String,
    address: std::net::SocketAddr,
    handle: Handle,
    task: tokio::task::JoinHandle<Result<(), String>>,
    clock: Arc<ManualClock>,
}

impl Daemon {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn stop(self) {
        self.handle.shutdown();
        let outcome = tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("daemon stops in time");
        outcome.expect("daemon task").expect("daemon ends cleanly");
    }
}

fn config() -> Config {
    Config { listen: "127.0.0.1:0".parse().unwrap(), workers: 2, ..Config::default() }
}

async fn start_with_clock(config: Config, clock: Arc<ManualClock>) -> Daemon {
    let server = Server::bind(config, clock.clone()).await.expect("daemon binds");
    let address = server.local_addr().expect("bound address");
    let handle = server.handle();
    let task = tokio::spawn(server.run());
    Daemon { base: format!("http://{address}"), address, handle, task, clock }
}

async fn start(config: Config) -> Daemon {
    start_with_clock(config, Arc::new(ManualClock::new(T0_MS))).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_mins(1)).build().unwrap()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("examples/{name}.json")).unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers().get(name).unwrap_or_else(|| panic!("no {name} header")).to_str().unwrap()
}

fn required(what: &str) -> bool {
    assert!(!std::env::var("CI").is_ok_and(|value| value == "true"), "{what} is required when CI=true");
    skip_note(what);
    false
}

#[expect(clippy::print_stderr, reason = "a skipped check must be visible in the test output")]
fn skip_note(what: &str) {
    eprintln!("note: {what} is not available; that check is skipped");
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

// ---------------------------------------------------------------- endpoints

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_answers_the_cli_json_report() {
    let daemon = start(config()).await;
    let http = client();
    let text = example("library");
    let response = http.post(daemon.url("/api/v1/validate")).body(text.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    let body = response.text().await.unwrap();
    let source = backbone::source::Source::new("<request>", text);
    let options = Config::default().limits.compile_options();
    let compilation = backbone::compile(&source, &options);
    let expected = backbone::diagnostics::render::json(&[backbone::diagnostics::render::file_report(&source, &compilation.diagnostics)]);
    assert_eq!(body.trim_end(), expected, "the same JSON as `validate --format json`");

    // An invalid schema is still 200, with valid: false.
    let invalid = TINY.replace("\"Integer\"", "\"Integr\"");
    let response = http.post(daemon.url("/api/v1/validate")).body(invalid).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["files"][0]["valid"], false);
    assert!(!report["files"][0]["diagnostics"].as_array().unwrap().is_empty());

    // Not a schema document at all: 422 with the JSON_SYNTAX diagnostic.
    for body in ["not json", "[1, 2]", ""] {
        let response = http.post(daemon.url("/api/v1/validate")).body(body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["files"][0]["diagnostics"][0]["code"], "JSON_SYNTAX");
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_answers_a_zip_or_json_files() {
    let daemon = start(config()).await;
    let http = client();
    let text = example("library");
    let source = backbone::source::Source::new("<request>", text.clone());
    let compilation = backbone::compile(&source, &Config::default().limits.compile_options());
    let (schema, order) = compilation.valid_schema().unwrap();
    let files = backbone::target::python::render(schema, order).expect("the templates render");

    let response = http.post(daemon.url("/api/v1/generate")).body(text.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/zip");
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(archive.len(), files.len());
    for (path, file) in files.iter() {
        let mut contents = String::new();
        archive.by_name(path).unwrap().read_to_string(&mut contents).unwrap();
        assert_eq!(contents, file.contents, "{path}");
    }

    let response = http.post(daemon.url("/api/v1/generate")).header("accept", "application/json").body(text).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let project: Value = response.json().await.unwrap();
    let listed: Vec<(&str, &str)> =
        project["files"].as_array().unwrap().iter().map(|file| (file["path"].as_str().unwrap(), file["content"].as_str().unwrap())).collect();
    let expected: Vec<(&str, &str)> = files.iter().map(|(path, file)| (path.as_str(), file.contents.as_str())).collect();
    assert_eq!(listed, expected);

    let invalid = TINY.replace("\"Integer\"", "\"Integr\"");
    let response = http.post(daemon.url("/api/v1/generate")).body(invalid).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["files"][0]["valid"], false);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_openapi_and_docs_describe_the_service() {
    let daemon = start(config()).await;
    let http = client();
    http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
    let status: Value = http.get(daemon.url("/api/v1/status")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["limits"]["max_tables"], 50);
    assert_eq!(status["limits"]["max_columns"], 100);
    assert_eq!(status["limits"]["max_relationships"], 50);
    assert_eq!(status["limits"]["max_schema_bytes"], 10 * 1024 * 1024);
    assert_eq!(status["limits"]["max_body_bytes"], 50 * 1024 * 1024);
    assert_eq!(status["rate_limits"]["public_per_minute"], 20);
    assert_eq!(status["rate_limits"]["generation_per_hour"], 50);
    assert_eq!(status["served"]["validations"], 1);
    assert!(status["uptime_seconds"].is_u64());

    let document: Value = http.get(daemon.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for route in backbone::serve::openapi::ROUTES {
        assert!(document["paths"][route.path][route.method].is_object(), "{} {} documented", route.method, route.path);
        let request = if route.method == "get" { http.get(daemon.url(route.path)) } else { http.post(daemon.url(route.path)) };
        let response = request.send().await.unwrap();
        assert_ne!(response.status(), StatusCode::NOT_FOUND, "{} {} is served", route.method, route.path);
    }
    let docs = http.get(daemon.url("/docs")).send().await.unwrap();
    assert!(header(&docs, "content-type").starts_with("text/html"));
    assert!(docs.text().await.unwrap().contains("/api/v1/generate"));
    let missing = http.get(daemon.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    daemon.stop().await;
}

// ---------------------------------------------------------------- input limits

/// Sends `body` with `Transfer-Encoding: chunked` (no declared length); the raw answer.
async fn post_chunked(address: std::net::SocketAddr, path: &str, body: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").into_bytes();
    for chunk in body.chunks(16_384) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before the whole body is sent.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn schema_with(tables: usize, columns: usize, relationships: usize) -> String {
    let mut table_list = Vec::new();
    for table in 0..tables {
        let mut column_list = vec![json!({"name": "id", "type": "Integer", "primary_key": true, "nullable": false})];
        for column in 1..columns {
            column_list.push(json!({"name": format!("c{column}"), "type": "String", "length": 20}));
        }
        let relationship_list: Vec<Value> =
            (0..relationships).map(|idx| json!({"target_table": format!("t{idx}"), "target_class": format!("T{idx}"), "type": "one_to_many"})).collect();
        table_list.push(json!({
            "table_name": format!("t{table}"), "class_name": format!("T{table}"),
            "columns": column_list, "relationships": relationship_list,
        }));
    }
    json!({"project_name": "big", "db_type": "sqlite", "schema": table_list}).to_string()
}

async fn limit_message(http: &reqwest::Client, daemon: &Daemon, path: &str, body: String) -> String {
    let response = http.post(daemon.url(path)).body(body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report: Value = response.json().await.unwrap();
    let diagnostics = report["files"][0]["diagnostics"].as_array().unwrap();
    let limit = diagnostics.iter().find(|diagnostic| diagnostic["code"] == "LIMIT_EXCEEDED").expect("a LIMIT_EXCEEDED diagnostic");
    limit["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_limits_answer_413_and_422() {
    let mut config = config();
    config.rate_limit.enabled = false;
    config.limits.max_body_bytes = 200_000;
    config.limits.max_schema_bytes = 100_000;
    let daemon = start(config).await;
    let http = client();

    // Over the body limit: 413, before any compilation.
    let response = http.post(daemon.url("/api/v1/validate")).body(vec![b' '; 200_001]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "payload_too_large");
    assert!(error["message"].as_str().unwrap().contains("limit of 200000 bytes"));
    // Within the body limit but over the schema limit: 422 naming the limit.
    let padded = format!("{TINY}{}", " ".repeat(100_001));
    let message = limit_message(&http, &daemon, "/api/v1/validate", padded).await;
    assert!(message.contains("limit of 100000 bytes"), "{message}");
    // The same answer when the length is not declared up front (chunked) and the
    // whole body has to be read first.
    for size in [100_001, 250_000] {
        // Without a declared length, reading stops past the schema limit: 422 even for
        // a body over the body limit, and never more than the schema limit in memory.
        let answer = post_chunked(daemon.address, "/api/v1/generate", format!("{TINY}{}", " ".repeat(size)).as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
        assert!(answer.contains("LIMIT_EXCEEDED") && answer.contains("limit of 100000 bytes"), "{answer}");
    }

    // The default table, column and relationship limits (50, 100, 50).
    let message = limit_message(&http, &daemon, "/api/v1/validate", schema_with(51, 2, 0)).await;
    assert!(message.contains("51 tables") && message.contains("limit of 50"), "{message}");
    let message = limit_message(&http, &daemon, "/api/v1/generate", schema_with(1, 101, 0)).await;
    assert!(message.contains("101 columns") && message.contains("limit of 100"), "{message}");
    let message = limit_message(&http, &daemon, "/api/v1/validate", schema_with(2, 2, 51)).await;
    assert!(message.contains("51 relationships") && message.contains("limit of 50"), "{message}");
    // Exactly at the limits is fine (the document may have other errors, but no limit).
    let response = http.post(daemon.url("/api/v1/validate")).body(schema_with(50, 2, 0)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Hostile nesting is a syntax error, not a stack overflow.
    let deep = format!("{{\"a\": {}{}}}", "[".repeat(90_000), "]".repeat(90_000));
    let response = http.post(daemon.url("/api/v1/validate")).body(deep).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let health = http.get(daemon.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swarms_of_tiny_values_are_refused_before_compiling() {
    let mut config = config();
    config.rate_limit.enabled = false;
    let daemon = start(config).await;
    let http = client();
    // A document at every structural limit is well under the JSON-value limit.
    let response = http.post(daemon.url("/api/v1/validate")).body(schema_with(50, 100, 50)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "not rejected: no limit is exceeded");
    let report: Value = response.json().await.unwrap();
    assert!(report["files"][0]["diagnostics"].as_array().unwrap().iter().all(|diagnostic| diagnostic["code"] != "LIMIT_EXCEEDED"));
    // Millions of tiny values would cost a diagnostic each: refused before compiling.
    let swarm = format!("{{\"project_name\": \"x\", \"db_type\": \"sqlite\", \"schema\": [{}0]}}", "0,".repeat(100_000));
    let message = limit_message(&http, &daemon, "/api/v1/validate", swarm).await;
    assert!(message.contains("limit of 100000 JSON values"), "{message}");
    // Commas inside strings are not values.
    let strings = format!("{{\"project_name\": \"{}\", \"db_type\": \"sqlite\", \"schema\": []}}", ",\\\",".repeat(60_000));
    let response = http.post(daemon.url("/api/v1/validate")).body(strings).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    daemon.stop().await;
}

// ---------------------------------------------------------------- authentication

fn sha256_hex(key: &str) -> String {
    backbone::serve::keys::hash_key(key).iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write;
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (idx, byte)| acc | (u32::from(*byte) << (16 - 8 * idx)));
        for idx in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * idx)) & 63) as usize] as char);
        }
    }
    out
}

fn hs_token(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn status_of(request: reqwest::RequestBuilder) -> StatusCode {
    request.body(TINY).send().await.unwrap().status()
}

fn auth_config(dir: &std::path::Path) -> Config {
    let keys = format!(
        "[[keys]]\nid = \"ci\"\nsha256 = \"{}\"\n\n[[keys]]\nid = \"old\"\nsha256 = \"{}\"\nexpires = 2020-01-01T00:00:00Z\n",
        sha256_hex("ci-secret-key"),
        sha256_hex("expired-key")
    );
    std::fs::write(dir.join("keys.toml"), keys).unwrap();
    let mut config = config();
    config.auth.api_keys_file = Some(dir.join("keys.toml"));
    config.auth.api_keys = vec![format!("ops:sha256:{}", sha256_hex("ops-key")), "dev:plain-dev-key".to_owned()];
    config.auth.jwt_secret = Some(HS_SECRET.to_owned());
    config.auth.jwt_issuer = Some("backbone-test".to_owned());
    config.auth.jwt_audience = Some("backbone-api".to_owned());
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_hs256_tokens_guard_protected_routes() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = start_with_clock(auth_config(dir.path()), Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let validate = || http.post(daemon.url("/api/v1/validate"));

    assert_eq!(status_of(validate()).await, StatusCode::UNAUTHORIZED, "no credential");
    let response = validate().body(TINY).send().await.unwrap();
    assert_eq!(header(&response, "www-authenticate"), "Bearer, ApiKey");
    assert_eq!(status_of(validate().header("x-api-key", "wrong")).await, StatusCode::UNAUTHORIZED, "unknown key");
    assert_eq!(status_of(validate().header("x-api-key", "expired-key")).await, StatusCode::UNAUTHORIZED, "expired key");
    assert_eq!(status_of(validate().header("x-api-key", "ci-secret-key")).await, StatusCode::OK);
    assert_eq!(status_of(validate().header("x-api-key", "ops-key")).await, StatusCode::OK, "hashed key from env");
    assert_eq!(status_of(validate().header("x-api-key", "plain-dev-key")).await, StatusCode::OK, "plain key from env");

    let now = now_secs();
    let good = json!({"sub": "alice", "exp": now + 300, "iss": "backbone-test", "aud": "backbone-api"});
    let bearer = |token: &str| validate().header("authorization", format!("Bearer {token}"));
    assert_eq!(status_of(bearer(&hs_token(&good, HS_SECRET))).await, StatusCode::OK);
    let expired = json!({"sub": "alice", "exp": now - 600, "iss": "backbone-test", "aud": "backbone-api"});
    assert_eq!(status_of(bearer(&hs_token(&expired, HS_SECRET))).await, StatusCode::UNAUTHORIZED, "expired");
    assert_eq!(status_of(bearer(&hs_token(&good, "another-secret-of-thirty-two-bytes!!"))).await, StatusCode::UNAUTHORIZED, "wrong signature");
    let no_exp = json!({"sub": "alice", "iss": "backbone-test", "aud": "backbone-api"});
    assert_eq!(status_of(bearer(&hs_token(&no_exp, HS_SECRET))).await, StatusCode::UNAUTHORIZED, "exp is required");
    let wrong_issuer = json!({"sub": "alice", "exp": now + 300, "iss": "someone", "aud": "backbone-api"});
    assert_eq!(status_of(bearer(&hs_token(&wrong_issuer, HS_SECRET))).await, StatusCode::UNAUTHORIZED, "issuer");
    let wrong_audience = json!({"sub": "alice", "exp": now + 300, "iss": "backbone-test", "aud": "other"});
    assert_eq!(status_of(bearer(&hs_token(&wrong_audience, HS_SECRET))).await, StatusCode::UNAUTHORIZED, "audience");
    // alg none: a header and claims with an empty signature.
    let none = format!("{}.{}.", base64url(br#"{"alg":"none","typ":"JWT"}"#), base64url(serde_json::to_string(&good).unwrap().as_bytes()));
    assert_eq!(status_of(bearer(&none)).await, StatusCode::UNAUTHORIZED, "alg none");
    // Another HMAC algorithm with the right secret is refused too: only HS256 is configured.
    let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &good, &EncodingKey::from_secret(HS_SECRET.as_bytes())).unwrap();
    assert_eq!(status_of(bearer(&hs512)).await, StatusCode::UNAUTHORIZED, "HS512 not configured");
    assert_eq!(status_of(validate().header("authorization", "Basic abc")).await, StatusCode::UNAUTHORIZED);

    // The token endpoint exchanges a key for a JWT that then works.
    let refused = http.post(daemon.url("/api/v1/token")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let issued: Value = http.post(daemon.url("/api/v1/token")).header("x-api-key", "ci-secret-key").send().await.unwrap().json().await.unwrap();
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 900);
    assert_eq!(status_of(bearer(issued["access_token"].as_str().unwrap())).await, StatusCode::OK);

    // Health, metrics and docs stay open.
    for path in ["/health", "/health/readiness", "/metrics", "/openapi.json", "/api/v1/status"] {
        assert_eq!(http.get(daemon.url(path)).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for reason in [
        "missing_credentials",
        "invalid_key",
        "expired_key",
        "expired_token",
        "bad_signature",
        "missing_claim",
        "wrong_issuer",
        "wrong_audience",
        "algorithm_rejected",
        "malformed_token",
    ] {
        let prefix = format!("backbone_auth_failures_total{{reason=\"{reason}\"}} ");
        let count: u64 = scrape.lines().find_map(|line| line.strip_prefix(prefix.as_str())).and_then(|value| value.parse().ok()).unwrap_or(0);
        assert!(count >= 1, "auth failure reason {reason} counted");
    }
    assert!(!scrape.contains("ci-secret-key"), "keys never appear");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = auth_config(dir.path());
    config.auth.reload_interval_secs = 1;
    let daemon = start_with_clock(config, Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let with_key = |key: &'static str| http.post(daemon.url("/api/v1/validate")).header("x-api-key", key);
    assert_eq!(status_of(with_key("ci-secret-key")).await, StatusCode::OK);
    assert_eq!(status_of(with_key("rotated-key")).await, StatusCode::UNAUTHORIZED);

    // SIGHUP's path: the handle reloads at once.
    std::fs::write(dir.path().join("keys.toml"), format!("[[keys]]\nid = \"ci2\"\nsha256 = \"{}\"\n", sha256_hex("rotated-key"))).unwrap();
    assert_eq!(daemon.handle.reload_keys().unwrap(), 3, "one from the file, two given directly");
    assert_eq!(status_of(with_key("rotated-key")).await, StatusCode::OK);
    assert_eq!(status_of(with_key("ci-secret-key")).await, StatusCode::UNAUTHORIZED, "the old key is gone");

    // A change of the file is noticed by itself.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(dir.path().join("keys.toml"), format!("[[keys]]\nid = \"ci3\"\nsha256 = \"{}\"\n", sha256_hex("third-key"))).unwrap();
    let mut accepted = false;
    for _ in 0..40 {
        if status_of(with_key("third-key")).await == StatusCode::OK {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(accepted, "the watcher reloaded the changed file");
    // A broken file keeps the keys in force.
    std::fs::write(dir.path().join("keys.toml"), "[[keys]]\nid = 3\n").unwrap();
    assert!(daemon.handle.reload_keys().is_err());
    assert_eq!(status_of(with_key("third-key")).await, StatusCode::OK);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_tokens_and_algorithm_confusion() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private.pem");
    let public = dir.path().join("public.pem");
    let generated =
        std::process::Command::new("openssl").args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"]).arg(&private).output();
    if !generated.is_ok_and(|output| output.status.success()) {
        required("openssl");
        return;
    }
    let exported = std::process::Command::new("openssl").arg("rsa").arg("-in").arg(&private).arg("-pubout").arg("-out").arg(&public).output().unwrap();
    assert!(exported.status.success());
    let mut config = config();
    config.auth.jwt_algorithm = JwtAlgorithm::RS256;
    config.auth.jwt_public_key_file = Some(public.clone());
    config.auth.jwt_private_key_file = Some(private.clone());
    config.auth.api_keys = vec!["ci:ci-secret-key".to_owned()];
    let daemon = start_with_clock(config, Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let bearer = |token: &str| http.post(daemon.url("/api/v1/generate")).header("authorization", format!("Bearer {token}"));
    let claims = json!({"sub": "bob", "exp": now_secs() + 300});
    let private_pem = std::fs::read(&private).unwrap();
    let signed = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &EncodingKey::from_rsa_pem(&private_pem).unwrap()).unwrap();
    assert_eq!(status_of(bearer(&signed)).await, StatusCode::OK);
    // Algorithm confusion: HS256 "signed" with the public key as the secret.
    let public_pem = std::fs::read(&public).unwrap();
    let confused = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&public_pem)).unwrap();
    assert_eq!(status_of(bearer(&confused)).await, StatusCode::UNAUTHORIZED, "algorithm confusion");
    // The token endpoint signs with the private key.
    let issued: Value = http.post(daemon.url("/api/v1/token")).header("x-api-key", "ci-secret-key").send().await.unwrap().json().await.unwrap();
    assert_eq!(status_of(bearer(issued["access_token"].as_str().unwrap())).await, StatusCode::OK);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_routes_are_configurable() {
    let mut config = config();
    config.auth.api_keys = vec!["ci:ci-secret-key".to_owned()];
    config.auth.protected = vec!["/api/v1/generate".to_owned()];
    let daemon = start(config).await;
    let http = client();
    assert_eq!(status_of(http.post(daemon.url("/api/v1/validate"))).await, StatusCode::OK);
    assert_eq!(status_of(http.post(daemon.url("/api/v1/generate"))).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(http.post(daemon.url("/api/v1/generate")).header("x-api-key", "ci-secret-key")).await, StatusCode::OK);
    // A credential that is presented must be valid, even on an open route.
    assert_eq!(status_of(http.post(daemon.url("/api/v1/validate")).header("x-api-key", "nope")).await, StatusCode::UNAUTHORIZED);
    daemon.stop().await;
}

// ---------------------------------------------------------------- rate limits

fn limit_headers(response: &reqwest::Response) -> (u64, u64, u64) {
    let number = |name: &str| header(response, name).parse::<u64>().unwrap();
    (number("x-ratelimit-limit"), number("x-ratelimit-remaining"), number("x-ratelimit-reset"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_21st_public_request_in_a_minute_is_429() {
    let daemon = start(config()).await;
    let http = client();
    daemon.clock.advance(Duration::from_secs(15));
    for idx in 1..=20u64 {
        let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "request {idx}");
        assert_eq!(limit_headers(&response), (20, 20 - idx, 45), "request {idx}");
        assert_eq!(header(&response, "x-ratelimit-tier"), "public");
    }
    let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limit_headers(&response), (20, 0, 45));
    assert_eq!(header(&response, "retry-after"), "45");
    assert_eq!(header(&response, "x-ratelimit-tier"), "public");
    // Status and health are not limited.
    assert_eq!(http.get(daemon.url("/api/v1/status")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(http.get(daemon.url("/health")).send().await.unwrap().status(), StatusCode::OK);
    // The next minute starts afresh.
    daemon.clock.advance(Duration::from_secs(45));
    let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(limit_headers(&response), (20, 19, 60));
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(scrape.contains("backbone_rate_limit_rejections_total{tier=\"public\"} 1"));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_generation_and_authenticated_tiers() {
    let mut config = config();
    config.auth.api_keys = vec!["a:key-a".to_owned(), "b:key-b".to_owned(), "c:key-c".to_owned()];
    config.auth.protected = Vec::new();
    let daemon = start(config).await;
    let http = client();
    let post = |path: &str, key: &'static str| http.post(daemon.url(path)).header("x-api-key", key).body(TINY);

    // Validation: 50 a minute, even for an authenticated caller (100 a minute).
    for idx in 1..=50 {
        assert_eq!(post("/api/v1/validate", "key-a").send().await.unwrap().status(), StatusCode::OK, "validate {idx}");
    }
    let response = post("/api/v1/validate", "key-a").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "x-ratelimit-tier"), "validation");
    assert_eq!(limit_headers(&response).0, 50);
    // Another key has its own counters.
    assert_eq!(post("/api/v1/validate", "key-b").send().await.unwrap().status(), StatusCode::OK);

    // Generation: 10 a minute and 50 an hour.
    for minute in 0..5 {
        for idx in 1..=10 {
            assert_eq!(post("/api/v1/generate", "key-c").send().await.unwrap().status(), StatusCode::OK, "minute {minute} generate {idx}");
        }
        let response = post("/api/v1/generate", "key-c").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "minute {minute}");
        let tier = header(&response, "x-ratelimit-tier").to_owned();
        assert_eq!(tier, if minute == 4 { "generation_hour" } else { "generation_minute" }, "minute {minute}");
        if minute == 4 {
            assert_eq!(limit_headers(&response), (50, 0, 3600 - 4 * 60));
        }
        daemon.clock.advance(Duration::from_mins(1));
    }
    // Fifty generations used up the hour: the sixth minute is refused too.
    let response = post("/api/v1/generate", "key-c").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "x-ratelimit-tier"), "generation_hour");

    // Authenticated: 100 a minute across routes (status is free, token counts).
    daemon.clock.advance(Duration::from_hours(1));
    for idx in 1..=100 {
        let response = http.post(daemon.url("/api/v1/token")).header("x-api-key", "key-b").send().await.unwrap();
        assert_ne!(response.status(), StatusCode::TOO_MANY_REQUESTS, "token {idx}");
    }
    let response = http.post(daemon.url("/api/v1/token")).header("x-api-key", "key-b").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "x-ratelimit-tier"), "authenticated");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_behind_a_trusted_proxy_are_told_apart() {
    let mut config = config();
    config.rate_limit.public_per_minute = 2;
    config.rate_limit.trusted_proxies = vec!["127.0.0.0/8".to_owned()];
    let daemon = start(config).await;
    let http = client();
    let from = |ip: &str| http.post(daemon.url("/api/v1/validate")).header("x-forwarded-for", format!("{ip}, 127.0.0.5")).body(TINY);
    for _ in 0..2 {
        assert_eq!(from("203.0.113.1").send().await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(from("203.0.113.1").send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(from("203.0.113.2").send().await.unwrap().status(), StatusCode::OK, "another client");
    daemon.stop().await;

    // Without the trusted-proxy setting the header is ignored: both are the peer.
    let mut config = self::config();
    config.rate_limit.public_per_minute = 2;
    let daemon = start(config).await;
    let from = |ip: &str| http.post(daemon.url("/api/v1/validate")).header("x-forwarded-for", ip.to_owned()).body(TINY);
    assert_eq!(from("203.0.113.1").send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(from("203.0.113.2").send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(from("203.0.113.3").send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    daemon.stop().await;
}

fn redis_up() -> bool {
    std::net::TcpStream::connect_timeout(&"127.0.0.1:6379".parse().unwrap(), Duration::from_millis(300)).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_share_limits_through_redis() {
    if !redis_up() && !required("Redis on 127.0.0.1:6379") {
        return;
    }
    let clock = Arc::new(ManualClock::new(T0_MS));
    let mut config = config();
    config.rate_limit.store = "redis://127.0.0.1:6379".to_owned();
    config.rate_limit.redis_prefix = format!("backbone-test:{}:", uuid::Uuid::new_v4());
    let first = start_with_clock(config.clone(), Arc::clone(&clock)).await;
    let second = start_with_clock(config, Arc::clone(&clock)).await;
    let http = client();
    for idx in 0..20 {
        let daemon = if idx % 2 == 0 { &first } else { &second };
        let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "request {}", idx + 1);
        assert_eq!(limit_headers(&response).1, 19 - idx, "remaining after request {}", idx + 1);
    }
    for daemon in [&first, &second] {
        let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&response, "retry-after"), "60");
    }
    let detailed: Value = http.get(first.url("/health/detailed")).send().await.unwrap().json().await.unwrap();
    assert_eq!(detailed["dependencies"][0]["kind"], "redis");
    assert_eq!(detailed["dependencies"][0]["status"], "up");
    assert!(detailed["dependencies"][0]["latency_ms"].is_f64());
    clock.advance(Duration::from_mins(1));
    assert_eq!(http.post(second.url("/api/v1/validate")).body(TINY).send().await.unwrap().status(), StatusCode::OK);
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_fails_open_or_closed() {
    let mut config = config();
    // Nothing listens on port 1: every call to the store fails at once.
    config.rate_limit.store = "redis://127.0.0.1:1".to_owned();
    let daemon = start(config.clone()).await;
    let http = client();
    let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "fail-open keeps serving");
    assert!(response.headers().get("x-ratelimit-limit").is_none());
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(scrape.contains("backbone_rate_limit_store_errors_total 1"), "{scrape}");
    assert!(scrape.contains("backbone_rate_limit_store_up 0"));
    let detailed: Value = http.get(daemon.url("/health/detailed")).send().await.unwrap().json().await.unwrap();
    assert_eq!(detailed["status"], "degraded");
    assert_eq!(detailed["dependencies"][0]["status"], "down");
    assert_eq!(http.get(daemon.url("/health/readiness")).send().await.unwrap().status(), StatusCode::OK, "open: still ready");
    daemon.stop().await;

    config.rate_limit.fail = FailMode::Closed;
    let daemon = start(config).await;
    let response = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "fail-closed refuses");
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(http.get(daemon.url("/health/readiness")).send().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(http.get(daemon.url("/health/liveness")).send().await.unwrap().status(), StatusCode::OK);
    daemon.stop().await;
}

// ---------------------------------------------------------------- capacity

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_with_retry_after() {
    let mut config = config();
    config.rate_limit.enabled = false;
    config.workers = 1;
    config.queue = 0;
    let daemon = start(config).await;
    let http = client();
    let text = example("sakila");
    let requests = (0..8).map(|_| http.post(daemon.url("/api/v1/generate")).body(text.clone()).send());
    let responses = futures_join_all(requests).await;
    let busy: Vec<_> = responses.iter().filter(|response| response.status() == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!busy.is_empty(), "one worker and no queue: some of 8 concurrent generations are refused");
    assert!(busy.iter().all(|response| response.headers().get("retry-after").is_some_and(|value| value == "1")));
    assert!(responses.iter().any(|response| response.status() == StatusCode::OK));
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(scrape.contains("backbone_compile_rejections_total"));
    daemon.stop().await;
}

/// Awaits every future concurrently (no extra crate for one join).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: std::future::Future<Output = Result<reqwest::Response, reqwest::Error>> + Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut responses = Vec::new();
    for task in tasks {
        responses.push(task.await.unwrap().unwrap());
    }
    responses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_times_out_with_503() {
    let mut config = config();
    config.request_timeout_secs = 1;
    let daemon = start(config).await;
    let mut stream = tokio::net::TcpStream::connect(daemon.address).await.unwrap();
    stream.write_all(b"POST /api/v1/validate HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{").await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-request-id:"), "{answer}");
    daemon.stop().await;
}

// ---------------------------------------------------------------- observability

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id() {
    let daemon = start(config()).await;
    let http = client();
    let response = http.get(daemon.url("/health")).header("x-request-id", "trace-abc-123").send().await.unwrap();
    assert_eq!(header(&response, "x-request-id"), "trace-abc-123");
    let response = http.get(daemon.url("/health")).send().await.unwrap();
    let generated = header(&response, "x-request-id");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let response = http.get(daemon.url("/health")).header("x-request-id", "x".repeat(200)).send().await.unwrap();
    assert_eq!(header(&response, "x-request-id").len(), 36, "an unreasonable id is replaced");
    for response in [http.get(daemon.url("/nope")).send().await.unwrap(), http.post(daemon.url("/api/v1/validate")).body("{").send().await.unwrap()] {
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(header(&response, "x-frame-options"), "DENY");
        assert!(header(&response, "content-security-policy").contains("default-src 'none'"));
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_scrape_passes_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = auth_config(dir.path());
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let server = Server::bind(config, Arc::new(ManualClock::new(now_secs() * 1000))).await.unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let metrics_url = format!("http://{}/metrics", server.metrics_addr().unwrap());
    let handle = server.handle();
    let task = tokio::spawn(server.run());
    let http = client();
    http.post(format!("{base}/api/v1/validate")).header("x-api-key", "ci-secret-key").body(TINY).send().await.unwrap();
    http.post(format!("{base}/api/v1/generate")).header("x-api-key", "ci-secret-key").body(TINY).send().await.unwrap();
    http.post(format!("{base}/api/v1/generate")).body(TINY).send().await.unwrap();
    http.get(format!("{base}/health/readiness")).send().await.unwrap();
    assert_eq!(http.get(format!("{base}/metrics")).send().await.unwrap().status(), StatusCode::NOT_FOUND, "metrics only on its own address");
    let response = http.get(&metrics_url).send().await.unwrap();
    assert!(header(&response, "content-type").starts_with("text/plain; version=0.0.4"));
    let scrape = response.text().await.unwrap();

    for needle in [
        "backbone_http_requests_total{method=\"POST\",route=\"/api/v1/validate\",status=\"200\"} 1",
        "backbone_validations_total{outcome=\"valid\"} 1",
        "backbone_generation_runs_total{outcome=\"ok\"} 1",
        "backbone_generated_tables_total 1",
        "backbone_auth_failures_total{reason=\"missing_credentials\"} 1",
        "backbone_build_info{profile=",
        "backbone_api_keys_loaded 4",
        "process_resident_memory_bytes",
    ] {
        assert!(scrape.contains(needle), "{needle} in\n{scrape}");
    }
    // Every family exported is in the documented table.
    let exported: std::collections::BTreeSet<&str> =
        scrape.lines().filter_map(|line| line.strip_prefix("# TYPE ")).filter_map(|rest| rest.split(' ').next()).collect();
    for family in &exported {
        assert!(backbone::serve::metrics::METRIC_NAMES.contains(family), "{family} is not in METRIC_NAMES");
    }
    let promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    match promtool {
        Ok(mut child) => {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(scrape.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "promtool check metrics:\n{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        }
        // promtool is not part of the Rust toolchain that CI brings: without it the
        // scrape is still checked against the metric table above.
        Err(_) => skip_note("promtool (Debian package `prometheus`)"),
    }
    handle.shutdown();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_allowed_origins_only() {
    let mut config = config();
    config.cors.origins = vec!["https://app.example".to_owned()];
    let daemon = start(config).await;
    let http = client();
    let preflight = http
        .request(reqwest::Method::OPTIONS, daemon.url("/api/v1/validate"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(header(&preflight, "access-control-allow-origin"), "https://app.example");
    assert!(header(&preflight, "access-control-allow-headers").contains("x-api-key"));
    let other = http.get(daemon.url("/health")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    daemon.stop().await;
}

// ---------------------------------------------------------------- health and shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_probes_and_readiness_while_draining() {
    let mut config = config();
    config.drain_delay_ms = 1500;
    let daemon = start(config).await;
    let http = client();
    for path in ["/health", "/health/liveness", "/health/readiness", "/health/detailed"] {
        assert_eq!(http.get(daemon.url(path)).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
    let detailed: Value = http.get(daemon.url("/health/detailed")).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = detailed["dependencies"].as_array().unwrap().iter().map(|dependency| dependency["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["rate_limit_store", "api_keys", "compile_pool"]);
    assert_eq!(detailed["dependencies"][0]["status"], "up");

    daemon.handle.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let readiness = http.get(daemon.url("/health/readiness")).send().await.unwrap();
    assert_eq!(readiness.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(readiness.json::<Value>().await.unwrap()["reason"], "draining");
    assert_eq!(http.get(daemon.url("/health/liveness")).send().await.unwrap().status(), StatusCode::OK, "alive while draining");
    assert_eq!(http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap().status(), StatusCode::OK, "still serving");
    let address = daemon.address;
    daemon.stop().await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "the listener is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let mut config = config();
    config.rate_limit.enabled = false;
    config.drain_delay_ms = 1000;
    let daemon = start(config).await;
    let http = client();

    // A request whose body is still arriving when shutdown starts.
    let body = TINY.as_bytes();
    let mut stream = tokio::net::TcpStream::connect(daemon.address).await.unwrap();
    let head = format!("POST /api/v1/validate HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    // And a batch of generations in flight.
    let text = example("chinook");
    let batch: Vec<_> = (0..6).map(|_| tokio::spawn(http.post(daemon.url("/api/v1/generate")).body(text.clone()).send())).collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    daemon.handle.shutdown();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The listener is closed by now; the half-sent request still completes.
    assert!(tokio::net::TcpStream::connect(daemon.address).await.is_err(), "no new connections");
    stream.write_all(&body[10..]).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for task in batch {
        assert_eq!(task.await.unwrap().unwrap().status(), StatusCode::OK);
    }
    tokio::time::timeout(Duration::from_secs(10), daemon.task).await.unwrap().unwrap().unwrap();
}

// ---------------------------------------------------------------- the binary

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_layers_flags_env_and_file_logs_json_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backbone.toml"), "[limits]\nmax_tables = 5\nmax_columns = 9\nmax_relationships = 3\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::File::create(dir.path().join("log.jsonl")).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backbone"))
        .args(["serve", "--config"])
        .arg(dir.path().join("backbone.toml"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--max-columns", "11"])
        .env("BACKBONE_MAX_TABLES", "7")
        .env("BACKBONE_MAX_COLUMNS", "10")
        .env("BACKBONE_API_KEYS", "ci:secret-value-1234")
        .env("BACKBONE_PROTECT", "/api/v1/generate")
        .stdout(log)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = client();
    let mut status = None;
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{base}/api/v1/status")).send().await {
            status = Some(response.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("the daemon answers");
    assert_eq!(status["limits"]["max_tables"], 7, "the variable beats the file");
    assert_eq!(status["limits"]["max_columns"], 11, "the flag beats the variable and the file");
    assert_eq!(status["limits"]["max_relationships"], 3, "the file beats the default");
    assert_eq!(status["auth"]["protected"], json!(["/api/v1/generate"]));
    let response = http
        .post(format!("{base}/api/v1/validate"))
        .header("x-request-id", "binary-test-1")
        .header("x-api-key", "secret-value-1234")
        .body(TINY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    rustix::process::kill_process(rustix::process::Pid::from_child(&child), rustix::process::Signal::TERM).unwrap();
    let exit = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(exit.success(), "SIGTERM ends the daemon cleanly: {exit:?}");
    let lines: Vec<Value> = std::fs::read_to_string(dir.path().join("log.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("a JSON log line: {error}: {line}")))
        .collect();
    let access = lines.iter().find(|line| line["span"]["request_id"] == "binary-test-1").expect("the access line carries the request id");
    assert_eq!(access["method"], "POST");
    assert_eq!(access["route"], "/api/v1/validate");
    assert_eq!(access["status"], 200);
    assert_eq!(access["client"], "key:ci");
    assert!(access["latency_ms"].is_f64());
    assert!(lines.iter().any(|line| line["signal"] == "SIGTERM"));
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(!text.contains("secret-value-1234"), "keys never reach the log");
}

// ---------------------------------------------------------------- refine

/// A fake OpenAI-compatible provider on loopback: every request gets `status` and `body`
/// (`/chat/completions` or not); it counts the requests it saw.
struct FakeLlm {
    url: String,
    seen: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeLlm {
    fn start(status: u16, body: Value) -> Self {
        Self::start_slow(status, body, Duration::ZERO)
    }

    /// Answers each request after `delay`.
    fn start_slow(status: u16, body: Value, delay: Duration) -> Self {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0; length];
                let _ = reader.read_exact(&mut request);
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(delay);
                let text = body.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Self { url, seen }
    }

    fn requests(&self) -> usize {
        self.seen.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// An OpenAI-style answer refining `examples/library.json`, with one unknown column.
fn library_answer() -> Value {
    let refinement = json!({
        "tables": [
            {"table": "books", "columns": [
                {"column": "isbn", "min_length": 13, "max_length": 13, "pattern": "^[0-9]{13}$", "examples": ["9780306406157"]},
                {"column": "nonexistent", "description": "no such column"}
            ]}
        ],
        "advice": [{"table": "loans", "message": "Consider a due_on date."}]
    });
    json!({"choices": [{"message": {"role": "assistant", "content": refinement.to_string()}}], "usage": {"prompt_tokens": 1200, "completion_tokens": 340}})
}

fn llm_config(provider: &FakeLlm) -> Config {
    let mut config = config();
    config.llm.provider = Some(backbone::refine::provider::ProviderKind::Openai);
    config.llm.base_url = Some(provider.url.clone());
    config.llm.model = Some("local-model".to_owned());
    config.llm.attempts = 1;
    config
}

/// The value of one sample of the scrape (`name{labels} value`).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|value| value.trim().parse().ok()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_with_refine_applies_the_answer_and_feeds_the_llm_metrics() {
    let provider = FakeLlm::start(200, library_answer());
    let daemon = start(llm_config(&provider)).await;
    let http = client();
    let text = example("library");

    // The JSON form: the refined files, the saved refinement, and what was rejected.
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).header("accept", "application/json").body(text.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-backbone-refine-rejected"), "1");
    assert_eq!(header(&response, "x-backbone-refine-advice"), "1");
    let project: Value = response.json().await.unwrap();
    let file = |path: &str| {
        project["files"].as_array().unwrap().iter().find(|file| file["path"] == path).and_then(|file| file["content"].as_str()).unwrap_or_default().to_owned()
    };
    assert!(file("app/schemas/books.py").contains("pattern=\"^[0-9]{13}$\""), "{}", file("app/schemas/books.py"));
    let saved: Value = serde_json::from_str(&file(".backbone/refinements.json")).unwrap();
    assert_eq!(saved["advice"][0]["message"], "Consider a due_on date.");
    let refinement = &project["refinement"];
    assert_eq!(refinement["rejected"].as_array().unwrap().len(), 1, "{refinement}");
    assert!(refinement["rejected"][0]["at"].as_str().unwrap().contains("columns[1]"), "{refinement}");
    assert_eq!(refinement["usage"]["input_tokens"], 1200);
    assert_eq!(refinement["usage"]["output_tokens"], 340);
    assert_eq!(refinement["accepted"]["advice"][0]["table"], "loans");

    // The zip form carries the same refined files and the saved refinement.
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).body(text.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-backbone-refine-rejected"), "1");
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut schema = String::new();
    archive.by_name("app/schemas/books.py").unwrap().read_to_string(&mut schema).unwrap();
    assert!(schema.contains("pattern=\"^[0-9]{13}$\""), "{schema}");
    assert!(archive.by_name(".backbone/refinements.json").is_ok());
    assert_eq!(provider.requests(), 2);

    // Without `refine`, no LLM is asked and nothing refined is added.
    let response = http.post(daemon.url("/api/v1/generate")).header("accept", "application/json").body(text).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("x-backbone-refine-rejected").is_none());
    let project: Value = response.json().await.unwrap();
    assert!(project.get("refinement").is_none());
    assert_eq!(provider.requests(), 2);

    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let labels = r#"model="local-model",provider="openai""#;
    assert_eq!(sample(&scrape, r#"backbone_llm_requests_total{model="local-model",outcome="ok",provider="openai"}"#), Some(2.0), "{scrape}");
    assert_eq!(sample(&scrape, r#"backbone_llm_requests_total{model="local-model",outcome="error",provider="openai"}"#), Some(0.0), "{scrape}");
    assert_eq!(sample(&scrape, r#"backbone_llm_tokens_total{model="local-model",provider="openai",type="input"}"#), Some(2400.0), "{scrape}");
    assert_eq!(sample(&scrape, r#"backbone_llm_tokens_total{model="local-model",provider="openai",type="output"}"#), Some(680.0), "{scrape}");
    assert_eq!(sample(&scrape, &format!("backbone_llm_request_duration_seconds_count{{{labels}}}")), Some(2.0), "{scrape}");

    // Status names the LLM in use; the OpenAPI description documents the parameter.
    let status: Value = http.get(daemon.url("/api/v1/status")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["refine"], json!({"provider": "openai", "model": "local-model"}));
    let document: Value = http.get(daemon.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(document["paths"]["/api/v1/generate"]["post"]["parameters"][0]["name"], "refine");
    assert!(document["paths"]["/api/v1/generate"]["post"]["responses"]["502"].is_object());
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refine_failures_are_explained() {
    // The provider refuses: 502 naming the provider's reason, counted as an LLM error.
    let provider = FakeLlm::start(401, json!({"error": {"message": "invalid api key"}}));
    let daemon = start(llm_config(&provider)).await;
    let http = client();
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).body(example("library")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "llm_failed");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("HTTP 401") && message.contains("invalid api key"), "{message}");
    // An invalid schema is answered with its diagnostics before any LLM is asked.
    let invalid = TINY.replace("\"Integer\"", "\"Integr\"");
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).body(invalid).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(provider.requests(), 1);
    // A `refine` value that is not a boolean is a client mistake.
    let response = http.post(daemon.url("/api/v1/generate?refine=maybe")).body(TINY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&scrape, r#"backbone_llm_requests_total{model="local-model",outcome="error",provider="openai"}"#), Some(1.0), "{scrape}");
    daemon.stop().await;

    // An answer that is not a refinement: 502 too, with the reason, counted as invalid.
    let provider =
        FakeLlm::start(200, json!({"choices": [{"message": {"content": "{\"tables\": 3}"}}], "usage": {"prompt_tokens": 10, "completion_tokens": 2}}));
    let daemon = start(llm_config(&provider)).await;
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).body(example("library")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "llm_bad_answer");
    assert!(error["message"].as_str().unwrap().contains("does not follow the refinement schema"), "{error}");
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&scrape, r#"backbone_llm_requests_total{model="local-model",outcome="invalid",provider="openai"}"#), Some(1.0), "{scrape}");
    assert_eq!(sample(&scrape, r#"backbone_llm_tokens_total{model="local-model",provider="openai",type="input"}"#), Some(10.0), "{scrape}");
    daemon.stop().await;

    // No LLM configured: 422 saying so.
    let daemon = start(config()).await;
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).body(TINY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "refine_unavailable");
    assert!(error["message"].as_str().unwrap().contains("BACKBONE_LLM_PROVIDER"), "{error}");
    daemon.stop().await;

    // The TOML file's `[llm]` table takes the same settings.
    let from_file = Config::from_toml("[llm]\nprovider = \"anthropic\"\nmodel = \"claude-sonnet-4-5\"\napi_key = \"k\"\n").unwrap();
    assert_eq!(from_file.llm.provider, Some(backbone::refine::provider::ProviderKind::Anthropic));
    assert!(
        backbone::serve::config::llm_settings(&from_file.llm, 30).unwrap().is_some_and(|settings| settings.budget == Duration::from_secs(30)),
        "capped by the request timeout"
    );

    // A provider configured without a model is refused at start.
    let mut config = config();
    config.llm.provider = Some(backbone::refine::provider::ProviderKind::Openai);
    config.llm.base_url = Some("http://127.0.0.1:9/v1".to_owned());
    let Err(error) = Server::bind(config, Arc::new(ManualClock::new(T0_MS))).await else { panic!("a provider without a model is refused") };
    assert!(error.contains("BACKBONE_LLM_MODEL"), "{error}");
}

/// A document whose `String(1000)` is fine until a refinement indexes it.
const NOTES: &str = r#"{"project_name": "notes", "db_type": "sqlite", "schema": [
  {"table_name": "notes", "class_name": "Note", "columns": [
    {"name": "id", "type": "Integer", "primary_key": true},
    {"name": "body", "type": "String", "length": 1000, "nullable": false}]}]}"#;

fn openai_answer(refinement: &Value) -> Value {
    json!({"choices": [{"message": {"role": "assistant", "content": refinement.to_string()}}], "usage": {"prompt_tokens": 10, "completion_tokens": 5}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refinement_item_that_breaks_a_rule_is_withdrawn() {
    let index = json!({"tables": [{"table": "notes", "description": "A note.", "indexes": [{"column": "body", "reason": "searched"}]}]});
    let provider = FakeLlm::start(200, openai_answer(&index));
    let daemon = start(llm_config(&provider)).await;
    let http = client();
    let response = http.post(daemon.url("/api/v1/generate?refine=true")).header("accept", "application/json").body(NOTES).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-backbone-refine-rejected"), "1");
    let project: Value = response.json().await.unwrap();
    let rejected = &project["refinement"]["rejected"][0];
    assert_eq!(rejected["at"], "tables[0].indexes[0]", "{project}");
    assert_eq!(rejected["subject"], "notes.body", "{project}");
    assert!(rejected["message"].as_str().unwrap().starts_with("the refined model breaks INDEX_TOO_LONG: "), "{rejected}");
    let file = |path: &str| {
        project["files"].as_array().unwrap().iter().find(|file| file["path"] == path).and_then(|file| file["content"].as_str()).unwrap_or_default().to_owned()
    };
    assert!(!file("migrations/versions/0001_initial.py").contains("ix_notes_body"));
    assert!(file("app/models/notes.py").contains("A note."));
    assert!(!file(".backbone/refinements.json").contains("searched"));
    daemon.stop().await;
}

/// Every file under `root` (the emit manifest aside) with its contents.
fn tree(root: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                if relative != backbone::emit::MANIFEST_PATH {
                    files.insert(relative, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    }
    files
}

/// `backbone generate` of `document` into a fresh directory, with `args`; its tree.
fn cli_generate(document: &str, args: &[&str]) -> std::collections::BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("document.json");
    std::fs::write(&input, document).unwrap();
    let out = dir.path().join("out");
    let output = assert_cmd::cargo::cargo_bin_cmd!("backbone")
        .arg("generate")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .args(args)
        .env_remove("BACKBONE_LLM_PROVIDER")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    tree(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_and_the_daemon_generate_the_same_bytes() {
    let provider = FakeLlm::start(200, library_answer());
    let daemon = start(llm_config(&provider)).await;
    let http = client();
    let text = example("library");
    for query in ["", "?refine=true"] {
        let response = http.post(daemon.url(&format!("/api/v1/generate{query}"))).header("accept", "application/json").body(text.clone()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let project: Value = response.json().await.unwrap();
        let served: std::collections::BTreeMap<String, String> = project["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| (file["path"].as_str().unwrap().to_owned(), file["content"].as_str().unwrap().to_owned()))
            .collect();
        // The CLI replays the refinement the daemon applied (it is among the files).
        let (document, refinement) = (text.clone(), served.get(backbone::emit::REFINEMENTS_PATH).cloned());
        let written = tokio::task::spawn_blocking(move || match refinement {
            Some(refinement) => {
                let dir = tempfile::tempdir().unwrap();
                let saved = dir.path().join("refinements.json");
                std::fs::write(&saved, refinement).unwrap();
                cli_generate(&document, &["--refinements", &saved.display().to_string()])
            }
            None => cli_generate(&document, &[]),
        })
        .await
        .unwrap();
        assert_eq!(written.keys().collect::<Vec<_>>(), served.keys().collect::<Vec<_>>(), "{query}");
        for (path, contents) in &served {
            assert_eq!(&written[path], contents, "{query} {path}");
        }
    }
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refine_requests_count_against_the_generation_tier() {
    let provider = FakeLlm::start(200, library_answer());
    let mut config = llm_config(&provider);
    config.rate_limit.generation_per_minute = 2;
    let daemon = start(config).await;
    let http = client();
    for idx in 1..=2 {
        let response = http.post(daemon.url("/api/v1/generate?refine=true")).body(example("library")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "refine {idx}");
    }
    for path in ["/api/v1/generate?refine=true", "/api/v1/generate"] {
        let response = http.post(daemon.url(path)).body(example("library")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert_eq!(header(&response, "x-ratelimit-tier"), "generation_minute");
    }
    assert_eq!(provider.requests(), 2, "a refused request never reaches the LLM");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refine_call_holds_a_worker_like_a_compilation() {
    let provider = FakeLlm::start_slow(200, library_answer(), Duration::from_millis(1500));
    let mut config = llm_config(&provider);
    config.workers = 1;
    config.queue = 0;
    let daemon = start(config).await;
    let http = client();
    let refine = http.post(daemon.url("/api/v1/generate?refine=true")).body(example("library")).send();
    let plain = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        http.post(daemon.url("/api/v1/generate")).body(TINY).send().await.unwrap()
    };
    let (refined, plain) = tokio::join!(refine, plain);
    assert_eq!(plain.status(), StatusCode::SERVICE_UNAVAILABLE, "the only worker is waiting for the LLM");
    assert_eq!(refined.unwrap().status(), StatusCode::OK);
    daemon.stop().await;
}

// ---------------------------------------------------------------- under attack

/// The number of series in a scrape (sample lines, not comments).
fn series_count(scrape: &str) -> usize {
    scrape.lines().filter(|line| !line.is_empty() && !line.starts_with('#')).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_labels_are_a_closed_set() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = start_with_clock(auth_config(dir.path()), Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let flood = |round: usize, count: usize| {
        let http = http.clone();
        let base = daemon.base.clone();
        async move {
            for idx in 0..count {
                let tag = format!("{round}x{idx}");
                let method = reqwest::Method::from_bytes(format!("M{tag}").as_bytes()).unwrap();
                http.request(method.clone(), format!("{base}/nope/{tag}")).send().await.unwrap();
                http.request(method, format!("{base}/api/v1/validate")).send().await.unwrap();
                http.get(format!("{base}/path/{tag}?q={tag}")).header(format!("x-made-up-{tag}").as_str(), tag.as_str()).send().await.unwrap();
                http.post(format!("{base}/api/v1/validate")).header("x-api-key", format!("guess-{tag}")).body(TINY).send().await.unwrap();
                http.post(format!("{base}/api/v1/status")).header("authorization", format!("Bearer {tag}")).send().await.unwrap();
            }
        }
    };
    // A first round creates the series the closed sets allow (other, unmatched, 401, …).
    flood(0, 30).await;
    http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let before = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    flood(1, 600).await;
    let after = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let series = |scrape: &str| {
        scrape
            .lines()
            .filter(|line| line.starts_with("backbone_"))
            .map(|line| line.rsplit_once(' ').unwrap().0.to_owned())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (before_set, after_set) = (series(&before), series(&after));
    let added: Vec<_> = after_set.difference(&before_set).collect();
    assert!(added.is_empty(), "3,000 made-up methods, paths, keys, tokens and headers create no series: {added:?}");
    assert_eq!(series_count(&before), series_count(&after));
    assert!(after.contains("backbone_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"}"), "{after}");
    assert!(!after.contains("M1x"), "no made-up method is a label");
    assert!(!after.contains("/nope/"), "no raw path is a label");
    assert!(after.len() < before.len() + 2000, "the scrape does not grow: {} -> {} bytes", before.len(), after.len());
    daemon.stop().await;
}

/// `backbone serve` as a child process with its open-file limit lowered to `nofile`.
struct ChildDaemon {
    child: std::process::Child,
    base: String,
    address: std::net::SocketAddr,
}

impl ChildDaemon {
    async fn start(nofile: u32, args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(assert_cmd::cargo::cargo_bin!("backbone"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log", "error"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let daemon = Self { child, base: format!("http://{address}"), address };
        for _ in 0..100 {
            if fresh_client().get(daemon.url("/health")).send().await.is_ok() {
                return daemon;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the child daemon does not answer");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Resident memory in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status.lines().find_map(|line| line.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB").trim().parse().unwrap()
    }
}

impl Drop for ChildDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that opens a new connection per request.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).pool_max_idle_per_host(0).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_labels_leave_memory_flat() {
    let daemon = ChildDaemon::start(1024, &[]).await;
    let http = client();
    let flood = |round: usize, count: usize| {
        let http = http.clone();
        let base = daemon.base.clone();
        async move {
            for idx in 0..count {
                let method = reqwest::Method::from_bytes(format!("VERB{round}x{idx}").as_bytes()).unwrap();
                http.request(method, format!("{base}/p/{round}/{idx}")).header("x-api-key", format!("k{idx}")).send().await.unwrap();
            }
        }
    };
    flood(0, 1000).await;
    let before = daemon.rss_kib();
    flood(1, 5000).await;
    let after = daemon.rss_kib();
    // Before the labels were closed, 20,000 such requests took the process from 10 MB to 214 MB.
    assert!(after < before + 8 * 1024, "resident memory {before} KiB -> {after} KiB after 5,000 made-up methods and paths");
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(series_count(&scrape) < 400, "{} series", series_count(&scrape));
}

/// Opens a connection and sends half a request head.
async fn half_open(address: std::net::SocketAddr) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: ").await.unwrap();
    stream
}

/// Whether the daemon closed `stream` within `within` (EOF or reset, after any response).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_past_the_cap_never_starve_health() {
    // 128 file descriptors: the cap fits under them (128 less a reserve of 64).
    let daemon = ChildDaemon::start(128, &["--header-timeout", "2", "--keep-alive-timeout", "1"]).await;
    let status: Value = fresh_client().get(daemon.url("/api/v1/status")).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["connections"], json!({"max": 64, "header_timeout_secs": 2, "keep_alive_timeout_secs": 1}));

    // Three times the cap of half-sent heads: without the cap they would take every
    // descriptor the daemon has.
    let mut held = Vec::new();
    for _ in 0..200 {
        held.push(half_open(daemon.address).await);
    }
    let http = fresh_client();
    for attempt in 0..20 {
        let started = std::time::Instant::now();
        let response = http.get(daemon.url("/health")).send().await.unwrap_or_else(|error| panic!("health attempt {attempt}: {error}"));
        assert_eq!(response.status(), StatusCode::OK);
        assert!(started.elapsed() < Duration::from_secs(1), "health answered in {:?}", started.elapsed());
    }
    // The oldest half-open connections were closed to make room.
    assert!(closed_within(&mut held[0], Duration::from_millis(500)).await, "the oldest idle connection was evicted");
    // A half-sent head is closed after the header timeout, even while it trickles.
    let mut slow = half_open(daemon.address).await;
    let trickle_started = std::time::Instant::now();
    let mut closed = false;
    while trickle_started.elapsed() < Duration::from_secs(4) {
        if slow.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        if closed_within(&mut slow, Duration::from_millis(200)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a trickling head is cut off");
    assert!(trickle_started.elapsed() >= Duration::from_millis(1500), "not before the header timeout: {:?}", trickle_started.elapsed());
    // An idle keep-alive connection is closed after the keep-alive timeout.
    let mut idle = tokio::net::TcpStream::connect(daemon.address).await.unwrap();
    idle.write_all(b"GET /health/liveness HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let mut answer = [0u8; 2048];
    let read = idle.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle, Duration::from_secs(3)).await, "an idle keep-alive connection is closed");
    drop(held);
    let scrape = fresh_client().get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for reason in ["evicted", "header_timeout", "idle_timeout"] {
        let count = sample(&scrape, &format!("backbone_connections_dropped_total{{reason=\"{reason}\"}}")).unwrap();
        assert!(count >= 1.0, "{reason}: {count}");
    }
}

/// A redis-server of the test's own on a free port, stopped and started at will (the
/// shared one on 6379 is never touched).
struct PrivateRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    /// `None` (with a note) when redis-server is not installed and CI is not set.
    fn new() -> Option<Self> {
        let installed = std::process::Command::new("redis-server").arg("--version").stdout(std::process::Stdio::null()).status().is_ok();
        if !installed && !required("redis-server") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Some(Self { port, child: None })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server does not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn readiness_becomes(http: &reqwest::Client, daemon: &Daemon, wanted: StatusCode, within: Duration) -> Duration {
    let started = std::time::Instant::now();
    loop {
        let status = http.get(daemon.url("/health/readiness")).send().await.unwrap().status();
        if status == wanted {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "readiness is still {status} after {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_probes_the_store_and_heals_when_redis_returns() {
    let Some(mut redis) = PrivateRedis::new() else { return };
    let mut config = config();
    config.rate_limit.store = redis.url();
    config.rate_limit.fail = FailMode::Closed;
    let daemon = start(config).await;
    let http = client();
    // Redis is not running yet: not ready from the first probe on.
    let first = http.get(daemon.url("/health/readiness")).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.json::<Value>().await.unwrap()["reason"], "rate-limit store unreachable");
    redis.start();
    // Only readiness is asked (as Kubernetes does): it heals by itself.
    readiness_becomes(&http, &daemon, StatusCode::OK, Duration::from_secs(8)).await;
    assert_eq!(http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap().status(), StatusCode::OK);
    redis.stop();
    readiness_becomes(&http, &daemon, StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(3)).await;
    assert_eq!(http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    redis.start();
    readiness_becomes(&http, &daemon, StatusCode::OK, Duration::from_secs(8)).await;
    assert_eq!(http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap().status(), StatusCode::OK, "limits enforced again");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_store_is_reconnected_with_backoff_and_requests_do_not_wait() {
    let Some(mut redis) = PrivateRedis::new() else { return };
    redis.start();
    let mut config = config();
    config.rate_limit.store = redis.url();
    let open = start(config.clone()).await;
    config.rate_limit.fail = FailMode::Closed;
    let closed = start(config).await;
    let http = client();
    for daemon in [&open, &closed] {
        assert_eq!(http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap().status(), StatusCode::OK);
    }
    redis.stop();
    // Something that counts connection attempts takes Redis' port and hangs up at once.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", redis.port)).await.unwrap();
    let connects = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&connects);
    let accepting = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let started = std::time::Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < Duration::from_secs(3) {
        for (daemon, expected) in [(&open, StatusCode::OK), (&closed, StatusCode::SERVICE_UNAVAILABLE)] {
            let sent = std::time::Instant::now();
            let status = http.post(daemon.url("/api/v1/validate")).body(TINY).send().await.unwrap().status();
            latencies.push(sent.elapsed());
            assert_eq!(status, expected);
        }
    }
    accepting.abort();
    let attempts = connects.load(std::sync::atomic::Ordering::SeqCst);
    // Backoff 0.5 s, 1 s, 2 s: about three attempts per daemon in 3 s, not one a request.
    assert!(attempts <= 10, "{attempts} connection attempts for {} requests", latencies.len());
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    assert!(latencies.len() > 40, "{} requests in 3 s", latencies.len());
    assert!(median < Duration::from_millis(50), "requests follow the fail mode at once: median {median:?}");
    open.stop().await;
    closed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_and_the_tokens_issued_for_it_share_one_quota() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = auth_config(dir.path());
    config.rate_limit.authenticated_per_minute = 5;
    let daemon = start_with_clock(config, Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let issued = http.post(daemon.url("/api/v1/token")).header("x-api-key", "ci-secret-key").send().await.unwrap();
    assert_eq!(limit_headers(&issued).1, 4, "the token request counts for the key");
    let token = issued.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let with_key = || http.post(daemon.url("/api/v1/validate")).header("x-api-key", "ci-secret-key").body(TINY);
    let with_token = || http.post(daemon.url("/api/v1/validate")).header("authorization", format!("Bearer {token}")).body(TINY);
    let mut remaining = Vec::new();
    for request in [with_token(), with_key(), with_token(), with_key()] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        remaining.push(limit_headers(&response).1);
    }
    assert_eq!(remaining, [3, 2, 1, 0], "one quota, whichever credential");
    assert_eq!(with_token().send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(with_key().send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // A token cannot renew itself, and dies with its key.
    daemon.clock.advance(Duration::from_mins(1));
    let renewed = http.post(daemon.url("/api/v1/token")).header("authorization", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(renewed.status(), StatusCode::UNAUTHORIZED);
    std::fs::write(dir.path().join("keys.toml"), "").unwrap();
    daemon.handle.reload_keys().unwrap();
    let revoked = with_token().send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    assert!(revoked.text().await.unwrap().contains("revoked_key"));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_not_yet_valid_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = start_with_clock(auth_config(dir.path()), Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let now = now_secs();
    let claims = |extra: Value| {
        let mut claims = json!({"sub": "alice", "exp": now + 900, "iss": "backbone-test", "aud": "backbone-api"});
        claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        hs_token(&claims, HS_SECRET)
    };
    let bearer = |token: String| http.post(daemon.url("/api/v1/validate")).header("authorization", format!("Bearer {token}")).body(TINY);
    for (extra, expected, what) in [
        (json!({"nbf": now + 600}), StatusCode::UNAUTHORIZED, "nbf in ten minutes"),
        (json!({"iat": now + 600}), StatusCode::UNAUTHORIZED, "issued ten minutes from now"),
        (json!({"nbf": now - 10, "iat": now - 10}), StatusCode::OK, "valid since ten seconds"),
        (json!({"nbf": now + 2, "iat": now + 2}), StatusCode::OK, "two seconds of skew are allowed"),
    ] {
        assert_eq!(bearer(claims(extra)).send().await.unwrap().status(), expected, "{what}");
    }
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&scrape, "backbone_auth_failures_total{reason=\"not_yet_valid\"}"), Some(1.0));
    assert_eq!(sample(&scrape, "backbone_auth_failures_total{reason=\"issued_in_future\"}"), Some(1.0));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_presented_credential_must_be_valid() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = start_with_clock(auth_config(dir.path()), Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let good_token = hs_token(&json!({"sub": "alice", "exp": now_secs() + 300, "iss": "backbone-test", "aud": "backbone-api"}), HS_SECRET);
    let status = |request: reqwest::RequestBuilder| async move { request.body(TINY).send().await.unwrap().status() };
    let validate = || http.post(daemon.url("/api/v1/validate"));
    assert_eq!(status(validate().header("x-api-key", "ci-secret-key").header("authorization", "Bearer garbage")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(validate().header("x-api-key", "ci-secret-key").header("authorization", "Basic Y2k6eA==")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(validate().header("x-api-key", "wrong").header("authorization", format!("Bearer {good_token}"))).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(validate().header("x-api-key", "ci-secret-key").header("x-api-key", "wrong")).await, StatusCode::UNAUTHORIZED, "two keys");
    assert_eq!(status(validate().header("x-api-key", "ci-secret-key").header("authorization", format!("Bearer {good_token}"))).await, StatusCode::OK);
    // On open routes too: a bad credential is never ignored.
    assert_eq!(http.get(daemon.url("/api/v1/status")).header("authorization", "Bearer garbage").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentication_is_limited_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = auth_config(dir.path());
    config.rate_limit.public_per_minute = 5;
    config.rate_limit.trusted_proxies = vec!["127.0.0.1".to_owned()];
    let daemon = start_with_clock(config, Arc::new(ManualClock::new(now_secs() * 1000))).await;
    let http = client();
    let attempt = |key: &str, from: &str| {
        http.post(daemon.url("/api/v1/validate")).header("x-api-key", key.to_owned()).header("x-forwarded-for", from.to_owned()).body(TINY)
    };
    for guess in 0..5 {
        assert_eq!(attempt(&format!("guess-{guess}"), "203.0.113.9").send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "guess {guess}");
    }
    let refused = attempt("guess-5", "203.0.113.9").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "the sixth failure in a minute");
    assert!(header(&refused, "retry-after").parse::<u64>().unwrap() <= 60);
    assert_eq!(header(&refused, "x-ratelimit-tier"), "public");
    // Past the quota nothing is verified, so the right key is no oracle.
    assert_eq!(attempt("ci-secret-key", "203.0.113.9").send().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected, nor open routes without credentials.
    assert_eq!(attempt("ci-secret-key", "203.0.113.10").send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(http.get(daemon.url("/health")).header("x-forwarded-for", "203.0.113.9").send().await.unwrap().status(), StatusCode::OK);
    let scrape = http.get(daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&scrape, "backbone_auth_failures_total{reason=\"invalid_key\"}"), Some(5.0), "the refused attempts were not verified");
    assert!(sample(&scrape, "backbone_rate_limit_rejections_total{tier=\"public\"}").unwrap() >= 2.0);
    daemon.clock.advance(Duration::from_mins(1));
    assert_eq!(attempt("ci-secret-key", "203.0.113.9").send().await.unwrap().status(), StatusCode::OK, "the next window");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_fails_no_request() {
    let mut config = config();
    config.rate_limit.enabled = false;
    config.drain_delay_ms = 1500;
    let daemon = start(config).await;
    let url = daemon.url("/api/v1/validate");
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Keep-alive clients sending requests back to back until the listener is gone.
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (url, draining) = (url.clone(), Arc::clone(&draining));
            tokio::spawn(async move {
                let http = client();
                let (mut served, mut closed_by_drain, mut failed) = (0, 0, Vec::new());
                let started = std::time::Instant::now();
                while started.elapsed() < Duration::from_secs(6) {
                    let during_drain = draining.load(std::sync::atomic::Ordering::SeqCst);
                    match http.post(&url).body(TINY).send().await {
                        Ok(response) => {
                            assert_eq!(response.status(), StatusCode::OK);
                            if during_drain && response.headers().get("connection").is_some_and(|value| value == "close") {
                                closed_by_drain += 1;
                            }
                            served += 1;
                        }
                        // The listener closed: a load balancer would have stopped sending.
                        Err(error) if error.is_connect() => break,
                        Err(error) => failed.push(error.to_string()),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (served, closed_by_drain, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    draining.store(true, std::sync::atomic::Ordering::SeqCst);
    daemon.handle.shutdown();
    let (mut served, mut closed_by_drain) = (0, 0);
    for client in clients {
        let (count, closing, failed) = client.await.unwrap();
        assert!(failed.is_empty(), "failed requests during the shutdown: {failed:?}");
        served += count;
        closed_by_drain += closing;
    }
    assert!(served > 20, "{served} requests served");
    assert!(closed_by_drain > 4, "responses during the drain close their connection ({closed_by_drain})");
    tokio::time::timeout(Duration::from_secs(10), daemon.task).await.unwrap().unwrap().unwrap();
}

// ---------------------------------------------------------------- TLS

/// Runs openssl with `command` split at spaces (the temporary paths have none).
fn openssl(command: &str) {
    let output = std::process::Command::new("openssl").args(command.split(' ')).output().unwrap();
    assert!(output.status.success(), "openssl {command}: {}", String::from_utf8_lossy(&output.stderr));
}

const EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

/// A test CA made by openssl (`ca.crt`, `ca.key`).
fn test_ca(dir: &std::path::Path) -> std::path::PathBuf {
    let dir = dir.display();
    openssl(&format!("req -x509 {EC_KEY} -days 2 -subj /CN=backbone-test-CA -keyout {dir}/ca.key -out {dir}/ca.crt"));
    format!("{dir}/ca.crt").into()
}

/// A certificate for localhost and 127.0.0.1 signed by the test CA: the PEM files and
/// the certificate's DER.
fn leaf_certificate(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    std::fs::write(dir.join(format!("{name}.ext")), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n").unwrap();
    let dir_text = dir.display();
    openssl(&format!("req -new {EC_KEY} -subj /CN=backbone-{name} -keyout {dir_text}/{name}.key -out {dir_text}/{name}.csr"));
    openssl(&format!(
        "x509 -req -in {dir_text}/{name}.csr -CA {dir_text}/ca.crt -CAkey {dir_text}/ca.key -CAcreateserial -days 2 -extfile {dir_text}/{name}.ext -out {dir_text}/{name}.crt"
    ));
    let cert = dir.join(format!("{name}.crt"));
    let der = rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap().to_vec();
    (cert, dir.join(format!("{name}.key")), der)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_terminated_and_the_certificate_reloads() {
    if std::process::Command::new("openssl").arg("version").stdout(std::process::Stdio::null()).status().is_err() && !required("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = test_ca(dir.path());
    let certs: Vec<_> = ["a", "b", "c"].iter().map(|name| leaf_certificate(dir.path(), name)).collect();
    let (live_cert, live_key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let install = |idx: usize| {
        std::fs::copy(&certs[idx].0, &live_cert).unwrap();
        std::fs::copy(&certs[idx].1, &live_key).unwrap();
    };
    install(0);
    let mut config = config();
    config.tls_cert_file = Some(live_cert.clone());
    config.tls_key_file = Some(live_key.clone());
    config.auth.reload_interval_secs = 1;
    let daemon = start(config.clone()).await;
    let trusting = || {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .tls_info(true)
            .resolve("localhost", daemon.address)
            .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
    };
    let https = trusting().build().unwrap();
    let url = format!("https://localhost:{}/health", daemon.address.port());
    let served_certificate = || async {
        let response = https.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.version(), reqwest::Version::HTTP_2, "HTTP/2 by ALPN");
        response.extensions().get::<reqwest::tls::TlsInfo>().unwrap().peer_certificate().unwrap().to_vec()
    };
    assert_eq!(served_certificate().await, certs[0].2, "the configured certificate");
    assert!(client().get(daemon.url("/health")).send().await.is_err(), "plain HTTP is not answered on the TLS port");
    let over_http1 = trusting().http1_only().build().unwrap().post(url.replace("/health", "/api/v1/validate")).body(TINY).send().await.unwrap();
    assert_eq!((over_http1.status(), over_http1.version()), (StatusCode::OK, reqwest::Version::HTTP_11), "HTTP/1.1 for a client that offers only it");

    // SIGHUP's path: the handle reloads at once.
    install(1);
    daemon.handle.reload_tls().unwrap();
    assert_eq!(served_certificate().await, certs[1].2, "reloaded on request");
    // A change of the files is noticed by itself.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    install(2);
    let mut changed = false;
    for _ in 0..40 {
        if served_certificate().await == certs[2].2 {
            changed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(changed, "the watcher reloaded the changed certificate");
    // A broken certificate keeps the one in force.
    std::fs::write(&live_cert, "not a certificate").unwrap();
    assert!(daemon.handle.reload_tls().is_err());
    assert_eq!(served_certificate().await, certs[2].2);
    daemon.stop().await;

    // A certificate without its key is refused at start.
    config.tls_key_file = None;
    let refused = Server::bind(config, Arc::new(ManualClock::new(T0_MS))).await.unwrap_err();
    assert!(refused.contains("--tls-key"), "{refused}");
}
