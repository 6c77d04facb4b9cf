//! Health probes: `/health` (up), `/health/liveness` (the process answers),
//! `/health/readiness` (fails while draining, or while the rate-limit store is down and
//! the daemon fails closed — the store itself is probed, at most once a second, so a
//! pod taken out of rotation comes back when Redis does) and `/health/detailed` (each
//! dependency with its latency).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::config::FailMode;
use super::state::AppState;

pub async fn health(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "uptime_seconds": state.started.elapsed().as_secs()}))
}

pub async fn liveness() -> Json<serde_json::Value> {
    Json(json!({"status": "alive"}))
}

/// How long a readiness probe of the store is reused.
pub const PROBE_MAX_AGE: Duration = Duration::from_secs(1);

/// Why the daemon should not get traffic, given whether the store answers.
fn reason(state: &AppState, store_up: bool) -> Option<&'static str> {
    if state.draining.load(Ordering::SeqCst) {
        Some("draining")
    } else if state.limiter.enabled() && state.limiter.fail_mode() == FailMode::Closed && !store_up {
        Some("rate-limit store unreachable")
    } else {
        None
    }
}

/// Whether the store answers, as far as readiness needs to know: probed (cached for
/// [`PROBE_MAX_AGE`]) only when a down store makes the daemon unready.
async fn store_up_for_readiness(state: &AppState) -> bool {
    if state.draining.load(Ordering::SeqCst) || !state.limiter.enabled() || state.limiter.fail_mode() == FailMode::Open {
        return true;
    }
    let up = state.limiter.probe_cached(PROBE_MAX_AGE).await;
    state.metrics.rate_limit_store_up.set(i64::from(up));
    up
}

pub async fn readiness(State(state): State<Arc<AppState>>) -> Response {
    let store_up = store_up_for_readiness(&state).await;
    match reason(&state, store_up) {
        Some(reason) => {
            state.metrics.ready.set(0);
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not_ready", "reason": reason}))).into_response()
        }
        None => {
            state.metrics.ready.set(1);
            Json(json!({"status": "ready"})).into_response()
        }
    }
}

pub async fn detailed(State(state): State<Arc<AppState>>) -> Response {
    let started = Instant::now();
    let probe = state.limiter.probe().await;
    state.metrics.rate_limit_store_up.set(i64::from(probe.is_ok()));
    let store_latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let store = match &probe {
        Ok(()) => json!({"name": "rate_limit_store", "kind": state.limiter.store_kind(), "status": "up", "latency_ms": store_latency_ms}),
        Err(error) => json!({
            "name": "rate_limit_store", "kind": state.limiter.store_kind(), "status": "down",
            "latency_ms": store_latency_ms, "error": error.0, "fail": state.limiter.fail_mode(),
        }),
    };
    let keys = json!({
        "name": "api_keys", "status": "up", "loaded": state.keys.len(),
        "file": state.keys.file().map(|path| path.display().to_string()),
    });
    let pool = json!({
        "name": "compile_pool", "status": if state.pool.pending() < state.pool.capacity() { "up" } else { "saturated" },
        "workers": state.pool.workers(), "pending": state.pool.pending(), "capacity": state.pool.capacity(),
    });
    let reason = reason(&state, probe.is_ok());
    let status = if reason.is_some() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    let body = json!({
        "status": if reason.is_some() { "not_ready" } else if probe.is_err() { "degraded" } else { "ok" },
        "reason": reason,
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "draining": state.draining.load(Ordering::SeqCst),
        "dependencies": [store, keys, pool],
    });
    (status, Json(body)).into_response()
}
