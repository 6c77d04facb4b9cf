//! Health probes: `/health` (up), `/health/liveness` (the process answers),
//! `/health/readiness` (fails while draining, or while the rate-limit store is down and
//! the daemon fails closed) and `/health/detailed` (each dependency with its latency).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

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

/// Why the daemon should not get traffic, if it should not.
fn not_ready(state: &AppState) -> Option<&'static str> {
    if state.draining.load(Ordering::SeqCst) {
        Some("draining")
    } else if state.limiter.enabled() && state.limiter.fail_mode() == FailMode::Closed && !state.limiter.store_healthy() {
        Some("rate-limit store unreachable")
    } else {
        None
    }
}

pub async fn readiness(State(state): State<Arc<AppState>>) -> Response {
    match not_ready(&state) {
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
    let probe = state.limiter.probe(state.clock.now_millis()).await;
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
    let reason = not_ready(&state);
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
