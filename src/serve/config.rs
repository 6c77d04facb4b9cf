//! The daemon's settings: one [`Config`] with the predecessor's documented defaults,
//! read from an optional TOML file and overridden by flags and `BACKBONE_*` variables
//! (the CLI layers them: flag > environment > file > default).
//!
//! Invariant: every limit the daemon enforces is a field here, so `/api/v1/status`
//! reports exactly what is in force.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::refine::LlmOptions;
use crate::refine::provider::LlmSettings;

/// Everything `backbone serve` can be told.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the API listens.
    pub listen: SocketAddr,
    /// A separate address for `/metrics` only; when set, the API address does not serve it.
    pub metrics_listen: Option<SocketAddr>,
    /// How many compilations run at once (off the async executor); 0 means one per core.
    pub workers: usize,
    /// How many more compilations may wait for a worker; past that a request gets 503.
    pub queue: usize,
    /// The longest a request may take, in seconds, before it is answered with 503.
    pub request_timeout_secs: u64,
    /// How long readiness reports "draining" before the listener closes, in milliseconds,
    /// so a load balancer stops sending traffic first.
    pub drain_delay_ms: u64,
    /// How long in-flight requests get to finish after the listener closes, in seconds.
    pub shutdown_timeout_secs: u64,
    /// The most connections open at once (both listeners each). Past it, a new
    /// connection closes the one idle the longest (no request in flight), or is refused
    /// when every one is busy. Capped at start by the open-file limit, less a reserve.
    pub max_connections: usize,
    /// The longest a client may take to send a request head, in seconds, counted from its
    /// first byte: a half-sent head is closed after this (slowloris).
    pub header_timeout_secs: u64,
    /// How long a connection may sit idle between requests, in seconds, before it is
    /// closed (longer than a load balancer's idle timeout, so the balancer closes first).
    pub keep_alive_timeout_secs: u64,
    /// The PEM certificate chain for TLS; with `tls_key_file`, the API listener speaks
    /// HTTPS. Both are reloaded on SIGHUP and when either changes.
    pub tls_cert_file: Option<PathBuf>,
    /// The PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    pub limits: InputLimits,
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    pub cors: CorsConfig,
    /// The LLM that `POST /api/v1/generate?refine=true` asks; none configured means
    /// refine requests get 422.
    pub llm: LlmOptions,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: None,
            workers: 0,
            queue: 256,
            request_timeout_secs: 30,
            drain_delay_ms: 0,
            shutdown_timeout_secs: 30,
            max_connections: 4096,
            header_timeout_secs: 10,
            keep_alive_timeout_secs: 75,
            tls_cert_file: None,
            tls_key_file: None,
            limits: InputLimits::default(),
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            cors: CorsConfig::default(),
            llm: LlmOptions::default(),
        }
    }
}

impl Config {
    /// Parses a TOML file's text.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|error| error.to_string())
    }

    /// The number of worker threads for compilations.
    pub fn effective_workers(&self) -> usize {
        if self.workers > 0 { self.workers } else { std::thread::available_parallelism().map_or(2, std::num::NonZero::get) }
    }
}

/// Input limits (the predecessor's defaults: 50 MB request, 10 MB schema, 50 tables,
/// 100 columns and 50 relationships per table).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct InputLimits {
    /// A larger request body gets 413.
    pub max_body_bytes: usize,
    /// A larger schema document gets 422 with a `LIMIT_EXCEEDED` diagnostic.
    pub max_schema_bytes: usize,
    pub max_tables: usize,
    pub max_columns: usize,
    pub max_relationships: usize,
    /// The most JSON values (scalars, arrays, objects) a document may hold: checked
    /// before compiling, because a hostile 10 MB document of millions of tiny values
    /// would otherwise cost one diagnostic each (about 1 KB: gigabytes). A document at
    /// every other limit holds about 60,000.
    pub max_json_values: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 50 * 1024 * 1024,
            max_schema_bytes: 10 * 1024 * 1024,
            max_tables: 50,
            max_columns: 100,
            max_relationships: 50,
            max_json_values: 100_000,
        }
    }
}

impl InputLimits {
    /// The compiler options that enforce these limits.
    pub fn compile_options(&self) -> crate::CompileOptions {
        crate::CompileOptions {
            limits: crate::Limits { max_tables: Some(self.max_tables), max_columns: Some(self.max_columns), max_relationships: Some(self.max_relationships) },
            max_bytes: Some(self.max_schema_bytes),
        }
    }
}

/// The JWT signature algorithms the daemon accepts (one at a time).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum JwtAlgorithm {
    #[default]
    HS256,
    RS256,
}

/// API keys and JWT settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// A TOML file of `[[keys]]` (id, sha256, optional expires), reloaded on SIGHUP and
    /// when it changes.
    pub api_keys_file: Option<PathBuf>,
    /// Keys given directly, each `ID:sha256:HEX` or `ID:KEY` (hashed on load).
    #[serde(skip_serializing)]
    pub api_keys: Vec<String>,
    /// How often the key file is checked for changes, in seconds.
    pub reload_interval_secs: u64,
    pub jwt_algorithm: JwtAlgorithm,
    /// The HS256 secret.
    #[serde(skip_serializing)]
    pub jwt_secret: Option<String>,
    /// The RS256 public key (PEM file) that verifies tokens.
    pub jwt_public_key_file: Option<PathBuf>,
    /// The RS256 private key (PEM file) that signs tokens from the token endpoint.
    pub jwt_private_key_file: Option<PathBuf>,
    /// When set, tokens must carry this `iss`; issued tokens carry it.
    pub jwt_issuer: Option<String>,
    /// When set, tokens must carry this `aud`; issued tokens carry it.
    pub jwt_audience: Option<String>,
    /// Lifetime of tokens from the token endpoint, in seconds.
    pub token_ttl_secs: u64,
    /// Routes that need a key or token. Health, metrics and docs are always open.
    pub protected: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            api_keys_file: None,
            api_keys: Vec::new(),
            reload_interval_secs: 2,
            jwt_algorithm: JwtAlgorithm::HS256,
            jwt_secret: None,
            jwt_public_key_file: None,
            jwt_private_key_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            token_ttl_secs: 900,
            protected: vec!["/api/v1/validate".to_owned(), "/api/v1/generate".to_owned()],
        }
    }
}

/// What the daemon does when the shared rate-limit store cannot be reached.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Serve without limits (and say so in the log and a metric).
    #[default]
    Open,
    /// Answer 503 to limited routes until the store is back.
    Closed,
}

/// The four tiers of rate limits and where their counters live.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// `memory` (one process) or a `redis://` URL shared by every replica.
    pub store: String,
    pub fail: FailMode,
    /// Redis keys start with this, so several deployments can share one server.
    pub redis_prefix: String,
    /// The longest a Redis call may take before it counts as a store failure, in ms.
    pub redis_timeout_ms: u64,
    pub public_per_minute: u64,
    pub authenticated_per_minute: u64,
    pub generation_per_minute: u64,
    pub generation_per_hour: u64,
    pub validation_per_minute: u64,
    /// Peers (IP addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            store: "memory".to_owned(),
            fail: FailMode::Open,
            redis_prefix: "backbone:rl:".to_owned(),
            redis_timeout_ms: 250,
            public_per_minute: 20,
            authenticated_per_minute: 100,
            generation_per_minute: 10,
            generation_per_hour: 50,
            validation_per_minute: 50,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Cross-origin access; no origin means no CORS headers at all.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Allowed origins (`*` for any).
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            origins: Vec::new(),
            methods: vec!["GET".to_owned(), "POST".to_owned(), "OPTIONS".to_owned()],
            headers: vec!["content-type".to_owned(), "authorization".to_owned(), "x-api-key".to_owned(), "x-request-id".to_owned()],
        }
    }
}

/// The refine pass's checked provider settings (the `[llm]` table, `BACKBONE_LLM_*`, the
/// `--llm-*` flags, as `generate --refine` takes them), `None` when no provider is
/// configured; the attempt timeout and the budget never outlast `request_timeout_secs`.
pub fn llm_settings(options: &LlmOptions, request_timeout_secs: u64) -> Result<Option<LlmSettings>, String> {
    if options.provider.is_none() {
        return Ok(None);
    }
    let cap = request_timeout_secs.max(1);
    let capped = LlmOptions { timeout_secs: options.timeout_secs.min(cap), budget_secs: options.budget_secs.min(cap), ..options.clone() };
    crate::refine::settings(&capped, "refine").map(Some).map_err(|message| format!("invalid LLM configuration: {message}"))
}
