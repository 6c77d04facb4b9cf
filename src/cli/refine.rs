//! `generate --refine` and `--refinements FILE`: settings, the saved refinement read, the
//! on-disk answer cache, the provider call with a spinner ([`Live`], the [`Propose`] that
//! `crate::generate` asks), and the report of what was accepted, rejected and advised.
//! The refinement pass itself is `crate::refine`, run by `crate::generate`.
//!
//! Invariant: without `--refine`, nothing here opens a connection (`--refinements`
//! replays a saved refinement offline).

use std::cell::RefCell;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::Args;
use serde_json::Value;

use super::printer::Progress;
use crate::ir::Schema;
use crate::refine::provider::{LlmSettings, ProviderKind};
use crate::refine::{self, AnswerCache, Asked, LlmOptions, Propose, Refinement, Review};

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

/// The refinement `generate` is asked for, settled before compiling: a saved one read
/// and parsed, or the provider's settings checked, so that a mistake costs no compile.
pub(super) enum Requested {
    Nothing,
    Recorded(Refinement),
    Live(LlmSettings),
}

pub(super) fn requested(args: &RefineArgs) -> Result<Requested, String> {
    if let Some(path) = &args.refinements {
        read_saved(path).map(Requested::Recorded)
    } else if args.refine {
        refine::settings(&options(args), "--refine").map(Requested::Live)
    } else {
        Ok(Requested::Nothing)
    }
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

/// The provider behind the on-disk answer cache, for [`crate::generate()`]: what happens
/// is shown on the progress display and kept as lines for standard error, printed once
/// generation returns.
pub(super) struct Live<'a> {
    settings: &'a LlmSettings,
    cache: RefCell<DirCache>,
    lines: RefCell<Vec<String>>,
    progress: &'a OnceLock<Progress>,
}

impl<'a> Live<'a> {
    pub(super) fn new(args: &RefineArgs, settings: &'a LlmSettings, progress: &'a OnceLock<Progress>) -> Self {
        let cache = DirCache { dir: if args.no_llm_cache { None } else { cache_dir(args) } };
        Self { settings, cache: RefCell::new(cache), lines: RefCell::new(Vec::new()), progress }
    }

    /// What was said about the call (cache use, tokens, a failure to cache).
    pub(super) fn lines(&self) -> Vec<String> {
        self.lines.take()
    }
}

impl Propose for Live<'_> {
    fn propose(&self, schema: &Schema) -> Result<Asked, refine::Error> {
        let settings = self.settings;
        let mut cache = self.cache.borrow_mut();
        let dir = cache.dir.clone();
        let mut lines = self.lines.borrow_mut();
        let step = |message: &str| {
            if let Some(progress) = self.progress.get() {
                progress.step(message);
            }
        };
        let mut observe = |event: refine::Event<'_>| match event {
            refine::Event::Cached { key } => lines.push(format!("refine: using the cached answer of {} ({})\n", settings.model, short(key))),
            refine::Event::Asking => step(&format!("asking {} at {}", settings.model, settings.base_url)),
            refine::Event::Returned => step(""),
            refine::Event::Answered(answer) => lines.push(format!(
                "refine: {} answered in {} attempt{}: {}\n",
                settings.model,
                answer.attempts,
                if answer.attempts == 1 { "" } else { "s" },
                refine::usage_summary(answer.input_tokens, answer.output_tokens, settings.price_per_million)
            )),
            refine::Event::NotCached(error) => lines.push(format!(
                "warning: refine: cannot cache the answer in {}: {error}\n",
                dir.as_ref().map_or_else(String::new, |dir| dir.display().to_string())
            )),
        };
        refine::ask(settings, schema, &mut *cache, &mut observe)
    }
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
pub(super) fn report(review: &Review) -> String {
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
