//! The API handlers: validate, generate, token and status. They call the same
//! [`crate::compile`] and the same JSON renderer as `backbone validate --format json`,
//! and the same [`crate::generate()`] as `backbone generate`.

use std::cell::Cell;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::error::ApiError;
use super::layers::Identity;
use super::state::AppState;
use crate::diagnostics::render::{FileReport, file_report, json as render_json};
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::generate::{Fault, GenerateOptions, Outcome, RefinementPass, RefinementSource};
use crate::ir::Schema;
use crate::refine;
use crate::refine::provider::LlmSettings;
use crate::source::{JsonPointer, Origin, Source, Span};

/// The name diagnostics give the request body.
const SOURCE_NAME: &str = "<request>";

/// Whether a compilation means "this is not a schema document we will look at":
/// not JSON, not an object, or over a limit.
fn rejected(compilation: &crate::Compilation) -> bool {
    compilation.schema.is_none() || compilation.diagnostics.iter().any(|diagnostic| diagnostic.code == Code::LimitExceeded)
}

fn report_response(status: StatusCode, report: &FileReport) -> Response {
    let mut body = render_json(std::slice::from_ref(report));
    body.push('\n');
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Whether `text` holds more than `cap` JSON values, counting every array and object
/// plus one value per comma-separated member (strings are skipped, escapes included):
/// one pass, no allocation, stopping as soon as the count passes `cap`.
fn json_values_over(text: &[u8], cap: usize) -> bool {
    let mut values = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' | b',' => {
                values += 1;
                if values > cap {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The diagnostic for a document over a size limit (`compile` words the byte limit
/// the same way).
fn limit_report(message: String, help: &str) -> FileReport {
    let mut diagnostics = Diagnostics::new();
    diagnostics
        .push(Diagnostic::new(Code::LimitExceeded, &Origin::new(JsonPointer::root(), Span::at(0)), message).with_label("document too large").with_help(help));
    file_report(&Source::new(SOURCE_NAME, ""), &diagnostics)
}

/// The body as a source, unless it holds more JSON values than `max_values` (then only
/// the limit is reported, and the document is rejected).
fn body_source(body: &Bytes, max_values: usize) -> Result<Source, FileReport> {
    if json_values_over(body, max_values) {
        return Err(limit_report(
            format!("the document holds more than the limit of {max_values} JSON values"),
            "split the document, or raise the limit (max_json_values)",
        ));
    }
    Ok(Source::from_bytes(SOURCE_NAME, body.to_vec()))
}

/// The answer to a document over the schema size limit, counted as a rejection.
fn oversized_document(state: &AppState, path: &str) -> Response {
    let max_bytes = state.config.limits.max_schema_bytes;
    let report = limit_report(format!("the document is larger than the limit of {max_bytes} bytes"), "split the document, or raise the limit");
    if path.ends_with("/validate") {
        state.metrics.validations.with_label_values(&["rejected"]).inc();
    } else {
        state.metrics.generation_runs.with_label_values(&["invalid"]).inc();
    }
    let mut response = report_response(StatusCode::UNPROCESSABLE_ENTITY, &report);
    // The body was not read to its end, so the connection cannot carry another request.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Judges a body by its declared length before a byte of it is read: over the body
/// limit is 413, over the schema limit 422 (such a document cannot be accepted, so
/// there is no reason to hold up to 50 MB of it in memory). A body without a declared
/// length (chunked) is read up to the schema limit only, see `read_body`.
pub async fn check_declared_length(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|value| value.parse::<usize>().ok());
    let limits = &state.config.limits;
    match declared {
        Some(length) if length > limits.max_body_bytes => {
            let mut response = ApiError::TooLarge { limit: limits.max_body_bytes }.into_response();
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        Some(length) if length > limits.max_schema_bytes => oversized_document(&state, request.uri().path()),
        _ => next.run(request).await,
    }
}

/// The body. Reading stops one byte past the schema limit (the router's body limit):
/// declared lengths were judged already, so a body that goes past it has no declared
/// length and is answered as a document over the schema limit (422).
fn read_body(state: &AppState, path: &str, body: Result<Bytes, BytesRejection>) -> Result<Bytes, Box<Response>> {
    body.map_err(|rejection| {
        Box::new(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            oversized_document(state, path)
        } else {
            ApiError::BadRequest(rejection.body_text()).into_response()
        })
    })
}

/// `POST /api/v1/validate`: the diagnostics of the body, 200 whether valid or not.
pub async fn validate(State(state): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let path = "/api/v1/validate";
    let body = match read_body(&state, path, body) {
        Ok(body) => body,
        Err(response) => return Ok(*response),
    };
    let options = state.config.limits.compile_options();
    let max_values = state.config.limits.max_json_values;
    let (status, report, outcome) = state
        .pool
        .run(&state.metrics, move || {
            let source = match body_source(&body, max_values) {
                Ok(source) => source,
                Err(report) => return (StatusCode::UNPROCESSABLE_ENTITY, report, "rejected"),
            };
            let compilation = crate::compile(&source, &options);
            let report = file_report(&source, &compilation.diagnostics);
            if rejected(&compilation) {
                (StatusCode::UNPROCESSABLE_ENTITY, report, "rejected")
            } else if compilation.is_valid() {
                (StatusCode::OK, report, "valid")
            } else {
                (StatusCode::OK, report, "invalid")
            }
        })
        .await?;
    state.metrics.validations.with_label_values(&[outcome]).inc();
    state.served.validations.fetch_add(1, Ordering::Relaxed);
    Ok(report_response(status, &report))
}

/// One generated file in the JSON form.
#[derive(Debug, Serialize)]
struct JsonFile {
    path: String,
    content: String,
}

/// What a generation produced, for the response.
enum Generated {
    /// The document is invalid, or the refinement breaks a rule: the diagnostics.
    Invalid(FileReport),
    Project {
        files: Vec<JsonFile>,
        tables: usize,
        lines: usize,
        refine: Option<RefineReport>,
    },
    /// backbone's bug (a template failed, or the Python does not verify).
    Fault(Fault),
    /// The refine pass failed (the provider, or its answer).
    RefineFailed(refine::Error),
}

/// What the refine pass of one generation did, for the response.
#[derive(Debug, Serialize)]
struct RefineReport {
    /// The accepted refinement, advice included (also `.backbone/refinements.json`).
    accepted: refine::Refinement,
    rejected: Vec<RejectedItem>,
    usage: Usage,
}

#[derive(Debug, Serialize)]
struct RejectedItem {
    at: String,
    subject: Option<String>,
    message: String,
}

#[derive(Debug, Serialize)]
struct Usage {
    provider: &'static str,
    model: String,
    input_tokens: u64,
    output_tokens: u64,
    attempts: u32,
}

/// One provider call, for the `backbone_llm_*` metrics.
struct LlmCall {
    outcome: &'static str,
    input_tokens: u64,
    output_tokens: u64,
    attempts: u32,
    elapsed: Duration,
}

/// Asks the provider (no answer cache: each request asks), noting the call for the metrics.
fn ask(settings: &LlmSettings, schema: &Schema, call: &Cell<Option<LlmCall>>) -> Result<refine::Asked, refine::Error> {
    let started = Instant::now();
    let asked = refine::ask(settings, schema, &mut refine::NoCache, &mut |_| {});
    let (outcome, answer) = match &asked {
        // Never from a cache here (the daemon keeps none), so there is always an answer.
        Ok(asked) => ("ok", asked.answer.as_ref()),
        Err(refine::Error::Call(_)) => ("error", None),
        Err(refine::Error::Answer { answer, .. }) => ("invalid", answer.as_deref()),
    };
    let (input_tokens, output_tokens, attempts) = answer.map_or((0, 0, 0), |answer| (answer.input_tokens, answer.output_tokens, answer.attempts));
    let elapsed = asked.as_ref().map_or_else(|_| started.elapsed(), |asked| asked.elapsed);
    call.set(Some(LlmCall { outcome, input_tokens, output_tokens, attempts, elapsed }));
    asked
}

fn refine_report(settings: &LlmSettings, pass: &RefinementPass, call: Option<&LlmCall>) -> RefineReport {
    let review = &pass.review;
    let (input_tokens, output_tokens, attempts) = call.map_or((0, 0, 0), |call| (call.input_tokens, call.output_tokens, call.attempts));
    RefineReport {
        accepted: review.accepted.clone(),
        rejected: review
            .rejected
            .iter()
            .map(|rejection| RejectedItem { at: rejection.at.clone(), subject: rejection.subject.clone(), message: rejection.message.clone() })
            .collect(),
        usage: Usage { provider: settings.provider.name(), model: settings.model.clone(), input_tokens, output_tokens, attempts },
    }
}

/// [`crate::generate()`] on the body: the one generation path, as `backbone generate` runs it.
fn generate_project(body: &Bytes, options: &crate::CompileOptions, max_values: usize, llm: Option<&LlmSettings>) -> (Generated, Option<LlmCall>) {
    let source = match body_source(body, max_values) {
        Ok(source) => source,
        Err(report) => return (Generated::Invalid(report), None),
    };
    let call = Cell::new(None);
    let noted = &call;
    let proposer = llm.map(|settings| move |schema: &Schema| ask(settings, schema, noted));
    let refinement = proposer.as_ref().map_or(RefinementSource::None, |proposer| RefinementSource::Ask(proposer));
    let generation = crate::generate(&source, &GenerateOptions { compile: *options, refinement, ..GenerateOptions::default() });
    let call = call.take();
    let generated = match generation.outcome {
        Outcome::Invalid | Outcome::RefinementRejected(_) => Generated::Invalid(file_report(&source, &generation.diagnostics)),
        Outcome::RefineFailed(error) => Generated::RefineFailed(error),
        Outcome::Fault(fault) => Generated::Fault(fault),
        Outcome::Generated(project) => {
            let refine = match (llm, &project.refinement) {
                (Some(settings), Some(pass)) => Some(refine_report(settings, pass, call.as_ref())),
                _ => None,
            };
            let files: Vec<JsonFile> = project.files.iter().map(|(path, file)| JsonFile { path: path.clone(), content: file.contents.clone() }).collect();
            let lines = files.iter().map(|file| file.content.lines().count()).sum();
            Generated::Project { files, tables: project.tables, lines, refine }
        }
    };
    (generated, call)
}

/// Feeds the `backbone_llm_*` metrics with one provider call.
fn record_llm_call(metrics: &super::metrics::Metrics, settings: &LlmSettings, call: &LlmCall) {
    let (provider, model) = (settings.provider.name(), settings.model.as_str());
    metrics.llm_requests.with_label_values(&[provider, model, call.outcome]).inc();
    metrics.llm_tokens.with_label_values(&[provider, model, "input"]).inc_by(call.input_tokens);
    metrics.llm_tokens.with_label_values(&[provider, model, "output"]).inc_by(call.output_tokens);
    metrics.llm_duration.with_label_values(&[provider, model]).observe(call.elapsed.as_secs_f64());
}

/// Whether the query asks for the refine pass: `refine=true` (or `1`); anything else
/// named `refine` but not false is a mistake.
fn refine_requested(query: Option<&str>) -> Result<bool, ApiError> {
    let mut requested = false;
    for pair in query.unwrap_or_default().split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "refine" {
            continue;
        }
        requested = match value {
            "true" | "1" | "" => true,
            "false" | "0" => false,
            other => return Err(ApiError::BadRequest(format!("refine must be true or false, not `{other}`"))),
        };
    }
    Ok(requested)
}

fn zip_archive(files: &[JsonFile]) -> Result<Vec<u8>, String> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp keeps the archive the same bytes for the same schema.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for file in files {
        writer.start_file(file.path.as_str(), options).map_err(|error| error.to_string())?;
        writer.write_all(file.content.as_bytes()).map_err(|error| error.to_string())?;
    }
    writer.finish().map(std::io::Cursor::into_inner).map_err(|error| error.to_string())
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|accept| accept.to_str().ok()).is_some_and(|accept| {
        let zip_at = accept.find("application/zip");
        let json_at = accept.find("application/json");
        matches!((json_at, zip_at), (Some(_), None)) || matches!((json_at, zip_at), (Some(json), Some(zip)) if json < zip)
    })
}

/// `POST /api/v1/generate`: the project as a zip archive, or JSON with
/// `Accept: application/json`; 422 with diagnostics when the schema is invalid. With
/// `?refine=true` the configured LLM refines the model first (422 when none is
/// configured, 502 when it fails).
pub async fn generate(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let path = "/api/v1/generate";
    let llm = if refine_requested(query.as_deref())? {
        let settings = state.llm.clone().ok_or_else(|| ApiError::Unprocessable {
            code: "refine_unavailable",
            message: "refine was requested but this server has no LLM configured (set BACKBONE_LLM_PROVIDER and BACKBONE_LLM_MODEL, or [llm] in the configuration file)".to_owned(),
        })?;
        Some(settings)
    } else {
        None
    };
    let body = match read_body(&state, path, body) {
        Ok(body) => body,
        Err(response) => return Ok(*response),
    };
    let options = state.config.limits.compile_options();
    let as_json = wants_json(&headers);
    let max_values = state.config.limits.max_json_values;
    let started = Instant::now();
    let job_state = Arc::clone(&state);
    let outcome = state
        .pool
        .run(&state.metrics, move || {
            let (generated, call) = generate_project(&body, &options, max_values, llm.as_ref());
            // Counted here, on the worker, so that a call whose request timed out counts too.
            if let (Some(call), Some(settings)) = (&call, &llm) {
                record_llm_call(&job_state.metrics, settings, call);
            }
            match generated {
                Generated::Project { files, tables, lines, refine } => {
                    let archive = if as_json { None } else { Some(zip_archive(&files)) };
                    (Generated::Project { files, tables, lines, refine }, archive)
                }
                other => (other, None),
            }
        })
        .await?;
    state.served.generations.fetch_add(1, Ordering::Relaxed);
    let metrics = &state.metrics;
    match outcome {
        (Generated::Invalid(report), _) => {
            metrics.generation_runs.with_label_values(&["invalid"]).inc();
            Ok(report_response(StatusCode::UNPROCESSABLE_ENTITY, &report))
        }
        (Generated::Fault(fault), _) => {
            metrics.generation_runs.with_label_values(&["error"]).inc();
            Err(ApiError::GenerationFault(fault.to_string()))
        }
        (Generated::RefineFailed(error), _) => {
            metrics.generation_runs.with_label_values(&["error"]).inc();
            tracing::warn!(error = %error, "refine failed");
            let code = match error {
                refine::Error::Call(_) => "llm_failed",
                refine::Error::Answer { .. } => "llm_bad_answer",
            };
            Err(ApiError::BadGateway { code, message: format!("refine: {error}") })
        }
        (Generated::Project { files, tables, lines, refine }, archive) => {
            metrics.generation_runs.with_label_values(&["ok"]).inc();
            metrics.generation_duration.observe(started.elapsed().as_secs_f64());
            metrics.generated_tables.inc_by(tables as u64);
            metrics.generated_files.inc_by(files.len() as u64);
            metrics.generated_lines.inc_by(lines as u64);
            let mut response = match archive {
                Some(Ok(bytes)) => (
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
                        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"project.zip\"")),
                    ],
                    bytes,
                )
                    .into_response(),
                Some(Err(detail)) => return Err(ApiError::Internal(format!("zip: {detail}"))),
                None => match &refine {
                    Some(report) => Json(json!({ "files": files, "refinement": report })).into_response(),
                    None => Json(json!({ "files": files })).into_response(),
                },
            };
            if let Some(report) = &refine {
                let headers = response.headers_mut();
                headers.insert(REFINE_REJECTED, HeaderValue::from(report.rejected.len()));
                headers.insert(REFINE_ADVICE, HeaderValue::from(report.accepted.advice.len()));
            }
            Ok(response)
        }
    }
}

/// How many items of the refinement were rejected (their reasons are in the JSON form).
const REFINE_REJECTED: HeaderName = HeaderName::from_static("x-backbone-refine-rejected");
/// How many pieces of advice came with it (in `.backbone/refinements.json`).
const REFINE_ADVICE: HeaderName = HeaderName::from_static("x-backbone-refine-advice");

/// `POST /api/v1/token`: a short-lived JWT for the API key presented.
pub async fn token(State(state): State<Arc<AppState>>, Extension(identity): Extension<Identity>) -> Result<Response, ApiError> {
    // A key itself, not a token issued for one: a token cannot renew itself.
    let Identity::Key(key_id) = identity else {
        state.metrics.auth_failures.with_label_values(&["missing_key"]).inc();
        return Err(ApiError::Unauthorized("the token endpoint needs an X-API-Key"));
    };
    let Some(jwt) = state.jwt.as_ref().filter(|jwt| jwt.can_issue()) else {
        return Err(ApiError::BadRequest("this server issues no tokens: no JWT signing key is configured".to_owned()));
    };
    let token = jwt.issue(&key_id, super::jwt::system_now_secs()).map_err(ApiError::Internal)?;
    Ok(Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": jwt.ttl_secs()})).into_response())
}

/// `GET /api/v1/status`: version, uptime, build, limits in force and counts served.
pub async fn status(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let config = &state.config;
    let limits = &config.rate_limit;
    Json(json!({
        "name": "backbone",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "build": {
            "version": env!("CARGO_PKG_VERSION"),
            "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
            "target_os": std::env::consts::OS,
            "target_arch": std::env::consts::ARCH,
        },
        "limits": config.limits,
        "rate_limits": {
            "enabled": limits.enabled,
            "store": state.limiter.store_kind(),
            "fail": limits.fail,
            "public_per_minute": limits.public_per_minute,
            "authenticated_per_minute": limits.authenticated_per_minute,
            "generation_per_minute": limits.generation_per_minute,
            "generation_per_hour": limits.generation_per_hour,
            "validation_per_minute": limits.validation_per_minute,
        },
        "auth": {
            "api_keys": state.keys.len(),
            "jwt": state.jwt.as_ref().map(super::jwt::Jwt::algorithm_name),
            "protected": if state.auth_enabled() { config.auth.protected.clone() } else { Vec::new() },
        },
        "refine": state.llm.as_ref().map(|settings| json!({"provider": settings.provider.name(), "model": settings.model})),
        "connections": {
            "max": state.connection_cap,
            "header_timeout_secs": config.header_timeout_secs,
            "keep_alive_timeout_secs": config.keep_alive_timeout_secs,
        },
        "workers": state.pool.workers(),
        "queue_capacity": state.pool.capacity(),
        "served": {
            "requests": state.served.requests.load(Ordering::Relaxed),
            "validations": state.served.validations.load(Ordering::Relaxed),
            "generations": state.served.generations.load(Ordering::Relaxed),
        },
    }))
}
