//! The middleware: request ids, access logs and HTTP metrics (`observe`), security
//! headers, authentication (`authenticate`) and rate limits (`rate_limit`). The order
//! they are stacked in is in [`super::app`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::Instrument;

use super::config::FailMode;
use super::error::ApiError;
use super::keys::KeyRejection;
use super::ratelimit::Activity;
use super::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// Who is calling, as authentication established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An API key, by its id.
    Key(String),
    /// A token the token endpoint issued for an API key, by the key's id: the same
    /// caller as the key, with the same quota.
    KeyToken(String),
    /// A JWT, by its subject.
    Subject(String),
    /// No credential: the client address.
    Anonymous(IpAddr),
}

impl Identity {
    /// The rate-limit key; never the secret itself.
    fn limit_key(&self) -> String {
        match self {
            Self::Key(id) | Self::KeyToken(id) => format!("key:{id}"),
            Self::Subject(subject) => format!("sub:{subject}"),
            Self::Anonymous(ip) => format!("ip:{ip}"),
        }
    }

    /// What the access log says.
    fn log_id(&self) -> String {
        match self {
            Self::Key(id) => format!("key:{id}"),
            Self::KeyToken(id) => format!("jwt:key:{id}"),
            Self::Subject(subject) => format!("jwt:{subject}"),
            Self::Anonymous(_) => "anonymous".to_owned(),
        }
    }
}

/// The request id: the client's `X-Request-ID` when it is sane, else a new UUID.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128 && value.bytes().all(|byte| byte.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Outermost: assigns the request id, opens the span every log line of the request
/// carries, writes the access log line and the HTTP metrics.
pub async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    // Every label comes from a closed set: a known method or `other`, the route
    // template (never the raw path) or `unmatched`, a known status or its class.
    let method = super::metrics::method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let log_method = request.method().clone();
    let request_size = request.body().size_hint().exact().unwrap_or(0);
    let metrics = &state.metrics;
    let in_flight = metrics.http_in_flight.with_label_values(&[method, &route]);
    in_flight.inc();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    in_flight.dec();
    let status = response.status();
    let latency = started.elapsed();
    let status_label = super::metrics::status_label(status);
    metrics.http_requests.with_label_values(&[method, &route, &status_label]).inc();
    metrics.http_duration.with_label_values(&[method, &route, &status_label]).observe(latency.as_secs_f64());
    if route != "unmatched" {
        #[allow(clippy::cast_precision_loss)]
        metrics.http_request_size.with_label_values(&[&route]).observe(request_size as f64);
        #[allow(clippy::cast_precision_loss)]
        let response_size = response.body().size_hint().exact().unwrap_or(0) as f64;
        metrics.http_response_size.with_label_values(&[&route]).observe(response_size);
    }
    state.served.requests.fetch_add(1, Ordering::Relaxed);
    let client = response.extensions().get::<Identity>().map_or_else(|| "anonymous".to_owned(), Identity::log_id);
    span.in_scope(|| {
        tracing::info!(
            target: "backbone::access",
            method = %log_method,
            route = %route,
            status = status.as_u16(),
            latency_ms = latency.as_secs_f64() * 1000.0,
            client = %client,
            "request"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // While draining, every response closes its connection, so no client reuses one
    // that is about to close (hyper closes after a response that says so).
    if state.draining.load(Ordering::SeqCst) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether `ip` is in `range` (`10.0.0.0/8`, `::1`, `192.168.1.7`).
fn in_range(ip: IpAddr, range: &str) -> bool {
    let (address, bits) = match range.split_once('/') {
        Some((address, bits)) => (address, bits.parse::<u32>().ok()),
        None => (range, None),
    };
    let Ok(network) = address.trim().parse::<IpAddr>() else { return false };
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

/// The client address: the peer, or — when the peer is a trusted proxy — the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
fn client_ip(state: &AppState, request: &Request) -> IpAddr {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let trusted = &state.config.rate_limit.trusted_proxies;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| in_range(ip, range));
    if trusted.is_empty() || !is_trusted(peer) {
        return peer;
    }
    let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).collect::<Vec<_>>().join(",");
    let mut client = peer;
    for hop in forwarded.split(',').rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// The answer to a refused credential: counted by reason, and against the client
/// address's failure quota — past it the answer is 429, so guessing keys is bounded.
async fn refuse(state: &AppState, ip: IpAddr, reason: &'static str) -> Response {
    state.metrics.auth_failures.with_label_values(&[reason]).inc();
    if state.limiter.enabled()
        && let Ok(decision) = state.limiter.record_auth_failure(ip, state.clock.now_millis()).await
        && !decision.allowed
    {
        return too_many_auth_failures(state, &decision);
    }
    ApiError::Unauthorized(reason).into_response()
}

/// 429 for a client address past its failure quota.
fn too_many_auth_failures(state: &AppState, decision: &super::ratelimit::Decision) -> Response {
    state.metrics.rate_limit_rejections.with_label_values(&[decision.tier.name]).inc();
    let body = json!({
        "error": "rate_limited",
        "message": format!("more than {} failed authentications in a minute from this address; retry in {} s", decision.tier.limit, decision.reset_secs),
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    limit_headers(&mut response, decision);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(decision.reset_secs));
    response
}

/// Why the credentials in `headers` are refused, or who they establish (`None`: no
/// credential at all). Every credential presented must be valid, and each kind may be
/// presented once.
fn credentials(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<Identity>, &'static str> {
    if headers.get_all(API_KEY).iter().count() > 1 || headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
        return Err("duplicate_credentials");
    }
    let key = match headers.get(API_KEY) {
        Some(key) => {
            let key = key.to_str().map_err(|_| "invalid_key")?;
            match state.keys.verify(key, state.now_secs()) {
                Ok(id) => Some(Identity::Key(id)),
                Err(KeyRejection::Expired) => return Err("expired_key"),
                Err(KeyRejection::Unknown) => return Err("invalid_key"),
            }
        }
        None => None,
    };
    let token = match headers.get(header::AUTHORIZATION) {
        Some(authorization) => {
            let token = authorization.to_str().ok().and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")));
            let token = token.ok_or("malformed_token")?;
            let jwt = state.jwt.as_ref().ok_or("jwt_not_configured")?;
            let verified = jwt.verify(token.trim(), super::jwt::system_now_secs())?;
            Some(match verified.key {
                // A token issued for a key is that key's caller (one quota), while the
                // key is in force.
                Some(key) if state.keys.is_active(&key, state.now_secs()) => Identity::KeyToken(key),
                Some(_) => return Err("revoked_key"),
                None => Identity::Subject(verified.subject),
            })
        }
        None => None,
    };
    Ok(key.or(token))
}

/// Establishes the caller: an `X-API-Key`, else a bearer token, else the client
/// address. A credential that is presented must be valid, on every API route (a good
/// key next to a bad token is refused); a protected route needs one. A client address
/// past its quota of failed authentications gets 429 for any credential, before it is
/// looked at.
pub async fn authenticate(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    let path = request.extensions().get::<MatchedPath>().map_or_else(|| request.uri().path().to_owned(), |path| path.as_str().to_owned());
    let ip = client_ip(&state, &request);
    let headers = request.headers();
    let presented = headers.contains_key(API_KEY) || headers.contains_key(header::AUTHORIZATION);
    if presented && state.limiter.enabled() {
        let now = state.clock.now_millis();
        let tier = state.limiter.auth_failure_tier();
        if state.limiter.auth_failures(ip, now).await >= tier.limit {
            let reset_ms = (now / tier.period_ms + 1) * tier.period_ms - now;
            let decision = super::ratelimit::Decision { allowed: false, tier, remaining: 0, reset_secs: reset_ms.div_ceil(1000).max(1) };
            return too_many_auth_failures(&state, &decision);
        }
    }
    let identity = match credentials(&state, headers) {
        Ok(Some(identity)) => identity,
        Ok(None) => {
            if state.auth_enabled() && state.config.auth.protected.contains(&path) {
                return refuse(&state, ip, "missing_credentials").await;
            }
            Identity::Anonymous(ip)
        }
        Err(reason) => return refuse(&state, ip, reason).await,
    };
    request.extensions_mut().insert(identity.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(identity);
    response
}

fn limit_headers(response: &mut Response, decision: &super::ratelimit::Decision) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(decision.tier.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(decision.reset_secs));
    if let Ok(tier) = HeaderValue::from_str(decision.tier.name) {
        headers.insert("x-ratelimit-tier", tier);
    }
}

/// Counts the request under its tiers; 429 with `Retry-After` past a limit. Every
/// response of a limited route carries the `X-RateLimit-*` headers.
pub async fn rate_limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let path = request.extensions().get::<MatchedPath>().map_or("", MatchedPath::as_str);
    // Status is free, as it was in the predecessor: monitoring must not eat a quota.
    if !state.limiter.enabled() || path == "/api/v1/status" {
        return next.run(request).await;
    }
    let activity = match path {
        "/api/v1/validate" => Activity::Validate,
        "/api/v1/generate" => Activity::Generate,
        _ => Activity::Other,
    };
    let identity = request.extensions().get::<Identity>().cloned().unwrap_or(Identity::Anonymous(IpAddr::from([0, 0, 0, 0])));
    let tiers = state.limiter.tiers(!matches!(identity, Identity::Anonymous(_)), activity);
    match state.limiter.check(&identity.limit_key(), &tiers, state.clock.now_millis()).await {
        Ok(decision) if decision.allowed => {
            state.metrics.rate_limit_store_up.set(1);
            let mut response = next.run(request).await;
            limit_headers(&mut response, &decision);
            response
        }
        Ok(decision) => {
            state.metrics.rate_limit_store_up.set(1);
            state.metrics.rate_limit_rejections.with_label_values(&[decision.tier.name]).inc();
            let body = json!({
                "error": "rate_limited",
                "message": format!("rate limit of {} requests exceeded for the {} tier; retry in {} s", decision.tier.limit, decision.tier.name, decision.reset_secs),
            });
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            limit_headers(&mut response, &decision);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(decision.reset_secs));
            response.extensions_mut().insert(identity);
            response
        }
        Err(_) => {
            state.metrics.rate_limit_store_errors.inc();
            state.metrics.rate_limit_store_up.set(0);
            match state.limiter.fail_mode() {
                FailMode::Open => next.run(request).await,
                FailMode::Closed => ApiError::StoreUnavailable.into_response(),
            }
        }
    }
}

/// Headers every response carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let docs = request.uri().path() == "/docs";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    headers.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    headers.insert(
        "content-security-policy",
        if docs {
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
        } else {
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
        },
    );
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::in_range;

    #[test]
    fn addresses_match_ranges() {
        let ip = |text: &str| text.parse().unwrap();
        assert!(in_range(ip("10.1.2.3"), "10.0.0.0/8"));
        assert!(!in_range(ip("11.1.2.3"), "10.0.0.0/8"));
        assert!(in_range(ip("192.168.1.7"), "192.168.1.7"));
        assert!(!in_range(ip("192.168.1.8"), "192.168.1.7"));
        assert!(in_range(ip("::1"), "::1/128"));
        assert!(in_range(ip("fd00::5"), "fd00::/8"));
        assert!(!in_range(ip("10.0.0.1"), "fd00::/8"));
        assert!(in_range(ip("8.8.8.8"), "0.0.0.0/0"));
        assert!(!in_range(ip("8.8.8.8"), "not an address"));
    }
}
