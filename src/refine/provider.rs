//! The two provider APIs: OpenAI-compatible chat completions (OpenAI, Ollama, vLLM,
//! llama.cpp server, LM Studio — anything that speaks `/chat/completions`) and
//! Anthropic's Messages API. Each call asks for the [`Refinement`](super::Refinement)
//! JSON Schema as structured output (OpenAI: `response_format` `json_schema`; Anthropic:
//! a forced tool call), with timeouts, retries with backoff on 429, 5xx and transport
//! errors, and a total time budget.
//!
//! Invariant: this module is the only network code of backbone, and nothing reaches it
//! unless `--refine` was given.

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Which API style to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// `POST {base}/chat/completions` with `Authorization: Bearer`.
    Openai,
    /// `POST {base}/v1/messages` with `x-api-key`.
    Anthropic,
}

impl ProviderKind {
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Openai => "https://api.openai.com/v1",
            ProviderKind::Anthropic => "https://api.anthropic.com",
        }
    }
}

/// Everything one refinement call needs.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub provider: ProviderKind,
    pub base_url: String,
    pub model: String,
    /// May be empty for local servers that take none.
    pub api_key: String,
    /// Per attempt.
    pub timeout: Duration,
    /// For all attempts and waits together.
    pub budget: Duration,
    pub max_attempts: u32,
    /// USD per million input and output tokens, for the cost estimate.
    pub price_per_million: Option<(f64, f64)>,
}

/// What the model said, with its token usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The refinement JSON as the model produced it (not yet parsed as a `Refinement`).
    pub refinement: Value,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// How many HTTP attempts it took.
    pub attempts: u32,
}

/// Why a call failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// A status that retrying cannot fix (400, 401, 403, 404…), with the provider's message.
    Rejected { status: u16, message: String },
    /// Retries or the time budget ran out; the last problem.
    GaveUp { attempts: u32, last: String },
    /// A 200 whose body is not what the API returns (or holds no refinement).
    Malformed(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Rejected { status, message } => write!(f, "the provider refused the request (HTTP {status}): {message}"),
            CallError::GaveUp { attempts, last } => write!(f, "no answer after {attempts} attempt(s): {last}"),
            CallError::Malformed(message) => write!(f, "the provider's answer is malformed: {message}"),
        }
    }
}

/// The request body for `settings`' API: the system and user messages and the schema.
pub fn request_body(settings: &LlmSettings, system: &str, user: &str, schema: &Value) -> Value {
    match settings.provider {
        ProviderKind::Openai => json!({
            "model": settings.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "refinement", "schema": schema},
            },
        }),
        ProviderKind::Anthropic => json!({
            "model": settings.model,
            "max_tokens": 8192,
            "temperature": 0,
            "system": system,
            "messages": [{"role": "user", "content": user}],
            "tools": [{
                "name": "refinement",
                "description": "Record the proposed refinement of the schema.",
                "input_schema": schema,
            }],
            "tool_choice": {"type": "tool", "name": "refinement"},
        }),
    }
}

/// Sends `body` and returns the refinement, retrying what can be retried.
pub fn call(settings: &LlmSettings, body: &Value) -> Result<Answer, CallError> {
    let started = Instant::now();
    let client = reqwest::blocking::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("backbone/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| CallError::GaveUp { attempts: 0, last: error.to_string() })?;
    let url = endpoint(settings);
    let mut attempts = 0;
    let mut delay = Duration::from_millis(500);
    loop {
        attempts += 1;
        let remaining = settings.budget.saturating_sub(started.elapsed());
        let last = match send(&client, settings, &url, body, remaining) {
            Ok(response) => {
                return parse_answer(settings.provider, &response).map(|(refinement, input_tokens, output_tokens)| Answer {
                    refinement,
                    input_tokens,
                    output_tokens,
                    attempts,
                });
            }
            Err(Attempt::Fatal(error)) => return Err(error),
            Err(Attempt::Retry { message, retry_after }) => {
                if let Some(wait) = retry_after {
                    delay = delay.max(wait);
                }
                message
            }
        };
        let out_of_budget = started.elapsed() + delay >= settings.budget;
        if attempts >= settings.max_attempts || out_of_budget {
            return Err(CallError::GaveUp { attempts, last });
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

fn endpoint(settings: &LlmSettings) -> String {
    let base = settings.base_url.trim_end_matches('/');
    match settings.provider {
        ProviderKind::Openai => format!("{base}/chat/completions"),
        ProviderKind::Anthropic => format!("{base}/v1/messages"),
    }
}

enum Attempt {
    Fatal(CallError),
    Retry { message: String, retry_after: Option<Duration> },
}

fn send(client: &reqwest::blocking::Client, settings: &LlmSettings, url: &str, body: &Value, remaining: Duration) -> Result<Value, Attempt> {
    let mut request = client.post(url).json(body).timeout(settings.timeout.min(remaining.max(Duration::from_millis(1))));
    request = match settings.provider {
        ProviderKind::Openai if !settings.api_key.is_empty() => request.bearer_auth(&settings.api_key),
        ProviderKind::Openai => request,
        ProviderKind::Anthropic => request.header("x-api-key", &settings.api_key).header("anthropic-version", "2023-06-01"),
    };
    let response = request.send().map_err(|error| Attempt::Retry { message: transport(&error), retry_after: None })?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().map_err(|error| Attempt::Retry { message: transport(&error), retry_after: None })?;
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|error| Attempt::Fatal(CallError::Malformed(format!("the body is not JSON ({error})"))));
    }
    let message = provider_message(&text);
    if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
        Err(Attempt::Retry { message: format!("HTTP {}: {message}", status.as_u16()), retry_after })
    } else {
        Err(Attempt::Fatal(CallError::Rejected { status: status.as_u16(), message }))
    }
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() { "the request timed out".to_owned() } else { format!("the connection failed ({error})") }
}

/// The provider's error message (both APIs use `{"error": {"message": …}}`), short.
fn provider_message(body: &str) -> String {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| value.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect());
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The refinement and the token counts of a successful response.
fn parse_answer(provider: ProviderKind, response: &Value) -> Result<(Value, u64, u64), CallError> {
    let tokens = |pointer: &str| response.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    match provider {
        ProviderKind::Openai => {
            let content = response
                .pointer("/choices/0/message/content")
                .and_then(Value::as_str)
                .ok_or_else(|| CallError::Malformed("no choices[0].message.content".to_owned()))?;
            let refinement =
                serde_json::from_str(strip_fence(content)).map_err(|error| CallError::Malformed(format!("the message content is not JSON ({error})")))?;
            Ok((refinement, tokens("/usage/prompt_tokens"), tokens("/usage/completion_tokens")))
        }
        ProviderKind::Anthropic => {
            let input = response
                .get("content")
                .and_then(Value::as_array)
                .and_then(|blocks| blocks.iter().find(|block| block.get("type").and_then(Value::as_str) == Some("tool_use")))
                .and_then(|block| block.get("input"))
                .ok_or_else(|| CallError::Malformed("no tool_use block with an input".to_owned()))?;
            Ok((input.clone(), tokens("/usage/input_tokens"), tokens("/usage/output_tokens")))
        }
    }
}

/// Local servers without structured output sometimes wrap JSON in a Markdown fence.
fn strip_fence(content: &str) -> &str {
    let trimmed = content.trim();
    trimmed.strip_prefix("```json").or_else(|| trimmed.strip_prefix("```")).and_then(|rest| rest.strip_suffix("```")).map_or(trimmed, str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_json_is_unwrapped() {
        assert_eq!(strip_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fence(" {\"a\":1} "), "{\"a\":1}");
    }

    #[test]
    fn provider_errors_are_short_and_on_one_line() {
        assert_eq!(provider_message(r#"{"error": {"message": "bad\nkey"}}"#), "bad key");
        assert_eq!(provider_message("plain text"), "plain text");
    }
}
