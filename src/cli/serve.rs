//! `backbone serve`: reads the configuration (defaults, then the TOML file, then
//! `BACKBONE_*` variables and flags, later ones winning), sets up JSON logs and runs
//! the daemon until SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::refine::LlmArgs;
use super::{ExitStatus, Printer};
use crate::serve::config::{Config, FailMode, JwtAlgorithm};

/// The log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (for log collectors).
    Json,
    /// Human-readable lines.
    Text,
}

/// Options of `backbone serve`; each can also be set by the `BACKBONE_…` variable named
/// in its help, or in the TOML file.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// A TOML configuration file (flags and variables override it).
    #[arg(long, env = "BACKBONE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BACKBONE_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Serve /metrics on this address only (not on --listen).
    #[arg(long, env = "BACKBONE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Compilations at once [default: one per core].
    #[arg(long, env = "BACKBONE_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Compilations that may wait; past that, 503 [default: 256].
    #[arg(long, env = "BACKBONE_QUEUE", value_name = "N")]
    pub queue: Option<usize>,
    /// Request timeout in seconds [default: 30].
    #[arg(long, env = "BACKBONE_REQUEST_TIMEOUT", value_name = "SECS")]
    pub request_timeout: Option<u64>,
    /// Milliseconds readiness fails before the listener closes on shutdown [default: 0].
    #[arg(long, env = "BACKBONE_DRAIN_DELAY_MS", value_name = "MS")]
    pub drain_delay_ms: Option<u64>,
    /// Seconds in-flight requests get after the listener closes [default: 30].
    #[arg(long, env = "BACKBONE_SHUTDOWN_TIMEOUT", value_name = "SECS")]
    pub shutdown_timeout: Option<u64>,
    /// Most open connections; past it the longest-idle one is closed [default: 4096].
    #[arg(long, env = "BACKBONE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Seconds a client may take to send a request head, from its first byte [default: 10].
    #[arg(long, env = "BACKBONE_HEADER_TIMEOUT", value_name = "SECS")]
    pub header_timeout: Option<u64>,
    /// Seconds an idle keep-alive connection stays open [default: 75].
    #[arg(long, env = "BACKBONE_KEEP_ALIVE_TIMEOUT", value_name = "SECS")]
    pub keep_alive_timeout: Option<u64>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); reloaded on SIGHUP or change.
    #[arg(long, env = "BACKBONE_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "BACKBONE_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Largest request body in bytes, else 413 [default: 52428800].
    #[arg(long, env = "BACKBONE_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest schema document in bytes, else 422 [default: 10485760].
    #[arg(long, env = "BACKBONE_MAX_BYTES", value_name = "BYTES")]
    pub max_bytes: Option<usize>,
    /// Most tables per document [default: 50].
    #[arg(long, env = "BACKBONE_MAX_TABLES", value_name = "N")]
    pub max_tables: Option<usize>,
    /// Most columns per table [default: 100].
    #[arg(long, env = "BACKBONE_MAX_COLUMNS", value_name = "N")]
    pub max_columns: Option<usize>,
    /// Most relationships per table [default: 50].
    #[arg(long, env = "BACKBONE_MAX_RELATIONSHIPS", value_name = "N")]
    pub max_relationships: Option<usize>,
    /// Most JSON values per document, checked before compiling [default: 100000].
    #[arg(long, env = "BACKBONE_MAX_JSON_VALUES", value_name = "N")]
    pub max_json_values: Option<usize>,
    /// TOML file of API keys (`[[keys]]` id, sha256, expires), reloaded on SIGHUP or change.
    #[arg(long, env = "BACKBONE_API_KEYS_FILE", value_name = "FILE")]
    pub api_keys_file: Option<PathBuf>,
    /// API keys, comma-separated, each ID:sha256:HEX or ID:KEY.
    #[arg(long, env = "BACKBONE_API_KEYS", value_name = "KEYS", value_delimiter = ',', hide_env_values = true)]
    pub api_keys: Vec<String>,
    /// JWT algorithm [default: HS256].
    #[arg(long, env = "BACKBONE_JWT_ALGORITHM", value_enum)]
    pub jwt_algorithm: Option<JwtAlgorithmArg>,
    /// HS256 secret (at least 32 bytes).
    #[arg(long, env = "BACKBONE_JWT_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// RS256 public key (PEM) that verifies tokens.
    #[arg(long, env = "BACKBONE_JWT_PUBLIC_KEY_FILE", value_name = "FILE")]
    pub jwt_public_key_file: Option<PathBuf>,
    /// RS256 private key (PEM) that signs tokens from /api/v1/token.
    #[arg(long, env = "BACKBONE_JWT_PRIVATE_KEY_FILE", value_name = "FILE")]
    pub jwt_private_key_file: Option<PathBuf>,
    /// Required `iss` of tokens.
    #[arg(long, env = "BACKBONE_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required `aud` of tokens.
    #[arg(long, env = "BACKBONE_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Routes that need a key or token, comma-separated [default: /api/v1/validate,/api/v1/generate].
    #[arg(long, env = "BACKBONE_PROTECT", value_delimiter = ',', value_name = "ROUTES")]
    pub protect: Option<Vec<String>>,
    /// `memory` or a redis:// URL shared by every replica [default: memory].
    #[arg(long, env = "BACKBONE_RATE_LIMIT_STORE", value_name = "STORE")]
    pub rate_limit_store: Option<String>,
    /// When the store is unreachable: serve without limits (open) or 503 (closed) [default: open].
    #[arg(long, env = "BACKBONE_RATE_LIMIT_FAIL", value_enum)]
    pub rate_limit_fail: Option<FailModeArg>,
    /// Turn rate limits off.
    #[arg(long, env = "BACKBONE_NO_RATE_LIMIT")]
    pub no_rate_limit: bool,
    /// Proxies (IPs or CIDR ranges) whose X-Forwarded-For is believed, comma-separated.
    #[arg(long, env = "BACKBONE_TRUSTED_PROXIES", value_delimiter = ',', value_name = "RANGES")]
    pub trusted_proxies: Option<Vec<String>>,
    /// CORS origins, comma-separated (`*` for any) [default: none, no CORS].
    #[arg(long, env = "BACKBONE_CORS_ORIGINS", value_delimiter = ',', value_name = "ORIGINS")]
    pub cors_origins: Option<Vec<String>>,
    /// The LLM for `?refine=true` [default: none, refine requests get 422].
    #[command(flatten)]
    pub llm: LlmArgs,
    /// Log format.
    #[arg(long, env = "BACKBONE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
    /// Log filter (tracing syntax: `info`, `backbone=debug`).
    #[arg(long, env = "BACKBONE_LOG", default_value = "info")]
    pub log: String,
}

/// `--jwt-algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithmArg {
    #[value(name = "HS256", alias = "hs256")]
    Hs256,
    #[value(name = "RS256", alias = "rs256")]
    Rs256,
}

/// `--rate-limit-fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailModeArg {
    Open,
    Closed,
}

impl ServeArgs {
    /// The configuration: defaults, then `file_text` (TOML), then these flags.
    pub fn config(&self, file_text: Option<&str>) -> Result<Config, String> {
        let mut config = match file_text {
            Some(text) => Config::from_toml(text).map_err(|error| format!("invalid configuration file: {error}"))?,
            None => Config::default(),
        };
        macro_rules! set {
            ($flag:expr, $field:expr) => {
                if let Some(value) = $flag.clone() {
                    $field = value;
                }
            };
        }
        set!(self.listen, config.listen);
        if self.metrics_listen.is_some() {
            config.metrics_listen = self.metrics_listen;
        }
        set!(self.workers, config.workers);
        set!(self.queue, config.queue);
        set!(self.request_timeout, config.request_timeout_secs);
        set!(self.drain_delay_ms, config.drain_delay_ms);
        set!(self.shutdown_timeout, config.shutdown_timeout_secs);
        set!(self.max_connections, config.max_connections);
        set!(self.header_timeout, config.header_timeout_secs);
        set!(self.keep_alive_timeout, config.keep_alive_timeout_secs);
        if self.tls_cert.is_some() {
            config.tls_cert_file.clone_from(&self.tls_cert);
        }
        if self.tls_key.is_some() {
            config.tls_key_file.clone_from(&self.tls_key);
        }
        set!(self.max_body_bytes, config.limits.max_body_bytes);
        set!(self.max_bytes, config.limits.max_schema_bytes);
        set!(self.max_tables, config.limits.max_tables);
        set!(self.max_columns, config.limits.max_columns);
        set!(self.max_relationships, config.limits.max_relationships);
        set!(self.max_json_values, config.limits.max_json_values);
        if self.api_keys_file.is_some() {
            config.auth.api_keys_file.clone_from(&self.api_keys_file);
        }
        if !self.api_keys.is_empty() {
            config.auth.api_keys.clone_from(&self.api_keys);
        }
        if let Some(algorithm) = self.jwt_algorithm {
            config.auth.jwt_algorithm = match algorithm {
                JwtAlgorithmArg::Hs256 => JwtAlgorithm::HS256,
                JwtAlgorithmArg::Rs256 => JwtAlgorithm::RS256,
            };
        }
        if self.jwt_secret.is_some() {
            config.auth.jwt_secret.clone_from(&self.jwt_secret);
        }
        if self.jwt_public_key_file.is_some() {
            config.auth.jwt_public_key_file.clone_from(&self.jwt_public_key_file);
        }
        if self.jwt_private_key_file.is_some() {
            config.auth.jwt_private_key_file.clone_from(&self.jwt_private_key_file);
        }
        if self.jwt_issuer.is_some() {
            config.auth.jwt_issuer.clone_from(&self.jwt_issuer);
        }
        if self.jwt_audience.is_some() {
            config.auth.jwt_audience.clone_from(&self.jwt_audience);
        }
        set!(self.protect, config.auth.protected);
        set!(self.rate_limit_store, config.rate_limit.store);
        if let Some(fail) = self.rate_limit_fail {
            config.rate_limit.fail = match fail {
                FailModeArg::Open => FailMode::Open,
                FailModeArg::Closed => FailMode::Closed,
            };
        }
        if self.no_rate_limit {
            config.rate_limit.enabled = false;
        }
        set!(self.trusted_proxies, config.rate_limit.trusted_proxies);
        set!(self.cors_origins, config.cors.origins);
        self.llm.overlay(&mut config.llm);
        Ok(config)
    }
}

fn init_logging(args: &ServeArgs) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log).map_err(|error| format!("invalid --log filter: {error}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match args.log_format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    installed.map_err(|error| format!("cannot set up logging: {error}"))
}

/// Runs the daemon until it is stopped.
pub(crate) fn run(args: &ServeArgs, printer: &mut Printer) -> ExitStatus {
    let file_text = match &args.config {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) => {
                printer.err(&format!("error: cannot read `{}`: {error}\n", path.display()));
                return ExitStatus::Error;
            }
        },
        None => None,
    };
    let config = match args.config(file_text.as_deref()) {
        Ok(config) => config,
        Err(message) => {
            printer.err(&format!("error: {message}\n"));
            return ExitStatus::Error;
        }
    };
    if let Err(message) = init_logging(args) {
        printer.err(&format!("error: {message}\n"));
        return ExitStatus::Error;
    }
    // Compilations run on the blocking pool, at most `workers` at once (the pool's
    // semaphore); capping the pool near that and keeping idle threads alive means a
    // steady set of threads instead of one spawned and retired per burst, which keeps
    // memory flat (each new thread gets its own allocator heap).
    let workers = config.effective_workers();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(workers + 2)
        .thread_keep_alive(std::time::Duration::from_mins(10))
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            printer.err(&format!("error: cannot start the async runtime: {error}\n"));
            return ExitStatus::Error;
        }
    };
    let outcome = runtime.block_on(async move {
        let server = crate::serve::Server::bind(config, Arc::new(crate::serve::SystemClock)).await?.with_signals();
        tracing::info!(
            listen = %server.local_addr().map_or_else(String::new, |address| address.to_string()),
            metrics = %server.metrics_addr().map_or_else(String::new, |address| address.to_string()),
            version = env!("CARGO_PKG_VERSION"),
            "backbone serve listening"
        );
        server.run().await
    });
    match outcome {
        Ok(()) => ExitStatus::Success,
        Err(message) => {
            printer.err(&format!("error: {message}\n"));
            ExitStatus::Error
        }
    }
}
