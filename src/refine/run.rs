//! The refine pass for one schema: settings from options ([`settings`]), then prompt →
//! answer cache or [`provider::call`] → [`parse`](super::parse) ([`ask`], behind
//! [`Propose`]) → [`review`](super::review) → [`apply`](super::apply) ([`settle`]).
//! [`crate::generate()`] runs it between compiling and checking again, for `generate
//! --refine` and `backbone serve` alike.
//!
//! Invariant: no file I/O and no printing here. The cache is an [`AnswerCache`] the
//! caller supplies (the CLI's is a directory, the daemon keeps none), and what happens
//! along the way is told to an observer ([`Event`]), which the CLI turns into its lines
//! on standard error.

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::provider::{self, Answer, CallError, LlmSettings, ProviderKind};
use super::{Refinement, Review};
use crate::ir::Schema;

/// The LLM settings as given (flags, variables, the `[llm]` table of serve's
/// configuration file), before checking; unset fields take the defaults below.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmOptions {
    /// `openai` (any OpenAI-compatible server) or `anthropic`.
    pub provider: Option<ProviderKind>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// Seconds per attempt.
    pub timeout_secs: u64,
    /// Seconds for all attempts and waits together.
    pub budget_secs: u64,
    pub attempts: u32,
    /// `INPUT,OUTPUT` USD per million tokens.
    pub price: Option<String>,
}

impl Default for LlmOptions {
    fn default() -> Self {
        Self { provider: None, base_url: None, model: None, api_key: None, timeout_secs: 120, budget_secs: 300, attempts: 4, price: None }
    }
}

/// The checked provider settings, or a sentence naming the missing or wrong one;
/// `who` names what needs them (`--refine`).
pub fn settings(options: &LlmOptions, who: &str) -> Result<LlmSettings, String> {
    let missing = |what: &str, env: &str, flag: &str| format!("{who} needs {what}: set {env} or pass {flag}");
    let provider = options.provider.ok_or_else(|| missing("an LLM provider (openai or anthropic)", "BACKBONE_LLM_PROVIDER", "--llm-provider"))?;
    let model = options.model.clone().filter(|model| !model.trim().is_empty()).ok_or_else(|| missing("a model name", "BACKBONE_LLM_MODEL", "--llm-model"))?;
    let base_url = options.base_url.clone().filter(|url| !url.trim().is_empty()).unwrap_or_else(|| provider.default_base_url().to_owned());
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!("the LLM base URL `{base_url}` must start with http:// or https://"));
    }
    let api_key = options.api_key.clone().unwrap_or_default();
    // Hosted APIs always need a key; a local OpenAI-compatible server usually takes none.
    let hosted = base_url.starts_with(provider.default_base_url()) || provider == ProviderKind::Anthropic;
    if api_key.is_empty() && hosted {
        return Err(missing(&format!("an API key for {}", provider.name()), "BACKBONE_LLM_API_KEY", "--llm-api-key"));
    }
    let price_per_million = match &options.price {
        Some(text) => {
            Some(parse_price(text).ok_or_else(|| format!("BACKBONE_LLM_PRICE `{text}` is not `INPUT,OUTPUT` (USD per million tokens, e.g. 0.15,0.6)"))?)
        }
        None => super::known_price(&model),
    };
    Ok(LlmSettings {
        provider,
        base_url,
        model,
        api_key,
        timeout: Duration::from_secs(options.timeout_secs.max(1)),
        budget: Duration::from_secs(options.budget_secs.max(1)),
        max_attempts: options.attempts.max(1),
        price_per_million,
    })
}

fn parse_price(text: &str) -> Option<(f64, f64)> {
    let (input, output) = text.split_once(',')?;
    let input: f64 = input.trim().parse().ok()?;
    let output: f64 = output.trim().parse().ok()?;
    (input.is_finite() && output.is_finite() && input >= 0.0 && output >= 0.0).then_some((input, output))
}

/// Answers kept between runs, by request key ([`super::request_key`]).
pub trait AnswerCache {
    /// The entry stored under `key`, if any (`{"refinement": …, "input_tokens": …, "output_tokens": …}`).
    fn load(&mut self, key: &str) -> Option<Value>;
    /// Stores an entry; a failure is reported to the observer, never fatal.
    fn store(&mut self, key: &str, entry: &Value) -> Result<(), String>;
}

/// No cache: every run asks the provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCache;

impl AnswerCache for NoCache {
    fn load(&mut self, _key: &str) -> Option<Value> {
        None
    }

    fn store(&mut self, _key: &str, _entry: &Value) -> Result<(), String> {
        Ok(())
    }
}

/// What happens during [`ask`], in order, for progress and reports.
#[derive(Debug)]
pub enum Event<'a> {
    /// A cached answer is used (nothing is sent); `key` is the request key.
    Cached { key: &'a str },
    /// The request is about to be sent.
    Asking,
    /// The provider call returned (well or not).
    Returned,
    /// The provider answered with a refinement that parses.
    Answered(&'a Answer),
    /// The answer could not be cached.
    NotCached(&'a str),
}

/// Why a refine pass failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The provider could not be reached, refused, or answered malformed HTTP.
    Call(CallError),
    /// The answer does not follow the refinement schema; the answer, when there was one,
    /// for its token counts.
    Answer { message: String, answer: Option<Box<Answer>> },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Call(error) => error.fmt(f),
            Error::Answer { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// A proposal and where it came from.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The proposal as parsed, not yet reviewed.
    pub refinement: Refinement,
    /// The provider's answer; `None` when it came from the cache.
    pub answer: Option<Answer>,
    /// How long the provider call took (zero from the cache).
    pub elapsed: Duration,
}

/// Asks the cache, else the provider, and parses the answer; a fresh answer is cached.
pub fn ask(settings: &LlmSettings, schema: &Schema, cache: &mut dyn AnswerCache, observe: &mut dyn FnMut(Event<'_>)) -> Result<Asked, Error> {
    let (system, user) = super::prompt(schema);
    let body = provider::request_body(settings, &system, &user, &super::document::json_schema());
    let key = super::request_key(settings, &body);
    if let Some(entry) = cache.load(&key)
        && let Ok(refinement) = super::parse(&entry["refinement"])
    {
        observe(Event::Cached { key: &key });
        return Ok(Asked { refinement, answer: None, elapsed: Duration::ZERO });
    }
    observe(Event::Asking);
    let started = Instant::now();
    let answer = provider::call(settings, &body);
    let elapsed = started.elapsed();
    observe(Event::Returned);
    let answer = answer.map_err(Error::Call)?;
    let refinement = match super::parse(&answer.refinement) {
        Ok(refinement) => refinement,
        Err(message) => return Err(Error::Answer { message, answer: Some(Box::new(answer)) }),
    };
    observe(Event::Answered(&answer));
    let entry = json!({"refinement": answer.refinement, "input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens});
    if let Err(error) = cache.store(&key, &entry) {
        observe(Event::NotCached(&error));
    }
    Ok(Asked { refinement, answer: Some(answer), elapsed })
}

/// Where a refinement comes from once the document has compiled: the provider, asked
/// through the caller's cache and observer ([`ask`] with the CLI's directory cache and
/// progress lines, or the daemon's metrics). [`crate::generate()`] calls it with the
/// valid schema; any `Fn(&Schema) -> Result<Asked, Error>` is one.
pub trait Propose {
    /// Asks for a refinement of `schema` (parsed, not yet reviewed).
    fn propose(&self, schema: &Schema) -> Result<Asked, Error>;
}

impl<F: Fn(&Schema) -> Result<Asked, Error>> Propose for F {
    fn propose(&self, schema: &Schema) -> Result<Asked, Error> {
        self(schema)
    }
}

/// A reviewed refinement applied to a schema.
#[derive(Debug, Clone)]
pub struct Refined {
    pub schema: Schema,
    /// What was accepted (advice included) and what was rejected, with why.
    pub review: Review,
    /// The accepted refinement as saved (`.backbone/refinements.json`).
    pub saved: String,
}

/// Reviews `proposal` against `schema` and applies what passes.
pub fn settle(schema: &Schema, proposal: &Refinement) -> Result<Refined, String> {
    let review = super::review(schema, proposal);
    let saved = serde_json::to_string_pretty(&review.accepted).map_err(|error| error.to_string())? + "\n";
    let schema = super::apply(schema, &review.accepted);
    Ok(Refined { schema, review, saved })
}
