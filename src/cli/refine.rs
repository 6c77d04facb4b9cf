//! `generate --refine` and `--refinements FILE`: settings, the on-disk answer cache, the
//! provider call with a spinner, and the report of what was accepted, rejected and
//! advised. The refinement pass itself is `crate::refine` (`refine::ask`, `refine::settle`).
//!
//! Invariant: without `--refine`, nothing here opens a connection (`--refinements`
//! replays a saved refinement offline).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::printer::Progress;
use super::{ExitStatus, Printer};
use crate::ir::Schema;
use crate::refine::provider::{LlmSettings, ProviderKind};
use crate::refine::{self, AnswerCache, LlmOptions, Refinement, Review};

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
    #[command(flatten)]
    pub llm: LlmArgs,
    /// Where answers are cached (default: $XDG_CACHE_HOME/backbone/refine or ~/.cache/backbone/refine).
    #[arg(long, env = "BACKBONE_LLM_CACHE", value_name = "DIR", help_heading = "Refinement")]
    pub llm_cache: Option<PathBuf>,
    /// Neither read nor write the answer cache.
    #[arg(long, help_heading = "Refinement")]
    pub no_llm_cache: bool,
}

/// The provider flags (and `BACKBONE_LLM_*` variables), shared by `generate --refine`
/// and `serve`; unset ones keep what lies beneath (serve's `[llm]` table, the defaults).
#[derive(Debug, Clone, Default, Args)]
#[expect(clippy::struct_field_names, reason = "the fields are the --llm-* flags, named after them")]
pub struct LlmArgs {
    /// The API style: `openai` (any OpenAI-compatible server) or `anthropic`.
    #[arg(long, env = "BACKBONE_LLM_PROVIDER", value_enum, help_heading = "Refinement")]
    pub llm_provider: Option<ProviderKind>,
    /// The API's base URL, e.g. http://127.0.0.1:11434/v1 for Ollama [default: the provider's].
    #[arg(long, env = "BACKBONE_LLM_BASE_URL", value_name = "URL", help_heading = "Refinement")]
    pub llm_base_url: Option<String>,
    /// The model name.
    #[arg(long, env = "BACKBONE_LLM_MODEL", value_name = "NAME", help_heading = "Refinement")]
    pub llm_model: Option<String>,
    /// The API key (needed by the hosted APIs; local servers may take none).
    #[arg(long, env = "BACKBONE_LLM_API_KEY", value_name = "KEY", hide_env_values = true, help_heading = "Refinement")]
    pub llm_api_key: Option<String>,
    /// Seconds one attempt may take (serve: at most its request timeout) [default: 120].
    #[arg(long, env = "BACKBONE_LLM_TIMEOUT", value_name = "SECONDS", help_heading = "Refinement")]
    pub llm_timeout: Option<u64>,
    /// Seconds all attempts and waits between them may take together (serve: at most its
    /// request timeout) [default: 300].
    #[arg(long, env = "BACKBONE_LLM_BUDGET", value_name = "SECONDS", help_heading = "Refinement")]
    pub llm_budget: Option<u64>,
    /// Attempts, counting the first (429, 5xx and timeouts are retried with backoff) [default: 4].
    #[arg(long, env = "BACKBONE_LLM_ATTEMPTS", value_name = "N", help_heading = "Refinement")]
    pub llm_attempts: Option<u32>,
    /// USD per million input and output tokens, `INPUT,OUTPUT`, for the cost estimate.
    #[arg(long, env = "BACKBONE_LLM_PRICE", value_name = "IN,OUT", help_heading = "Refinement")]
    pub llm_price: Option<String>,
}

impl LlmArgs {
    /// Sets in `options` what the flags and variables give.
    pub fn overlay(&self, options: &mut LlmOptions) {
        if self.llm_provider.is_some() {
            options.provider = self.llm_provider;
        }
        for (given, field) in [
            (&self.llm_base_url, &mut options.base_url),
            (&self.llm_model, &mut options.model),
            (&self.llm_api_key, &mut options.api_key),
            (&self.llm_price, &mut options.price),
        ] {
            if given.is_some() {
                field.clone_from(given);
            }
        }
        options.timeout_secs = self.llm_timeout.unwrap_or(options.timeout_secs);
        options.budget_secs = self.llm_budget.unwrap_or(options.budget_secs);
        options.attempts = self.llm_attempts.unwrap_or(options.attempts);
    }
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
        let settings = refine::settings(&options(args), "--refine").map_err(|message| fail(printer, &message, ExitStatus::Error))?;
        ask(args, &settings, schema, printer, progress)?
    };
    let refined = refine::settle(schema, &proposal).map_err(|message| fail(printer, &message, ExitStatus::Error))?;
    printer.err(&report(&refined.review));
    Ok(Refined { schema: refined.schema, saved: refined.saved })
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

/// The LLM options as the flags and variables give them, over the defaults.
fn options(args: &RefineArgs) -> LlmOptions {
    let mut options = LlmOptions::default();
    args.llm.overlay(&mut options);
    options
}

/// The on-disk answer cache: one `KEY.json` per request in a directory.
struct DirCache {
    dir: Option<PathBuf>,
}

impl AnswerCache for DirCache {
    fn load(&mut self, key: &str) -> Option<Value> {
        let dir = self.dir.as_ref()?;
        std::fs::read_to_string(dir.join(format!("{key}.json"))).ok().and_then(|text| serde_json::from_str::<Value>(&text).ok())
    }

    fn store(&mut self, key: &str, entry: &Value) -> Result<(), String> {
        match &self.dir {
            Some(dir) => store(dir, key, entry).map_err(|error| error.to_string()),
            None => Ok(()),
        }
    }
}

/// Asks the provider (or the cache) and parses the answer.
fn ask(args: &RefineArgs, settings: &LlmSettings, schema: &Schema, printer: &mut Printer, progress: &Progress) -> Result<Refinement, ExitStatus> {
    let mut cache = DirCache { dir: if args.no_llm_cache { None } else { cache_dir(args) } };
    let dir = cache.dir.clone();
    let mut lines = Vec::new();
    let mut observe = |event: refine::Event<'_>| match event {
        refine::Event::Cached { key } => lines.push(format!("refine: using the cached answer of {} ({})\n", settings.model, short(key))),
        refine::Event::Asking => progress.step(&format!("asking {} at {}", settings.model, settings.base_url)),
        refine::Event::Returned => progress.step(""),
        refine::Event::Answered(answer) => lines.push(format!(
            "refine: {} answered in {} attempt{}: {}\n",
            settings.model,
            answer.attempts,
            if answer.attempts == 1 { "" } else { "s" },
            refine::usage_summary(answer.input_tokens, answer.output_tokens, settings.price_per_million)
        )),
        refine::Event::NotCached(error) => lines
            .push(format!("warning: refine: cannot cache the answer in {}: {error}\n", dir.as_ref().map_or_else(String::new, |dir| dir.display().to_string()))),
    };
    let asked = refine::ask(settings, schema, &mut cache, &mut observe);
    for line in &lines {
        printer.err(line);
    }
    asked.map(|asked| asked.refinement).map_err(|error| fail(printer, &format!("refine: {error}"), ExitStatus::Error))
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
