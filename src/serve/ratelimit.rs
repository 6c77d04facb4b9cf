//! Rate limits: four tiers of fixed-window counters (public, authenticated, validation,
//! generation per minute and per hour), keyed by API key, JWT subject or client address,
//! counted in memory or in Redis (shared by every replica), read from an injectable
//! [`Clock`] so tests move time instead of sleeping.
//!
//! Invariant: a request's counters are all incremented in one step (one Lua call for
//! Redis), and a store failure is never a silent pass: it is logged on the transition,
//! counted, and answered according to the fail mode.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::config::{FailMode, RateLimitConfig};

/// Where time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    pub fn new(millis: u64) -> Self {
        Self { millis: AtomicU64::new(millis) }
    }

    pub fn advance(&self, by: Duration) {
        self.millis.fetch_add(u64::try_from(by.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> u64 {
        self.millis.load(Ordering::SeqCst)
    }
}

/// One limit: so many requests per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// The metric label and the key prefix: `public`, `authenticated`, `validation`,
    /// `generation_minute`, `generation_hour`.
    pub name: &'static str,
    pub limit: u64,
    pub period_ms: u64,
}

/// What a request is doing, for choosing tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Validate,
    Generate,
    Other,
}

/// The outcome for the tightest tier a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The tier reported in the headers: the one that refused, else the one with the
    /// fewest requests left.
    pub tier: Tier,
    pub remaining: u64,
    /// Seconds until that tier's window ends (at least 1).
    pub reset_secs: u64,
}

/// One counter of one request: its key, how long it lives and its limit.
#[derive(Debug, Clone)]
struct Counter {
    key: String,
    ttl_ms: u64,
    limit: u64,
}

/// A store failure: the store could not be reached in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// In-process counters: count and expiry (ms) by key, and the minute of the last sweep.
#[derive(Debug, Default)]
struct MemoryCounters {
    counts: BTreeMap<String, (u64, u64)>,
    swept_minute: u64,
}

/// Where counters live.
#[derive(Debug)]
enum Store {
    Memory(Mutex<MemoryCounters>),
    Redis(Box<RedisStore>),
}

/// Counters in Redis: one Lua call increments every key of a request and sets each
/// key's expiry when it is created.
struct RedisStore {
    client: redis::Client,
    manager: tokio::sync::Mutex<Option<redis::aio::ConnectionManager>>,
    /// When the last attempt to connect failed (ms); no new attempt for a second.
    last_failure_ms: AtomicU64,
    timeout: Duration,
    script: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("RedisStore").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

/// Increments every key; if any count passes its limit, takes every increment back, so
/// a refused request uses up no tier's quota. ARGV holds `ttl_ms, limit` per key.
const INCREMENT_SCRIPT: &str = r"
local counts = {}
local refused = false
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[2 * i - 1]) end
  if count > tonumber(ARGV[2 * i]) then refused = true end
  counts[i] = count
end
if refused then
  for i, key in ipairs(KEYS) do redis.call('DECR', key) end
end
return counts
";

impl RedisStore {
    async fn connection(&self, now_ms: u64) -> Result<redis::aio::ConnectionManager, StoreError> {
        let mut slot = self.manager.lock().await;
        if let Some(manager) = slot.as_ref() {
            return Ok(manager.clone());
        }
        let last = self.last_failure_ms.load(Ordering::Relaxed);
        if last != 0 && now_ms.saturating_sub(last) < 1000 {
            return Err(StoreError("redis unreachable (retrying within a second)".to_owned()));
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        match tokio::time::timeout(self.timeout * 2, redis::aio::ConnectionManager::new_with_config(self.client.clone(), config)).await {
            Ok(Ok(manager)) => {
                self.last_failure_ms.store(0, Ordering::Relaxed);
                *slot = Some(manager.clone());
                Ok(manager)
            }
            Ok(Err(error)) => {
                self.last_failure_ms.store(now_ms.max(1), Ordering::Relaxed);
                Err(StoreError(format!("cannot connect to redis: {error}")))
            }
            Err(_) => {
                self.last_failure_ms.store(now_ms.max(1), Ordering::Relaxed);
                Err(StoreError("cannot connect to redis: timed out".to_owned()))
            }
        }
    }

    async fn increment(&self, keys: &[Counter], now_ms: u64) -> Result<Vec<u64>, StoreError> {
        let mut connection = self.connection(now_ms).await?;
        let mut invocation = self.script.prepare_invoke();
        for counter in keys {
            invocation.key(&counter.key).arg(counter.ttl_ms).arg(counter.limit);
        }
        match tokio::time::timeout(self.timeout, invocation.invoke_async::<Vec<u64>>(&mut connection)).await {
            Ok(Ok(counts)) => Ok(counts),
            Ok(Err(error)) => Err(StoreError(format!("redis: {error}"))),
            Err(_) => Err(StoreError("redis: timed out".to_owned())),
        }
    }

    async fn ping(&self, now_ms: u64) -> Result<(), StoreError> {
        let mut connection = self.connection(now_ms).await?;
        match tokio::time::timeout(self.timeout, redis::cmd("PING").query_async::<String>(&mut connection)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(StoreError(format!("redis: {error}"))),
            Err(_) => Err(StoreError("redis: timed out".to_owned())),
        }
    }
}

/// The limiter the middleware asks.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    store: Store,
    healthy: AtomicBool,
}

const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 3_600_000;

impl RateLimiter {
    pub fn new(config: &RateLimitConfig) -> Result<Self, String> {
        let store = if config.store == "memory" {
            Store::Memory(Mutex::new(MemoryCounters::default()))
        } else if config.store.starts_with("redis://") || config.store.starts_with("rediss://") {
            let client = redis::Client::open(config.store.as_str()).map_err(|error| format!("invalid rate-limit store URL: {error}"))?;
            Store::Redis(Box::new(RedisStore {
                client,
                manager: tokio::sync::Mutex::new(None),
                last_failure_ms: AtomicU64::new(0),
                timeout: Duration::from_millis(config.redis_timeout_ms.max(1)),
                script: redis::Script::new(INCREMENT_SCRIPT),
            }))
        } else {
            return Err(format!("unknown rate-limit store `{}`: use `memory` or a redis:// URL", config.store));
        };
        Ok(Self { config: config.clone(), store, healthy: AtomicBool::new(true) })
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    pub fn fail_mode(&self) -> FailMode {
        self.config.fail
    }

    pub fn store_kind(&self) -> &'static str {
        match self.store {
            Store::Memory(_) => "memory",
            Store::Redis(_) => "redis",
        }
    }

    /// Whether the last store call succeeded.
    pub fn store_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// The tiers a request falls under.
    pub fn tiers(&self, authenticated: bool, activity: Activity) -> Vec<Tier> {
        let config = &self.config;
        let mut tiers = vec![if authenticated {
            Tier { name: "authenticated", limit: config.authenticated_per_minute, period_ms: MINUTE_MS }
        } else {
            Tier { name: "public", limit: config.public_per_minute, period_ms: MINUTE_MS }
        }];
        match activity {
            Activity::Validate => tiers.push(Tier { name: "validation", limit: config.validation_per_minute, period_ms: MINUTE_MS }),
            Activity::Generate => {
                tiers.push(Tier { name: "generation_minute", limit: config.generation_per_minute, period_ms: MINUTE_MS });
                tiers.push(Tier { name: "generation_hour", limit: config.generation_per_hour, period_ms: HOUR_MS });
            }
            Activity::Other => {}
        }
        tiers
    }

    /// Counts one request of `identity` under `tiers` at `now_ms`. A store failure is
    /// returned for the caller to log and to answer by the fail mode.
    pub async fn check(&self, identity: &str, tiers: &[Tier], now_ms: u64) -> Result<Decision, StoreError> {
        let keys: Vec<Counter> = tiers
            .iter()
            .map(|tier| {
                let window = now_ms / tier.period_ms;
                Counter { key: format!("{}{}:{identity}:{window}", self.config.redis_prefix, tier.name), ttl_ms: tier.period_ms, limit: tier.limit }
            })
            .collect();
        let counts = match &self.store {
            Store::Memory(counters) => Ok(Self::increment_memory(counters, &keys, now_ms)),
            Store::Redis(redis) => redis.increment(&keys, now_ms).await,
        };
        let counts = match counts {
            Ok(counts) if counts.len() == tiers.len() => counts,
            Ok(_) => Err(StoreError("redis returned an unexpected reply".to_owned()))?,
            Err(error) => {
                if self.healthy.swap(false, Ordering::Relaxed) {
                    tracing::error!(store = self.store_kind(), error = %error.0, fail_mode = ?self.config.fail, "rate-limit store unreachable; serving {}", match self.config.fail { FailMode::Open => "without limits (fail-open)", FailMode::Closed => "503 on limited routes (fail-closed)" });
                }
                return Err(error);
            }
        };
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::warn!(store = self.store_kind(), "rate-limit store reachable again; limits enforced");
        }
        Ok(Self::decide(tiers, &counts, now_ms))
    }

    fn decide(tiers: &[Tier], counts: &[u64], now_ms: u64) -> Decision {
        let mut chosen: Option<Decision> = None;
        for (tier, count) in tiers.iter().zip(counts) {
            let reset_ms = (now_ms / tier.period_ms + 1) * tier.period_ms - now_ms;
            let decision = Decision {
                allowed: *count <= tier.limit,
                tier: *tier,
                remaining: tier.limit.saturating_sub(*count),
                reset_secs: reset_ms.div_ceil(1000).max(1),
            };
            chosen = Some(match chosen {
                None => decision,
                // A refusal wins; between refusals the longest wait; otherwise the
                // fewest requests left.
                Some(current) => match (current.allowed, decision.allowed) {
                    (true, false) => decision,
                    (false, false) if decision.reset_secs > current.reset_secs => decision,
                    (true, true) if decision.remaining < current.remaining => decision,
                    _ => current,
                },
            });
        }
        chosen.unwrap_or(Decision { allowed: true, tier: Tier { name: "none", limit: 0, period_ms: MINUTE_MS }, remaining: 0, reset_secs: 1 })
    }

    fn increment_memory(counters: &Mutex<MemoryCounters>, keys: &[Counter], now_ms: u64) -> Vec<u64> {
        let mut counters = counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Once a minute, windows that ended are dropped, so memory is bounded by the
        // clients seen in the last hour and a request never pays for more than one sweep.
        if now_ms / MINUTE_MS > counters.swept_minute {
            counters.swept_minute = now_ms / MINUTE_MS;
            counters.counts.retain(|_, (_, expires_ms)| *expires_ms > now_ms);
        }
        let counts: Vec<u64> = keys
            .iter()
            .map(|counter| {
                let window_end = (now_ms / counter.ttl_ms + 1) * counter.ttl_ms;
                let entry = counters.counts.entry(counter.key.clone()).or_insert((0, window_end));
                entry.0 += 1;
                entry.0
            })
            .collect();
        // As in the Redis script: a refused request takes its increments back.
        if keys.iter().zip(&counts).any(|(counter, count)| *count > counter.limit) {
            for counter in keys {
                if let Some((count, _)) = counters.counts.get_mut(&counter.key) {
                    *count = count.saturating_sub(1);
                }
            }
        }
        counts
    }

    /// Pings the store: its latency, or why it is down.
    pub async fn probe(&self, now_ms: u64) -> Result<(), StoreError> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::Redis(redis) => {
                let result = redis.ping(now_ms).await;
                self.healthy.store(result.is_ok(), Ordering::Relaxed);
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sweeping_keeps_live_windows_and_refusals_cost_nothing() {
        let config = RateLimitConfig { generation_per_minute: 100, generation_per_hour: 3, ..RateLimitConfig::default() };
        let limiter = RateLimiter::new(&config).unwrap();
        let tiers = limiter.tiers(true, Activity::Generate);
        let start = 1_893_456_000_000;
        for minute in 0..3 {
            // Each new minute sweeps ended windows; the hour's counter must survive.
            let decision = limiter.check("key:a", &tiers, start + minute * MINUTE_MS).await.unwrap();
            assert!(decision.allowed, "minute {minute}");
        }
        let refused = limiter.check("key:a", &tiers, start + 3 * MINUTE_MS).await.unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.tier.name, "generation_hour");
        assert_eq!(refused.reset_secs, 3600 - 180);
        // The refusal took its increments back: the authenticated tier still has 99 left
        // of this minute's 100.
        let other = limiter.check("key:a", &limiter.tiers(true, Activity::Other), start + 3 * MINUTE_MS).await.unwrap();
        assert_eq!(other.remaining, 99);
        // The next hour starts afresh.
        assert!(limiter.check("key:a", &tiers, start + HOUR_MS).await.unwrap().allowed);
    }
}
