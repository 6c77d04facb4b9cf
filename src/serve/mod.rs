//! `backbone serve`: the HTTP daemon (axum on tokio). It validates and generates with
//! the same library code as the CLI ([`crate::compile`], the JSON diagnostics renderer,
//! [`crate::target::python`]), and adds what a shared service needs: API keys and JWT,
//! four tiers of rate limits (in memory or in Redis), input limits, health probes,
//! Prometheus metrics, request ids and JSON logs, CORS, security headers, timeouts,
//! bounded connections ([`conn`]) and graceful shutdown.
//!
//! Invariant: handlers never block the executor — compilations run on the blocking
//! pool behind [`state::WorkPool`] — and every route is in [`openapi::ROUTES`].

pub mod api;
pub mod config;
pub mod conn;
pub mod error;
mod files;
pub mod health;
pub mod jwt;
pub mod keys;
pub mod layers;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod state;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

pub use config::Config;
pub use ratelimit::{Clock, ManualClock, SystemClock};
use state::AppState;

/// Builds the shared state from a configuration.
pub fn state(config: Config, clock: Arc<dyn Clock>) -> Result<Arc<AppState>, String> {
    let metrics = metrics::Metrics::new()?;
    let keys = keys::KeyStore::load(config.auth.api_keys_file.clone(), &config.auth.api_keys)?;
    metrics.api_keys_loaded.set(i64::try_from(keys.len()).unwrap_or(i64::MAX));
    let jwt = jwt::Jwt::from_config(&config.auth)?;
    let limiter = ratelimit::RateLimiter::new(&config.rate_limit)?;
    metrics.rate_limit_store_up.set(1);
    metrics.ready.set(1);
    let pool = state::WorkPool::new(config.effective_workers(), config.queue);
    let tls = match (&config.tls_cert_file, &config.tls_key_file) {
        (Some(cert), Some(key)) => Some(Arc::new(tls::Tls::load(cert.clone(), key.clone())?)),
        (None, None) => None,
        _ => return Err("TLS needs both a certificate (--tls-cert) and its key (--tls-key)".to_owned()),
    };
    let connection_cap = conn::effective_cap(config.max_connections, conn::fd_limit());
    if connection_cap < config.max_connections {
        tracing::warn!(configured = config.max_connections, cap = connection_cap, "max_connections lowered to fit the open-file limit");
    }
    let llm = config::llm_settings(&config.llm, config.request_timeout_secs)?;
    if let Some(settings) = &llm {
        metrics.initialize_llm(settings.provider.name(), &settings.model);
    }
    Ok(Arc::new(AppState {
        config,
        started: Instant::now(),
        metrics,
        keys,
        jwt,
        limiter,
        pool,
        clock,
        draining: std::sync::atomic::AtomicBool::new(false),
        connection_cap,
        tls,
        served: state::Served::default(),
        llm,
    }))
}

async fn metrics_handler(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))], state.metrics.render()).into_response()
}

async fn openapi_handler() -> axum::Json<serde_json::Value> {
    axum::Json(openapi::document())
}

async fn docs_handler() -> Html<String> {
    Html(openapi::docs_html())
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"error": "not_found", "message": "no such route; see /docs"}))).into_response()
}

fn cors(config: &config::CorsConfig) -> Option<CorsLayer> {
    if config.origins.is_empty() {
        return None;
    }
    let origin = if config.origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(config.origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    let methods: Vec<Method> = config.methods.iter().filter_map(|method| method.parse().ok()).collect();
    let headers: Vec<HeaderName> = config.headers.iter().filter_map(|name| name.parse().ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods(methods)
            .allow_headers(headers)
            .expose_headers([
                layers::REQUEST_ID,
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderName::from_static("x-ratelimit-reset"),
                header::RETRY_AFTER,
            ])
            .max_age(Duration::from_mins(10)),
    )
}

/// The whole application.
///
/// Layers run outside in, in this order, and the order is behaviour:
/// 1. `observe` — first, so every response (even a 401, 413, 429 or timeout) gets a
///    request id, an access log line and metrics.
/// 2. security headers — on every response too.
/// 3. CORS — before authentication, so preflight `OPTIONS` needs no credential.
/// 4. timeout — bounds everything below it (503 after `request_timeout_secs`).
/// 5. on API routes only: `authenticate`, then `rate_limit`, which keys counters by the
///    identity authentication established; a refused credential counts nowhere.
/// 6. on API routes: a declared length over the body limit is answered 413, over the
///    schema limit 422, without reading the body (`api::check_declared_length`).
/// 7. the router's body limit, one byte past the schema limit: a body without a
///    declared length is read no further (422, see `api::read_body`).
pub fn app(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/api/v1/validate", post(api::validate))
        .route("/api/v1/generate", post(api::generate))
        .route("/api/v1/token", post(api::token))
        .route("/api/v1/status", get(api::status))
        .layer(from_fn_with_state(Arc::clone(&state), api::check_declared_length))
        .layer(from_fn_with_state(Arc::clone(&state), layers::rate_limit))
        .layer(from_fn_with_state(Arc::clone(&state), layers::authenticate));
    let mut open = Router::new()
        .route("/health", get(health::health))
        .route("/health/liveness", get(health::liveness))
        .route("/health/readiness", get(health::readiness))
        .route("/health/detailed", get(health::detailed))
        .route("/openapi.json", get(openapi_handler))
        .route("/docs", get(docs_handler));
    if state.config.metrics_listen.is_none() {
        open = open.route("/metrics", get(metrics_handler));
    }
    let mut router = api
        .merge(open)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.config.limits.max_schema_bytes.min(state.config.limits.max_body_bytes).saturating_add(1)))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(state.config.request_timeout_secs.max(1))));
    if let Some(cors) = cors(&state.config.cors) {
        router = router.layer(cors);
    }
    router.layer(from_fn(layers::security_headers)).layer(from_fn_with_state(Arc::clone(&state), layers::observe)).with_state(state)
}

/// The metrics-only application for `metrics_listen`.
pub fn metrics_app(state: Arc<AppState>) -> Router {
    Router::new().route("/metrics", get(metrics_handler)).with_state(state)
}

/// Asks a running [`Server`] to shut down, or to reload its keys.
#[derive(Debug, Clone)]
pub struct Handle {
    shutdown: watch::Sender<bool>,
    state: Arc<AppState>,
}

impl Handle {
    /// Starts a graceful shutdown (what SIGTERM does).
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Reloads the key file (what SIGHUP does).
    pub fn reload_keys(&self) -> Result<usize, String> {
        reload_keys(&self.state)
    }

    /// Reloads the TLS certificate and key (what SIGHUP does too); `Ok` without TLS.
    pub fn reload_tls(&self) -> Result<(), String> {
        reload_tls(&self.state)
    }
}

fn reload_tls(state: &AppState) -> Result<(), String> {
    let Some(tls) = &state.tls else { return Ok(()) };
    match tls.reload() {
        Ok(()) => {
            tracing::info!("TLS certificate reloaded");
            Ok(())
        }
        Err(error) => {
            tracing::error!(error = %error, "TLS certificate reload failed; the previous certificate stays in force");
            Err(error)
        }
    }
}

fn reload_keys(state: &AppState) -> Result<usize, String> {
    match state.keys.reload() {
        Ok(count) => {
            state.metrics.api_keys_loaded.set(i64::try_from(count).unwrap_or(i64::MAX));
            state.metrics.api_key_reloads.with_label_values(&["ok"]).inc();
            tracing::info!(keys = count, "API keys reloaded");
            Ok(count)
        }
        Err(error) => {
            state.metrics.api_key_reloads.with_label_values(&["error"]).inc();
            tracing::error!(error = %error, "API key reload failed; the previous keys stay in force");
            Err(error)
        }
    }
}

/// A bound, not yet running daemon.
#[derive(Debug)]
pub struct Server {
    state: Arc<AppState>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: watch::Sender<bool>,
    signals: bool,
}

impl Server {
    /// Binds the listeners (port 0 picks a free port).
    pub async fn bind(config: Config, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let listener = TcpListener::bind(config.listen).await.map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
        let metrics_listener = match config.metrics_listen {
            Some(address) => Some(TcpListener::bind(address).await.map_err(|error| format!("cannot listen on {address}: {error}"))?),
            None => None,
        };
        let state = state(config, clock)?;
        Ok(Self { state, listener, metrics_listener, shutdown: watch::channel(false).0, signals: false })
    }

    /// Also handle SIGTERM and SIGINT (shutdown) and SIGHUP (reload keys and TLS).
    #[must_use]
    pub fn with_signals(mut self) -> Self {
        self.signals = true;
        self
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|listener| listener.local_addr().ok())
    }

    pub fn handle(&self) -> Handle {
        Handle { shutdown: self.shutdown.clone(), state: Arc::clone(&self.state) }
    }

    /// Serves until shut down: readiness fails at once, new connections are accepted
    /// for `drain_delay_ms` more (every response saying `Connection: close`), then the
    /// listener closes and in-flight requests get `shutdown_timeout_secs` to finish.
    pub async fn run(self) -> Result<(), String> {
        let Self { state, listener, metrics_listener, shutdown, signals } = self;
        if signals {
            spawn_signal_handlers(&shutdown, &state);
        }
        spawn_key_watcher(&state, shutdown.subscribe());
        let mut requested = shutdown.subscribe();
        let (closing_tx, closing_rx) = watch::channel(false);
        let drain_state = Arc::clone(&state);
        tokio::spawn(async move {
            let _ = requested.wait_for(|stop| *stop).await;
            drain_state.draining.store(true, Ordering::SeqCst);
            drain_state.metrics.ready.set(0);
            tracing::info!(drain_delay_ms = drain_state.config.drain_delay_ms, "shutting down: readiness fails, draining");
            tokio::time::sleep(Duration::from_millis(drain_state.config.drain_delay_ms)).await;
            closing_tx.send_replace(true);
        });
        if let Some(metrics_listener) = metrics_listener {
            let metrics_router = metrics_app(Arc::clone(&state));
            let limits = conn::ConnectionLimits { max_connections: METRICS_CONNECTIONS.min(state.connection_cap), ..connection_limits(&state) };
            tokio::spawn(conn::serve(metrics_listener, metrics_router, limits, state.metrics.clone(), None, closing_rx.clone()));
        }
        let timeout = Duration::from_secs(state.config.shutdown_timeout_secs);
        let server = conn::serve(listener, app(Arc::clone(&state)), connection_limits(&state), state.metrics.clone(), state.tls.clone(), closing_rx.clone());
        let mut closing = closing_rx;
        let deadline = async move {
            let _ = closing.wait_for(|closing| *closing).await;
            tokio::time::sleep(timeout).await;
        };
        tokio::select! {
            () = server => {}
            () = deadline => tracing::warn!("shutdown timeout reached; in-flight requests dropped"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The most connections the metrics address holds (scrapers are few).
const METRICS_CONNECTIONS: usize = 64;

fn connection_limits(state: &AppState) -> conn::ConnectionLimits {
    conn::ConnectionLimits {
        max_connections: state.connection_cap,
        header_timeout: Duration::from_secs(state.config.header_timeout_secs.max(1)),
        keep_alive_timeout: Duration::from_secs(state.config.keep_alive_timeout_secs.max(1)),
    }
}

fn spawn_key_watcher(state: &Arc<AppState>, mut stop: watch::Receiver<bool>) {
    if state.keys.file().is_none() && state.tls.is_none() {
        return;
    }
    let state = Arc::clone(state);
    let interval = Duration::from_secs(state.config.auth.reload_interval_secs.max(1));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
            if state.keys.file_changed() {
                let _ = reload_keys(&state);
            }
            if state.tls.as_ref().is_some_and(|tls| tls.files_changed()) {
                let _ = reload_tls(&state);
            }
        }
    });
}

#[cfg(unix)]
fn spawn_signal_handlers(shutdown: &watch::Sender<bool>, state: &Arc<AppState>) {
    use tokio::signal::unix::{SignalKind, signal};
    let shutdown = shutdown.clone();
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let (Ok(mut terminate), Ok(mut interrupt), Ok(mut hangup)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
        else {
            tracing::error!("cannot install signal handlers");
            return;
        };
        loop {
            tokio::select! {
                _ = terminate.recv() => { tracing::info!(signal = "SIGTERM", "signal received"); break; }
                _ = interrupt.recv() => { tracing::info!(signal = "SIGINT", "signal received"); break; }
                _ = hangup.recv() => { let _ = reload_keys(&state); let _ = reload_tls(&state); }
            }
        }
        shutdown.send_replace(true);
    });
}

#[cfg(not(unix))]
fn spawn_signal_handlers(shutdown: &watch::Sender<bool>, _state: &Arc<AppState>) {
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.send_replace(true);
    });
}
