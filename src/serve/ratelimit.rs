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
///
/// The connection is the daemon's own: when a call fails for any reason the connection
/// is dropped, and the next attempt to connect waits out a backoff (0.5 s, doubling to
/// 4 s) during which every call fails at once, so requests follow the fail mode without
/// waiting and a lost Redis sees a handful of connects, not one per request.
struct RedisStore {
    client: redis::Client,
    connection: std::sync::RwLock<Option<redis::aio::MultiplexedConnection>>,
    /// Set while one task connects; the others fail at once meanwhile.
    connecting: AtomicBool,
    backoff: Mutex<Backoff>,
    timeout: Duration,
    script: redis::Script,
}

/// When the next connect may be tried, and the wait after it fails.
#[derive(Debug, Default)]
struct Backoff {
    next_attempt: Option<std::time::Instant>,
    delay: Duration,
}

const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(4);

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
    fn backoff(&self) -> std::sync::MutexGuard<'_, Backoff> {
        self.backoff.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connection, connecting first when there is none and the backoff allows.
    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, StoreError> {
        if let Some(connection) = self.connection.read().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref() {
            return Ok(connection.clone());
        }
        if self.backoff().next_attempt.is_some_and(|at| std::time::Instant::now() < at) {
            return Err(StoreError("redis unreachable (waiting to reconnect)".to_owned()));
        }
        if self.connecting.swap(true, Ordering::SeqCst) {
            return Err(StoreError("redis unreachable (reconnecting)".to_owned()));
        }
        let config = redis::AsyncConnectionConfig::new().set_connection_timeout(Some(self.timeout)).set_response_timeout(Some(self.timeout));
        let attempt = tokio::time::timeout(self.timeout * 2, self.client.get_multiplexed_async_connection_with_config(&config)).await;
        let outcome = match attempt {
            Ok(Ok(connection)) => {
                *self.backoff() = Backoff::default();
                *self.connection.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(connection.clone());
                Ok(connection)
            }
            Ok(Err(error)) => Err(self.failed(format!("cannot connect to redis: {error}"))),
            Err(_) => Err(self.failed("cannot connect to redis: timed out".to_owned())),
        };
        self.connecting.store(false, Ordering::SeqCst);
        outcome
    }

    /// Drops the connection and pushes the next connect attempt back.
    fn failed(&self, message: String) -> StoreError {
        *self.connection.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        let mut backoff = self.backoff();
        backoff.delay = if backoff.delay.is_zero() { BACKOFF_FIRST } else { (backoff.delay * 2).min(BACKOFF_MAX) };
        backoff.next_attempt = Some(std::time::Instant::now() + backoff.delay);
        StoreError(message)
    }

    /// Runs one call on the connection within the timeout; any failure drops it.
    async fn call<T, F>(&self, call: impl FnOnce(redis::aio::MultiplexedConnection) -> F) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, call(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.failed(format!("redis: {error}"))),
            Err(_) => Err(self.failed("redis: timed out".to_owned())),
        }
    }

    async fn increment(&self, keys: &[Counter]) -> Result<Vec<u64>, StoreError> {
        let mut invocation = self.script.prepare_invoke();
        for counter in keys {
            invocation.key(&counter.key).arg(counter.ttl_ms).arg(counter.limit);
        }
        self.call(|mut connection| async move { invocation.invoke_async::<Vec<u64>>(&mut connection).await }).await
    }

    async fn get(&self, key: &str) -> Result<u64, StoreError> {
        let key = key.to_owned();
        self.call(|mut connection| async move { redis::cmd("GET").arg(&key).query_async::<Option<u64>>(&mut connection).await })
            .await
            .map(Option::unwrap_or_default)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.call(|mut connection| async move { redis::cmd("PING").query_async::<String>(&mut connection).await }).await.map(drop)
    }
}

/// The limiter the middleware asks.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    store: Store,
    healthy: AtomicBool,
    /// The last readiness probe: when, and whether the store answered.
    probed: tokio::sync::Mutex<Option<(std::time::Instant, bool)>>,
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
                connection: std::sync::RwLock::new(None),
                connecting: AtomicBool::new(false),
                backoff: Mutex::new(Backoff::default()),
                timeout: Duration::from_millis(config.redis_timeout_ms.max(1)),
                script: redis::Script::new(INCREMENT_SCRIPT),
            }))
        } else {
            return Err(format!("unknown rate-limit store `{}`: use `memory` or a redis:// URL", config.store));
        };
        Ok(Self { config: config.clone(), store, healthy: AtomicBool::new(true), probed: tokio::sync::Mutex::new(None) })
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
        let keys: Vec<Counter> =
            tiers.iter().map(|tier| Counter { key: self.counter_key(tier, identity, now_ms), ttl_ms: tier.period_ms, limit: tier.limit }).collect();
        let counts = match &self.store {
            Store::Memory(counters) => Ok(Self::increment_memory(counters, &keys, now_ms)),
            Store::Redis(redis) => redis.increment(&keys).await,
        };
        let counts = match counts {
            Ok(counts) if counts.len() == tiers.len() => counts,
            Ok(_) => Err(StoreError("redis returned an unexpected reply".to_owned()))?,
            Err(error) => {
                self.note_health(Some(&error));
                return Err(error);
            }
        };
        self.note_health(None);
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

    /// Pings the store (Redis: one PING, or at once an error while reconnecting is
    /// backed off) and records whether it is healthy.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let result = match &self.store {
            Store::Memory(_) => Ok(()),
            Store::Redis(redis) => redis.ping().await,
        };
        self.note_health(result.as_ref().err());
        result
    }

    /// Whether the store answered a probe within the last `max_age`, probing again when
    /// the last answer is older (concurrent callers share one probe).
    pub async fn probe_cached(&self, max_age: Duration) -> bool {
        let mut cached = self.probed.lock().await;
        if let Some((at, healthy)) = *cached
            && at.elapsed() < max_age
        {
            return healthy;
        }
        let healthy = self.probe().await.is_ok();
        *cached = Some((std::time::Instant::now(), healthy));
        healthy
    }

    /// Logs the transitions between a reachable and an unreachable store.
    fn note_health(&self, error: Option<&StoreError>) {
        match error {
            Some(error) => {
                if self.healthy.swap(false, Ordering::Relaxed) {
                    tracing::error!(store = self.store_kind(), error = %error.0, fail_mode = ?self.config.fail, "rate-limit store unreachable; serving {}", match self.config.fail { FailMode::Open => "without limits (fail-open)", FailMode::Closed => "503 on limited routes (fail-closed)" });
                }
            }
            None => {
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::warn!(store = self.store_kind(), "rate-limit store reachable again; limits enforced");
                }
            }
        }
    }

    /// The tier failed authentications of one client address count against: the public
    /// tier's limit, on counters of their own (anonymous requests do not use them up).
    pub fn auth_failure_tier(&self) -> Tier {
        Tier { name: "public", limit: self.config.public_per_minute, period_ms: MINUTE_MS }
    }

    /// Failed authentications of `ip` in the current window (0 when the store cannot say).
    pub async fn auth_failures(&self, ip: std::net::IpAddr, now_ms: u64) -> u64 {
        let tier = self.auth_failure_tier();
        let key = self.counter_key(&tier, &format!("authfail:{ip}"), now_ms);
        match &self.store {
            Store::Memory(counters) => {
                let counters = counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                counters.counts.get(&key).filter(|(_, expires_ms)| *expires_ms > now_ms).map_or(0, |(count, _)| *count)
            }
            Store::Redis(redis) => redis.get(&key).await.unwrap_or(0),
        }
    }

    /// Counts one failed authentication of `ip`; the decision says whether it is past
    /// the limit.
    pub async fn record_auth_failure(&self, ip: std::net::IpAddr, now_ms: u64) -> Result<Decision, StoreError> {
        self.check(&format!("authfail:{ip}"), &[self.auth_failure_tier()], now_ms).await
    }

    fn counter_key(&self, tier: &Tier, identity: &str, now_ms: u64) -> String {
        format!("{}{}:{identity}:{}", self.config.redis_prefix, tier.name, now_ms / tier.period_ms)
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
