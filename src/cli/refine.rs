//! `generate --refine` and `--refinements FILE`: settings, the on-disk answer cache, the
//! provider call with a spinner, and the report of what was accepted, rejected and
//! advised. The refinement logic itself is `crate::refine`.
//!
//! Invariant: without `--refine`, nothing here opens a connection (`--refinements`
//! replays a saved refinement offline).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use super::printer::Progress;
use super::{ExitStatus, Printer};
use crate::ir::Schema;
use crate::refine::provider::{self, LlmSettings, ProviderKind};
use crate::refine::{self, Refinement, Review};

#[derive(Debug, Clone, Args)]
pub struct RefineArgs {
    /// Ask an LLM to refine the model before generating: descriptions, value constraints,
    /// examples, indexes and advice. The answer is checked item by item; only what passes
    /// is applied, and it is saved to OUT/.backbone/refinements.json.
    #[arg(long, conflicts_with = "refinements", help_heading = "Refinement")]
    pub refine: bool,
    /// Apply a saved refinement (such as OUT/.backbone/refinements.json) with no network.
    #[arg(long, value_name = "FILE", help_heading = "Refinement")]
    pub refinements: Option<PathBuf>,
    /// The API style: `openai` (any OpenAI-compatible server) or `anthropic`.
    #[arg(long, env = "BACKBONE_LLM_PROVIDER", value_enum, help_heading = "Refinement")]
    pub llm_provider: Option<ProviderKind>,
    /// The API's base URL, e.g. http://127.0.0.1:11434/v1 for Ollama (default: the provider's).
    #[arg(long, env = "BACKBONE_LLM_BASE_URL", value_name = "URL", help_heading = "Refinement")]
    pub llm_base_url: Option<String>,
    /// The model name.
    #[arg(long, env = "BACKBONE_LLM_MODEL", value_name = "NAME", help_heading = "Refinement")]
    pub llm_model: Option<String>,
    /// The API key (needed by the hosted APIs; local servers may take none).
    #[arg(long, env = "BACKBONE_LLM_API_KEY", value_name = "KEY", hide_env_values = true, help_heading = "Refinement")]
    pub llm_api_key: Option<String>,
    /// Seconds one attempt may take.
    #[arg(long, env = "BACKBONE_LLM_TIMEOUT", value_name = "SECONDS", default_value_t = 120, help_heading = "Refinement")]
    pub llm_timeout: u64,
    /// Seconds all attempts and waits between them may take together.
    #[arg(long, env = "BACKBONE_LLM_BUDGET", value_name = "SECONDS", default_value_t = 300, help_heading = "Refinement")]
    pub llm_budget: u64,
    /// Attempts, counting the first (429, 5xx and timeouts are retried with backoff).
    #[arg(long, env = "BACKBONE_LLM_ATTEMPTS", value_name = "N", default_value_t = 4, help_heading = "Refinement")]
    pub llm_attempts: u32,
    /// USD per million input and output tokens, `INPUT,OUTPUT`, for the cost estimate.
    #[arg(long, env = "BACKBONE_LLM_PRICE", value_name = "IN,OUT", help_heading = "Refinement")]
    pub llm_price: Option<String>,
    /// Where answers are cached (default: $XDG_CACHE_HOME/backbone/refine or ~/.cache/backbone/refine).
    #[arg(long, env = "BACKBONE_LLM_CACHE", value_name = "DIR", help_heading = "Refinement")]
    pub llm_cache: Option<PathBuf>,
    /// Neither read nor write the answer cache.
    #[arg(long, help_heading = "Refinement")]
    pub no_llm_cache: bool,
}

impl RefineArgs {
    pub fn requested(&self) -> bool {
        self.refine || self.refinements.is_some()
    }
}

/// A refined schema and the accepted refinement to save with the output.
pub(super) struct Refined {
    pub schema: Schema,
    /// The accepted refinement as saved (`.backbone/refinements.json`).
    pub saved: String,
}

/// Refines `schema` as the arguments ask; reports on standard error.
pub(super) fn run(args: &RefineArgs, schema: &Schema, printer: &mut Printer, progress: &Progress) -> Result<Refined, ExitStatus> {
    let proposal = if let Some(path) = &args.refinements {
        read_saved(path).map_err(|message| fail(printer, &message, ExitStatus::Error))?
    } else {
        let settings = settings(args).map_err(|message| fail(printer, &message, ExitStatus::Error))?;
        ask(args, &settings, schema, printer, progress)?
    };
    let review = refine::review(schema, &proposal);
    printer.err(&report(&review));
    let saved = serde_json::to_string_pretty(&review.accepted).map_err(|error| fail(printer, &error.to_string(), ExitStatus::Error))? + "\n";
    Ok(Refined { schema: refine::apply(schema, &review.accepted), saved })
}

fn fail(printer: &mut Printer, message: &str, status: ExitStatus) -> ExitStatus {
    printer.err(&format!("error: {message}\n"));
    status
}

fn read_saved(path: &Path) -> Result<Refinement, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read the refinement `{}`: {error}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|error| format!("`{}` is not JSON: {error}", path.display()))?;
    refine::parse(&value).map_err(|message| format!("`{}`: {message}", path.display()))
}

/// The provider settings, or a sentence naming the missing one.
fn settings(args: &RefineArgs) -> Result<LlmSettings, String> {
    let missing = |what: &str, env: &str, flag: &str| format!("--refine needs {what}: set {env} or pass {flag}");
    let provider = args.llm_provider.ok_or_else(|| missing("an LLM provider (openai or anthropic)", "BACKBONE_LLM_PROVIDER", "--llm-provider"))?;
    let model = args.llm_model.clone().filter(|model| !model.trim().is_empty()).ok_or_else(|| missing("a model name", "BACKBONE_LLM_MODEL", "--llm-model"))?;
    let base_url = args.llm_base_url.clone().filter(|url| !url.trim().is_empty()).unwrap_or_else(|| provider.default_base_url().to_owned());
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!("the LLM base URL `{base_url}` must start with http:// or https://"));
    }
    let api_key = args.llm_api_key.clone().unwrap_or_default();
    // Hosted APIs always need a key; a local OpenAI-compatible server usually takes none.
    let hosted = base_url.starts_with(provider.default_base_url()) || provider == ProviderKind::Anthropic;
    if api_key.is_empty() && hosted {
        return Err(missing(&format!("an API key for {}", provider.name()), "BACKBONE_LLM_API_KEY", "--llm-api-key"));
    }
    let price_per_million = match &args.llm_price {
        Some(text) => {
            Some(parse_price(text).ok_or_else(|| format!("BACKBONE_LLM_PRICE `{text}` is not `INPUT,OUTPUT` (USD per million tokens, e.g. 0.15,0.6)"))?)
        }
        None => refine::known_price(&model),
    };
    Ok(LlmSettings {
        provider,
        base_url,
        model,
        api_key,
        timeout: Duration::from_secs(args.llm_timeout.max(1)),
        budget: Duration::from_secs(args.llm_budget.max(1)),
        max_attempts: args.llm_attempts.max(1),
        price_per_million,
    })
}

fn parse_price(text: &str) -> Option<(f64, f64)> {
    let (input, output) = text.split_once(',')?;
    let input: f64 = input.trim().parse().ok()?;
    let output: f64 = output.trim().parse().ok()?;
    (input.is_finite() && output.is_finite() && input >= 0.0 && output >= 0.0).then_some((input, output))
}

/// Asks the provider (or the cache) and parses the answer.
fn ask(args: &RefineArgs, settings: &LlmSettings, schema: &Schema, printer: &mut Printer, progress: &Progress) -> Result<Refinement, ExitStatus> {
    let (system, user) = refine::prompt(schema);
    let body = provider::request_body(settings, &system, &user, &refine::document::json_schema());
    let key = refine::request_key(settings, &body);
    let cache = if args.no_llm_cache { None } else { cache_dir(args) };
    let cached =
        cache.as_ref().and_then(|dir| std::fs::read_to_string(dir.join(format!("{key}.json"))).ok()).and_then(|text| serde_json::from_str::<Value>(&text).ok());
    if let Some(entry) = cached
        && let Ok(refinement) = refine::parse(&entry["refinement"])
    {
        printer.err(&format!("refine: using the cached answer of {} ({})\n", settings.model, short(&key)));
        return Ok(refinement);
    }
    progress.step(&format!("asking {} at {}", settings.model, settings.base_url));
    let answer = provider::call(settings, &body);
    progress.step("");
    let answer = answer.map_err(|error| fail(printer, &format!("refine: {error}"), ExitStatus::Error))?;
    let refinement = refine::parse(&answer.refinement).map_err(|message| fail(printer, &format!("refine: {message}"), ExitStatus::Error))?;
    printer.err(&format!(
        "refine: {} answered in {} attempt{}: {}\n",
        settings.model,
        answer.attempts,
        if answer.attempts == 1 { "" } else { "s" },
        refine::usage_summary(answer.input_tokens, answer.output_tokens, settings.price_per_million)
    ));
    if let Some(dir) = cache {
        let entry = json!({"refinement": answer.refinement, "input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens});
        if let Err(error) = store(&dir, &key, &entry) {
            printer.err(&format!("warning: refine: cannot cache the answer in {}: {error}\n", dir.display()));
        }
    }
    Ok(refinement)
}

fn short(key: &str) -> &str {
    key.get(..12).unwrap_or(key)
}

fn cache_dir(args: &RefineArgs) -> Option<PathBuf> {
    if let Some(dir) = &args.llm_cache {
        return Some(dir.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|value| !value.is_empty()).map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("backbone").join("refine"))
}

/// Writes one cache entry atomically (a temporary file renamed into place).
fn store(dir: &Path, key: &str, entry: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
    std::fs::write(&temp, format!("{entry:#}\n"))?;
    std::fs::rename(&temp, dir.join(format!("{key}.json")))
}

/// What was applied, rejected and advised, for standard error.
fn report(review: &Review) -> String {
    let mut text = String::new();
    for rejection in &review.rejected {
        let _ = writeln!(text, "warning: refine: rejected {rejection}");
    }
    for advice in &review.accepted.advice {
        let subject = match (&advice.table, &advice.column) {
            (Some(table), Some(column)) => format!(" ({table}.{column})"),
            (Some(table), None) => format!(" ({table})"),
            _ => String::new(),
        };
        let _ = writeln!(text, "note: refine: advice{subject}: {}", advice.message);
    }
    let tables = review.accepted.tables.len();
    let columns: usize = review.accepted.tables.iter().map(|table| table.columns.len()).sum();
    let indexes: usize = review.accepted.tables.iter().map(|table| table.indexes.len()).sum();
    let _ = writeln!(
        text,
        "refine: applied to {tables} table{}, {columns} column{}, {indexes} new index{}; {} item{} rejected",
        plural(tables),
        plural(columns),
        if indexes == 1 { "" } else { "es" },
        review.rejected.len(),
        plural(review.rejected.len())
    );
    text
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
