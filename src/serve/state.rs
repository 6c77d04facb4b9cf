//! The state every handler shares, and the pool that runs compilations off the async
//! executor with bounded concurrency and a bounded queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::Semaphore;

use super::config::Config;
use super::error::ApiError;
use super::jwt::Jwt;
use super::keys::KeyStore;
use super::metrics::Metrics;
use super::ratelimit::{Clock, RateLimiter};

/// Counts reported by `/api/v1/status`.
#[derive(Debug, Default)]
pub struct Served {
    pub requests: AtomicU64,
    pub validations: AtomicU64,
    pub generations: AtomicU64,
}

/// What the handlers and middleware share.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub started: Instant,
    pub metrics: Metrics,
    pub keys: KeyStore,
    pub jwt: Option<Jwt>,
    pub limiter: RateLimiter,
    pub pool: WorkPool,
    pub clock: Arc<dyn Clock>,
    /// Set when shutdown begins: readiness fails from then on.
    pub draining: AtomicBool,
    /// The connection cap in force (`max_connections`, lowered to fit the fd limit).
    pub connection_cap: usize,
    /// The certificate the API listener serves, when TLS is configured.
    pub tls: Option<Arc<super::tls::Tls>>,
    pub served: Served,
    /// The refine pass's provider; `None` when none is configured.
    pub llm: Option<crate::refine::provider::LlmSettings>,
}

impl AppState {
    pub fn now_secs(&self) -> u64 {
        self.clock.now_millis() / 1000
    }

    /// Whether any credential is configured (so protected routes can be opened).
    pub fn auth_enabled(&self) -> bool {
        self.keys.is_configured() || self.jwt.is_some()
    }
}

/// Runs CPU-bound jobs on blocking threads, `workers` at a time, with at most `queue`
/// more waiting; past that a job is refused at once (503) instead of piling up.
#[derive(Debug)]
pub struct WorkPool {
    semaphore: Arc<Semaphore>,
    pending: Arc<AtomicUsize>,
    capacity: usize,
    workers: usize,
}

/// Decrements the pending count however the job ends (even if the request is dropped).
struct Pending {
    pending: Arc<AtomicUsize>,
    gauge: prometheus::IntGauge,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.pending.fetch_sub(1, Ordering::SeqCst);
        self.gauge.dec();
    }
}

impl WorkPool {
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self { semaphore: Arc::new(Semaphore::new(workers)), pending: Arc::new(AtomicUsize::new(0)), capacity: workers + queue, workers }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Jobs running or waiting.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Runs `job` on a blocking thread once a worker is free.
    pub async fn run<T: Send + 'static>(&self, metrics: &Metrics, job: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        if self.pending.fetch_add(1, Ordering::SeqCst) >= self.capacity {
            self.pending.fetch_sub(1, Ordering::SeqCst);
            metrics.compile_rejections.inc();
            return Err(ApiError::Busy { retry_after_secs: 1 });
        }
        metrics.queue_depth.inc();
        let _pending = Pending { pending: Arc::clone(&self.pending), gauge: metrics.queue_depth.clone() };
        let permit = Arc::clone(&self.semaphore).acquire_owned().await.map_err(|_| ApiError::Internal("worker pool closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|error| ApiError::Internal(format!("compilation panicked: {error}")))
    }
}
