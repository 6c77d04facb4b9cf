//! One error type for every handler: client mistakes map to 4xx with a JSON body,
//! internal failures to 500 with a request id to quote, their details only in the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request that ends in an error response.
#[derive(Debug)]
pub enum ApiError {
    /// 401, with the reason that is also the metric label.
    Unauthorized(&'static str),
    /// 503: the compile queue is full; retry after so many seconds.
    Busy { retry_after_secs: u64 },
    /// 503: the rate-limit store is down and the daemon fails closed.
    StoreUnavailable,
    /// 413: the body is over the request size limit.
    TooLarge { limit: usize },
    /// 400 with a message for the client.
    BadRequest(String),
    /// 422 with a machine-readable code and a message: a request this server cannot
    /// carry out as configured.
    Unprocessable { code: &'static str, message: String },
    /// 502 with a code and a message: an upstream service (the LLM) failed.
    BadGateway { code: &'static str, message: String },
    /// 500; the detail is logged, never sent.
    Internal(String),
    /// 500: generation hit a bug in backbone (a template failed, or the generated Python
    /// does not verify). The detail names backbone's own files, not the client's data, so
    /// it is sent as well as logged, for the bug report.
    GenerationFault(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, retry_after) = match self {
            Self::Unauthorized(reason) => (StatusCode::UNAUTHORIZED, "unauthorized", format!("authentication failed: {reason}"), None),
            Self::Busy { retry_after_secs } => {
                (StatusCode::SERVICE_UNAVAILABLE, "busy", "too many compilations queued; retry later".to_owned(), Some(retry_after_secs))
            }
            Self::StoreUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "rate_limit_store_unavailable", "the rate-limit store is unreachable; retry later".to_owned(), Some(1))
            }
            Self::TooLarge { limit } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("the request body is larger than the limit of {limit} bytes"), None)
            }
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message, None),
            Self::Unprocessable { code, message } => (StatusCode::UNPROCESSABLE_ENTITY, code, message, None),
            Self::BadGateway { code, message } => (StatusCode::BAD_GATEWAY, code, message, None),
            Self::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "internal error in backbone; this is a bug, please report it with the request id".to_owned(),
                    None,
                )
            }
            Self::GenerationFault(detail) => {
                tracing::error!(detail = %detail, "generation fault");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "generation_fault",
                    format!(
                        "internal error in backbone: {detail}; nothing was generated. This is a bug, please report it with the request id and the document"
                    ),
                    None,
                )
            }
        };
        let mut response = (status, Json(json!({"error": code, "message": message}))).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer, ApiKey"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_generation_fault_is_a_500_that_names_it() {
        let response = ApiError::GenerationFault("the template of app/main.py failed to render: an error".to_owned()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("the body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["error"], "generation_fault");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("app/main.py failed to render") && message.contains("nothing was generated"), "{message}");
    }
}
