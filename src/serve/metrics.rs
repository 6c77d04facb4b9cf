//! Prometheus metrics: every family the daemon exports is registered here, in one
//! table ([`METRIC_NAMES`]) that the README, the dashboard and the alert rules are
//! checked against (tests/serve_deploy.rs).
//!
//! Invariant: names follow Prometheus conventions (`backbone_…_total` counters, base
//! units in `_seconds`/`_bytes`); the text format is the classic one `promtool check
//! metrics` reads.

use prometheus::{Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

/// Every metric family the daemon exports (process metrics come from the process
/// collector and are listed too).
pub const METRIC_NAMES: &[&str] = &[
    "backbone_http_requests_total",
    "backbone_http_request_duration_seconds",
    "backbone_http_requests_in_flight",
    "backbone_http_request_size_bytes",
    "backbone_http_response_size_bytes",
    "backbone_validations_total",
    "backbone_generation_runs_total",
    "backbone_generation_duration_seconds",
    "backbone_generated_tables_total",
    "backbone_generated_files_total",
    "backbone_generated_lines_total",
    "backbone_compile_queue_depth",
    "backbone_compile_rejections_total",
    "backbone_rate_limit_rejections_total",
    "backbone_rate_limit_store_errors_total",
    "backbone_rate_limit_store_up",
    "backbone_auth_failures_total",
    "backbone_api_keys_loaded",
    "backbone_api_key_reloads_total",
    "backbone_llm_requests_total",
    "backbone_llm_tokens_total",
    "backbone_llm_request_duration_seconds",
    "backbone_build_info",
    "backbone_ready",
    "backbone_connections_open",
    "backbone_connections_dropped_total",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
    "process_threads",
];

/// The rate-limit tiers, as the `tier` label spells them.
pub const TIERS: &[&str] = &["public", "authenticated", "validation", "generation_minute", "generation_hour"];

/// Every `reason` label of `backbone_auth_failures_total`.
pub const AUTH_FAILURE_REASONS: &[&str] = &[
    "missing_credentials",
    "missing_key",
    "invalid_key",
    "expired_key",
    "malformed_token",
    "expired_token",
    "bad_signature",
    "algorithm_rejected",
    "missing_claim",
    "wrong_issuer",
    "wrong_audience",
    "jwt_not_configured",
    "not_yet_valid",
    "issued_in_future",
    "revoked_key",
    "duplicate_credentials",
];

/// The `method` label: the methods the daemon knows, everything else `other`, so a
/// client inventing methods cannot create series.
pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];

/// The `status` label: the codes the daemon answers with, anything else by its class
/// (`2xx` … `5xx`), so the set is closed whatever a handler or layer may return.
pub const STATUSES: &[u16] = &[200, 204, 304, 400, 401, 403, 404, 405, 408, 413, 415, 422, 429, 500, 502, 503, 504];

/// The `method` label of a request method.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    METHODS.iter().copied().find(|known| *known == method.as_str()).unwrap_or("other")
}

/// The `status` label of a status code.
pub fn status_label(status: axum::http::StatusCode) -> std::borrow::Cow<'static, str> {
    let code = status.as_u16();
    if STATUSES.contains(&code) {
        std::borrow::Cow::Owned(code.to_string())
    } else {
        std::borrow::Cow::Borrowed(match code / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        })
    }
}

/// Every family, with the handles the daemon updates.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub http_in_flight: IntGaugeVec,
    pub http_request_size: HistogramVec,
    pub http_response_size: HistogramVec,
    pub validations: IntCounterVec,
    pub generation_runs: IntCounterVec,
    pub generation_duration: Histogram,
    pub generated_tables: IntCounter,
    pub generated_files: IntCounter,
    pub generated_lines: IntCounter,
    pub queue_depth: IntGauge,
    pub compile_rejections: IntCounter,
    pub rate_limit_rejections: IntCounterVec,
    pub rate_limit_store_errors: IntCounter,
    pub rate_limit_store_up: IntGauge,
    pub auth_failures: IntCounterVec,
    pub api_keys_loaded: IntGauge,
    pub api_key_reloads: IntCounterVec,
    /// Fed by `POST /api/v1/generate?refine=true`: requests by outcome ([`LLM_OUTCOMES`]),
    /// tokens by type (`input`, `output`), provider call latency.
    pub llm_requests: IntCounterVec,
    pub llm_tokens: IntCounterVec,
    pub llm_duration: HistogramVec,
    pub ready: IntGauge,
    pub connections_open: IntGauge,
    /// Connections the daemon closed or refused, by reason ([`super::conn::DROP_REASONS`]).
    pub connections_dropped: IntCounterVec,
}

/// Outcomes of an LLM request: answered with a usable refinement, unusable answer,
/// no answer (refused, unreachable, timed out).
pub const LLM_OUTCOMES: [&str; 3] = ["ok", "invalid", "error"];

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const SIZE_BUCKETS: &[f64] = &[256.0, 1024.0, 4096.0, 16_384.0, 65_536.0, 262_144.0, 1_048_576.0, 4_194_304.0, 16_777_216.0, 67_108_864.0];

fn register<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, collector: T) -> Result<T, String> {
    registry.register(Box::new(collector.clone())).map_err(|error| format!("metric registration: {error}"))?;
    Ok(collector)
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, String> {
    register(registry, IntCounterVec::new(Opts::new(name, help), labels).map_err(|error| error.to_string())?)
}

fn histogram_vec(registry: &Registry, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> Result<HistogramVec, String> {
    register(registry, HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), labels).map_err(|error| error.to_string())?)
}

fn gauge(registry: &Registry, name: &str, help: &str) -> Result<IntGauge, String> {
    register(registry, IntGauge::new(name, help).map_err(|error| error.to_string())?)
}

fn counter(registry: &Registry, name: &str, help: &str) -> Result<IntCounter, String> {
    register(registry, IntCounter::new(name, help).map_err(|error| error.to_string())?)
}

impl Metrics {
    pub fn new() -> Result<Self, String> {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self())).map_err(|error| format!("metric registration: {error}"))?;
        let build_info = register(
            &registry,
            IntGaugeVec::new(Opts::new("backbone_build_info", "Build information; the value is always 1."), &["version", "profile"])
                .map_err(|error| error.to_string())?,
        )?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION"), if cfg!(debug_assertions) { "debug" } else { "release" }]).set(1);
        let r = &registry;
        let metrics = Self {
            http_requests: counter_vec(r, "backbone_http_requests_total", "HTTP requests answered.", &["method", "route", "status"])?,
            http_duration: histogram_vec(
                r,
                "backbone_http_request_duration_seconds",
                "Time to answer an HTTP request.",
                &["method", "route", "status"],
                LATENCY_BUCKETS,
            )?,
            http_in_flight: register(
                r,
                IntGaugeVec::new(Opts::new("backbone_http_requests_in_flight", "HTTP requests being answered."), &["method", "route"])
                    .map_err(|error| error.to_string())?,
            )?,
            http_request_size: histogram_vec(r, "backbone_http_request_size_bytes", "Request body sizes.", &["route"], SIZE_BUCKETS)?,
            http_response_size: histogram_vec(r, "backbone_http_response_size_bytes", "Response body sizes.", &["route"], SIZE_BUCKETS)?,
            validations: counter_vec(r, "backbone_validations_total", "Schema validations by outcome (valid, invalid, rejected).", &["outcome"])?,
            generation_runs: counter_vec(r, "backbone_generation_runs_total", "Generation runs by outcome (ok, invalid, error).", &["outcome"])?,
            generation_duration: register(
                r,
                Histogram::with_opts(
                    HistogramOpts::new("backbone_generation_duration_seconds", "Time to compile, render, check and package a project.")
                        .buckets(LATENCY_BUCKETS.to_vec()),
                )
                .map_err(|error| error.to_string())?,
            )?,
            generated_tables: counter(r, "backbone_generated_tables_total", "Tables of the projects generated.")?,
            generated_files: counter(r, "backbone_generated_files_total", "Files generated.")?,
            generated_lines: counter(r, "backbone_generated_lines_total", "Lines generated.")?,
            queue_depth: gauge(r, "backbone_compile_queue_depth", "Compilations running or waiting for a worker.")?,
            compile_rejections: counter(r, "backbone_compile_rejections_total", "Requests refused with 503 because the compile queue was full.")?,
            rate_limit_rejections: counter_vec(r, "backbone_rate_limit_rejections_total", "Requests refused with 429, by tier.", &["tier"])?,
            rate_limit_store_errors: counter(r, "backbone_rate_limit_store_errors_total", "Failed calls to the rate-limit store.")?,
            rate_limit_store_up: gauge(r, "backbone_rate_limit_store_up", "1 when the last call to the rate-limit store succeeded.")?,
            auth_failures: counter_vec(r, "backbone_auth_failures_total", "Requests refused with 401, by reason.", &["reason"])?,
            api_keys_loaded: gauge(r, "backbone_api_keys_loaded", "API keys in force.")?,
            api_key_reloads: counter_vec(r, "backbone_api_key_reloads_total", "Reloads of the key file by outcome.", &["outcome"])?,
            llm_requests: counter_vec(r, "backbone_llm_requests_total", "LLM requests of the refine pass.", &["provider", "model", "outcome"])?,
            llm_tokens: counter_vec(r, "backbone_llm_tokens_total", "LLM tokens used by the refine pass.", &["provider", "model", "type"])?,
            llm_duration: histogram_vec(
                r,
                "backbone_llm_request_duration_seconds",
                "LLM request latency of the refine pass.",
                &["provider", "model"],
                LATENCY_BUCKETS,
            )?,
            ready: gauge(r, "backbone_ready", "1 while the readiness probe succeeds.")?,
            connections_open: gauge(r, "backbone_connections_open", "Client connections open.")?,
            connections_dropped: counter_vec(
                r,
                "backbone_connections_dropped_total",
                "Connections closed by the daemon (header or idle timeout, evicted at the cap) or refused at the cap.",
                &["reason"],
            )?,
            registry,
        };
        metrics.initialize_known_labels();
        Ok(metrics)
    }

    /// Creates every series whose labels are known in advance at zero, so `rate()` and
    /// alerts see them from the first scrape (Prometheus' advice on missing series).
    fn initialize_known_labels(&self) {
        for tier in TIERS {
            self.rate_limit_rejections.with_label_values(&[tier]);
        }
        for reason in AUTH_FAILURE_REASONS {
            self.auth_failures.with_label_values(&[reason]);
        }
        for outcome in ["valid", "invalid", "rejected"] {
            self.validations.with_label_values(&[outcome]);
        }
        for outcome in ["ok", "invalid", "error"] {
            self.generation_runs.with_label_values(&[outcome]);
        }
        for outcome in ["ok", "error"] {
            self.api_key_reloads.with_label_values(&[outcome]);
        }
        for reason in super::conn::DROP_REASONS {
            self.connections_dropped.with_label_values(&[reason]);
        }
    }

    /// Creates the LLM series of the configured provider and model at zero.
    pub fn initialize_llm(&self, provider: &str, model: &str) {
        for outcome in LLM_OUTCOMES {
            self.llm_requests.with_label_values(&[provider, model, outcome]);
        }
        for kind in ["input", "output"] {
            self.llm_tokens.with_label_values(&[provider, model, kind]);
        }
    }

    /// The scrape, in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        // Encoding into a Vec fails only on an invalid metric, which registration rules out.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}
