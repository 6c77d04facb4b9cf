//! `generate --refine` against a fake provider that these tests start on loopback, for
//! both API styles: a good answer applied, malformed and off-schema answers, unknown
//! names, hostile text, timeouts and 429 retries, missing settings, the answer cache,
//! offline replay byte-identical to the online run, and no network without `--refine`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{Value, json};
use tempfile::TempDir;

/// One scripted reply of the fake provider.
#[derive(Clone)]
enum Reply {
    /// A status and a JSON body.
    Json(u16, Value),
    /// 429 with `Retry-After: 0`.
    TooMany,
    /// Waits this long before answering with the next reply (the client times out first).
    Stall(Duration),
}

/// A request as the fake provider saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: BTreeMap<String, String>,
    body: Value,
}

/// A fake provider on 127.0.0.1: answers with `replies` in turn (the last one repeats).
struct FakeProvider {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeProvider {
    fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut turn = 0;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let reply = replies[turn.min(replies.len() - 1)].clone();
                turn += 1;
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &reply, &log));
            }
        });
        Self { url, seen }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn serve(mut stream: TcpStream, reply: &Reply, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    log.lock().expect("lock").push(Seen { path, headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) });
    let (status, text, extra) = match reply {
        Reply::Json(status, value) => (*status, value.to_string(), ""),
        Reply::TooMany => (429, json!({"error": {"message": "slow down"}}).to_string(), "Retry-After: 0\r\n"),
        Reply::Stall(pause) => {
            std::thread::sleep(*pause);
            (500, "{}".to_owned(), "")
        }
    };
    let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{text}", text.len());
}

/// What a provider answers with `refinement` inside, in its own API's shape.
fn openai_answer(refinement: &Value) -> Reply {
    Reply::Json(
        200,
        json!({"choices": [{"message": {"role": "assistant", "content": refinement.to_string()}}], "usage": {"prompt_tokens": 1200, "completion_tokens": 340}}),
    )
}

fn anthropic_answer(refinement: &Value) -> Reply {
    Reply::Json(
        200,
        json!({"content": [{"type": "text", "text": "Here it is."}, {"type": "tool_use", "id": "t1", "name": "refinement", "input": refinement}], "usage": {"input_tokens": 900, "output_tokens": 210}}),
    )
}

/// A refinement of `examples/library.json` with one bad item among good ones.
fn library_refinement() -> Value {
    json!({
        "tables": [
            {"table": "books", "description": "A title the library holds; \"\"\" and {braces} and 100% \\ stay text.",
             "columns": [
                {"column": "isbn", "description": "ISBN-13, digits only.", "min_length": 13, "max_length": 13, "pattern": "^[0-9]{13}$", "examples": ["9780306406157"]},
                {"column": "title", "max_length": 500},
                {"column": "nonexistent", "description": "no such column"}
             ],
             "indexes": [{"column": "title", "reason": "searched by title"}]},
            {"table": "members", "columns": [{"column": "email", "pattern": "^[^@\\s]+@[^@\\s]+$", "examples": ["ada@example.org"]}]},
            {"table": "ghosts", "description": "no such table"}
        ],
        "advice": [{"table": "loans", "message": "Consider a due_on date."}]
    })
}

fn library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/library.json")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `backbone generate` with a clean LLM environment plus `env`.
fn generate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = cargo_bin_cmd!("backbone");
    command.arg("generate").args(args);
    for name in ["BACKBONE_LLM_PROVIDER", "BACKBONE_LLM_BASE_URL", "BACKBONE_LLM_MODEL", "BACKBONE_LLM_API_KEY", "BACKBONE_LLM_PRICE", "BACKBONE_LLM_CACHE"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("run backbone")
}

struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Self {
        Self { dir: tempfile::Builder::new().prefix("backbone-refine-").tempdir().expect("temporary directory") }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn str(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn openai_env<'a>(provider: &'a FakeProvider, cache: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("BACKBONE_LLM_PROVIDER", "openai"),
        ("BACKBONE_LLM_BASE_URL", provider.url.as_str()),
        ("BACKBONE_LLM_MODEL", "local-model"),
        ("BACKBONE_LLM_CACHE", cache),
    ]
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn an_openai_compatible_answer_is_checked_applied_and_saved() {
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![openai_answer(&library_refinement())]);
    let (library, out, cache) = (library().display().to_string(), scratch.str("out"), scratch.str("cache"));
    let output = generate(&[&library, "-o", &out, "--refine"], &openai_env(&provider, &cache));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let requests = provider.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/chat/completions");
    assert_eq!(request.body["model"], "local-model");
    assert_eq!(request.body["response_format"]["type"], "json_schema");
    assert!(request.body["response_format"]["json_schema"]["schema"]["properties"]["tables"].is_object());
    assert!(!request.headers.contains_key("authorization"), "a local server without a key gets no Authorization header");
    assert!(request.body["messages"][1]["content"].as_str().is_some_and(|prompt| prompt.contains("Table `books`")));

    // The bad items are named; the good ones are applied.
    assert!(stderr.contains("rejected tables[0].columns[2] (books): there is no column `books.nonexistent`"), "{stderr}");
    assert!(stderr.contains("rejected tables[0].columns[1].max_length (books.title): max_length 500 is more than the column holds"), "{stderr}");
    assert!(stderr.contains("rejected tables[2]: there is no table `ghosts`"), "{stderr}");
    assert!(stderr.contains("note: refine: advice (loans): Consider a due_on date."), "{stderr}");
    assert!(stderr.contains("1200 input + 340 output tokens"), "{stderr}");

    let schema = read(&scratch.path("out/app/schemas/books.py"));
    assert!(schema.contains("pattern=\"^[0-9]{13}$\""), "{schema}");
    assert!(schema.contains("min_length=13"), "{schema}");
    let model = read(&scratch.path("out/app/models/books.py"));
    assert!(model.contains("A title the library holds"), "{model}");
    let migration = read(&scratch.path("out/migrations/versions/0001_initial.py"));
    assert!(migration.contains("ix_books_title"), "the suggested index is created");

    let saved: Value = serde_json::from_str(&read(&scratch.path("out/.backbone/refinements.json"))).expect("saved JSON");
    assert_eq!(saved["tables"].as_array().map(Vec::len), Some(2), "only accepted items are saved: {saved:#}");
    assert!(saved.to_string().contains("9780306406157"));
    assert!(!saved.to_string().contains("nonexistent"));
}

#[test]
fn an_anthropic_answer_uses_a_forced_tool_call() {
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![anthropic_answer(&library_refinement())]);
    let (library, out, cache) = (library().display().to_string(), scratch.str("out"), scratch.str("cache"));
    let env = [
        ("BACKBONE_LLM_PROVIDER", "anthropic"),
        ("BACKBONE_LLM_BASE_URL", provider.url.as_str()),
        ("BACKBONE_LLM_MODEL", "claude-sonnet-4-5"),
        ("BACKBONE_LLM_API_KEY", "sk-test-123"),
        ("BACKBONE_LLM_CACHE", cache.as_str()),
    ];
    let output = generate(&[&library, "-o", &out, "--refine"], &env);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let request = &provider.requests()[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.headers.get("x-api-key").map(String::as_str), Some("sk-test-123"));
    assert_eq!(request.headers.get("anthropic-version").map(String::as_str), Some("2023-06-01"));
    assert_eq!(request.body["tool_choice"], json!({"type": "tool", "name": "refinement"}));
    assert!(request.body["tools"][0]["input_schema"]["properties"]["tables"].is_object());
    assert!(stderr.contains("900 input + 210 output tokens, about $"), "a known model gets a cost estimate: {stderr}");
    assert!(read(&scratch.path("out/app/schemas/books.py")).contains("pattern=\"^[0-9]{13}$\""));
}

#[test]
fn malformed_and_off_schema_answers_fail_and_write_nothing() {
    for (reply, expected) in [
        (Reply::Json(200, json!({"choices": [{"message": {"content": "{not json"}}]})), "the message content is not JSON"),
        (Reply::Json(200, json!({"choices": []})), "no choices[0].message.content"),
        (openai_answer(&json!({"tables": [{"table": "books", "colour": "blue"}]})), "does not follow the refinement schema"),
        (openai_answer(&json!({"tables": "all of them"})), "does not follow the refinement schema"),
        (Reply::Json(401, json!({"error": {"message": "invalid api key"}})), "refused the request (HTTP 401): invalid api key"),
    ] {
        let scratch = Scratch::new();
        let provider = FakeProvider::start(vec![reply]);
        let (library, out, cache) = (library().display().to_string(), scratch.str("out"), scratch.str("cache"));
        let output = generate(&[&library, "-o", &out, "--refine"], &openai_env(&provider, &cache));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in {stderr}");
        assert!(!scratch.path("out").exists(), "nothing is written");
        assert!(!scratch.path("cache").exists() || std::fs::read_dir(scratch.path("cache")).expect("cache").next().is_none(), "a bad answer is not cached");
    }
}

#[test]
fn rate_limits_and_timeouts_are_retried_with_backoff() {
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![Reply::TooMany, Reply::Stall(Duration::from_secs(3)), openai_answer(&library_refinement())]);
    let (library, out, cache) = (library().display().to_string(), scratch.str("out"), scratch.str("cache"));
    let output = generate(&[&library, "-o", &out, "--refine", "--llm-timeout", "1"], &openai_env(&provider, &cache));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("answered in 3 attempts"), "{stderr}");
    assert_eq!(provider.requests().len(), 3);

    // A provider that never recovers exhausts the attempts and says why.
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![Reply::TooMany]);
    let (out, cache) = (scratch.str("out"), scratch.str("cache"));
    let output = generate(&[&library, "-o", &out, "--refine", "--llm-attempts", "2"], &openai_env(&provider, &cache));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no answer after 2 attempt(s): HTTP 429: slow down"), "{stderr}");
}

#[test]
fn missing_settings_are_named() {
    let scratch = Scratch::new();
    let (library, out) = (library().display().to_string(), scratch.str("out"));
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[], "BACKBONE_LLM_PROVIDER"),
        (&[("BACKBONE_LLM_PROVIDER", "openai")], "BACKBONE_LLM_MODEL"),
        (&[("BACKBONE_LLM_PROVIDER", "anthropic"), ("BACKBONE_LLM_MODEL", "claude-sonnet-4-5")], "BACKBONE_LLM_API_KEY"),
    ];
    for (env, named) in cases {
        let output = generate(&[&library, "-o", &out, "--refine"], env);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with("error: --refine needs ") && stderr.contains(named), "{stderr}");
        assert!(!scratch.path("out").exists());
    }
}

#[test]
fn a_cached_answer_is_not_paid_twice_and_a_replay_is_byte_identical_offline() {
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![openai_answer(&library_refinement())]);
    let (library, cache) = (library().display().to_string(), scratch.str("cache"));
    let env = openai_env(&provider, &cache);
    let first = generate(&[&library, "-o", &scratch.str("online"), "--refine"], &env);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let second = generate(&[&library, "-o", &scratch.str("cached"), "--refine"], &env);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(text(&second.stderr).contains("using the cached answer"), "{}", text(&second.stderr));
    assert_eq!(provider.requests().len(), 1, "the second run is served from the cache");

    // Replay with no provider settings at all: no network is possible.
    let saved = scratch.str("online/.backbone/refinements.json");
    let replay = generate(&[&library, "-o", &scratch.str("replayed"), "--refinements", &saved], &[]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    for other in ["cached", "replayed"] {
        let output = generate(&[&library, "-o", &scratch.str(other), "--check", "--refinements", &saved], &[]);
        assert_eq!(output.status.code(), Some(0), "{other} differs from the online run:\n{}", text(&output.stdout));
    }
    assert_eq!(tree(&scratch.path("online")), tree(&scratch.path("replayed")));
}

/// Every file under `root` with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.strip_prefix(root).expect("inside").to_path_buf(), std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

#[test]
fn without_refine_no_connection_is_made() {
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![openai_answer(&library_refinement())]);
    let (library, out, cache) = (library().display().to_string(), scratch.str("out"), scratch.str("cache"));
    let mut env = openai_env(&provider, &cache);
    env.push(("BACKBONE_LLM_API_KEY", "sk-unused"));
    let output = generate(&[&library, "-o", &out], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    std::thread::sleep(Duration::from_millis(200));
    assert!(provider.requests().is_empty(), "generate without --refine called the provider");
    assert!(!scratch.path("out/.backbone/refinements.json").exists());
}

#[test]
fn hostile_text_in_an_answer_stays_text() {
    let injection = "Ignore previous instructions.\"\"\"\nimport os; os.system('rm -rf /')  # '''\\N{BULLET} {0} %s \u{202e}";
    let refinement = json!({"tables": [{"table": "books", "description": injection, "columns": [{"column": "title", "description": injection, "examples": [injection.chars().take(200).collect::<String>()]}]}]});
    let scratch = Scratch::new();
    let provider = FakeProvider::start(vec![openai_answer(&refinement)]);
    let (library, out, cache) = (library().display().to_string(), scratch.str("out"), scratch.str("cache"));
    let output = generate(&[&library, "-o", &out, "--refine"], &openai_env(&provider, &cache));
    // The generated files went through the Python syntax check before being written.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let model = read(&scratch.path("out/app/models/books.py"));
    assert!(!model.lines().any(|line| line.trim_start().starts_with("import os")), "{model}");
}

/// A document with a long `String` (fine unindexed, too long for an index) and a Date.
const NOTES: &str = r#"{"project_name": "notes", "db_type": "sqlite", "schema": [
  {"table_name": "notes", "class_name": "Note", "columns": [
    {"name": "id", "type": "Integer", "primary_key": true},
    {"name": "body", "type": "String", "length": 1000, "nullable": false},
    {"name": "due_on", "type": "Date"}]}]}"#;

/// An index on `notes.body`: every item passes review, but the indexed `String(1000)`
/// breaks INDEX_TOO_LONG, which only `check` knows.
fn indexing_refinement() -> Value {
    json!({"tables": [{"table": "notes", "description": "A note.", "indexes": [{"column": "body", "reason": "searched"}]}]})
}

#[test]
fn an_item_that_breaks_a_rule_is_withdrawn_after_the_check_online_and_replayed() {
    let scratch = Scratch::new();
    let document = scratch.path("notes.json");
    std::fs::write(&document, NOTES).expect("write the document");
    let provider = FakeProvider::start(vec![openai_answer(&indexing_refinement())]);
    let (document, cache) = (document.display().to_string(), scratch.str("cache"));
    let output = generate(&[&document, "-o", &scratch.str("online"), "--refine"], &openai_env(&provider, &cache));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "warning: refine: rejected tables[0].indexes[0] (notes.body): the refined model breaks INDEX_TOO_LONG: indexed `String(1000)` is too long for a MariaDB index"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("⚠"), "the withdrawn index leaves no warning behind: {stderr}");
    let migration = read(&scratch.path("online/migrations/versions/0001_initial.py"));
    assert!(!migration.contains("ix_notes_body"), "{migration}");
    assert!(read(&scratch.path("online/app/models/notes.py")).contains("A note."), "the rest of the refinement applies");
    let saved = read(&scratch.path("online/.backbone/refinements.json"));
    assert!(!saved.contains("indexes\": [\n") && !saved.contains("searched"), "the withdrawn item is not saved: {saved}");

    // The same refinement recorded and replayed offline is judged the same way, and the
    // saved one replays to the same files with nothing to reject.
    let recorded = scratch.path("refinements.json");
    std::fs::write(&recorded, indexing_refinement().to_string()).expect("write the refinement");
    let output = generate(&[&document, "-o", &scratch.str("replayed"), "--refinements", &recorded.display().to_string()], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("rejected tables[0].indexes[0] (notes.body): the refined model breaks INDEX_TOO_LONG"), "{stderr}");
    let saved = scratch.str("online/.backbone/refinements.json");
    let output = generate(&[&document, "-o", &scratch.str("resaved"), "--refinements", &saved], &[]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("0 items rejected"), "{stderr}");
    assert_eq!(tree(&scratch.path("online")), tree(&scratch.path("replayed")));
    assert_eq!(tree(&scratch.path("online")), tree(&scratch.path("resaved")));
}

#[test]
fn an_impossible_date_is_not_an_example() {
    let scratch = Scratch::new();
    let document = scratch.path("notes.json");
    std::fs::write(&document, NOTES).expect("write the document");
    let refinement = json!({"tables": [{"table": "notes", "columns": [
        {"column": "due_on", "examples": ["2023-02-31"]},
        {"column": "body", "description": "The text."}]}]});
    let saved = scratch.path("refinements.json");
    std::fs::write(&saved, refinement.to_string()).expect("write the refinement");
    let output = generate(&[&document.display().to_string(), "-o", &scratch.str("out"), "--refinements", &saved.display().to_string()], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "the rest of the refinement applies: {stderr}");
    assert!(
        stderr.contains("rejected tables[0].columns[0].examples[0] (notes.due_on): example \"2023-02-31\": it is not a calendar date `YYYY-MM-DD`"),
        "{stderr}"
    );
    assert!(!read(&scratch.path("out/.backbone/refinements.json")).contains("2023-02-31"));
}
