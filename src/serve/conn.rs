//! The accept loop: each connection is served by hyper (HTTP/1.1, or HTTP/2 when the
//! client asks for it; over TLS when configured, see [`super::tls`]), watched by
//! a registry that enforces a header-read timeout (from the head's first byte), an idle
//! keep-alive timeout, and a cap on open connections, past which a new connection
//! closes the one idle the longest (or is refused when every one is busy).
//!
//! Invariant: a connection with a request in flight is never closed by the registry;
//! everything else it holds — a half-sent head, an idle keep-alive, a client that
//! connected and said nothing — is bounded in time and in number, so a flood of
//! half-open connections cannot take the file descriptors `/health` needs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use super::metrics::Metrics;

/// The bounds the registry enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub keep_alive_timeout: Duration,
}

/// File descriptors kept free for everything but client connections (Redis, key files,
/// the runtime's own).
const FD_RESERVE: u64 = 64;

/// The cap in force: `configured`, lowered to fit the soft open-file limit `fd_limit`
/// less a reserve (half of it when the limit is tiny).
pub fn effective_cap(configured: usize, fd_limit: Option<u64>) -> usize {
    let configured = configured.max(1);
    match fd_limit {
        Some(limit) => {
            let reserve = FD_RESERVE.min(limit / 2);
            let usable = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX).max(1);
            configured.min(usable)
        }
        None => configured,
    }
}

/// The soft open-file limit of this process, if it has one.
pub fn fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Why the registry closed a connection (the `reason` label of
/// `backbone_connections_dropped_total`).
pub const DROP_REASONS: &[&str] = &["header_timeout", "idle_timeout", "evicted", "refused"];

/// One open connection, as the registry sees it.
#[derive(Debug)]
struct Tracked {
    /// Requests in flight (from the complete head to the end of the response body).
    busy: AtomicUsize,
    /// Requests served.
    served: AtomicU64,
    /// When it last became idle (accepted, or a response ended), ms since the epoch.
    idle_since: AtomicU64,
    /// When the first byte of the next head arrived, ms since the epoch (0: none yet).
    head_started: AtomicU64,
    /// Told to close: the serving task drops the connection.
    close: Notify,
}

/// The open connections of one listener.
#[derive(Debug)]
struct Registry {
    epoch: Instant,
    limits: ConnectionLimits,
    next_id: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Tracked>>>,
    /// Notified whenever a connection leaves, so shutdown can wait for none.
    left: Notify,
    metrics: Metrics,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    fn open(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Tracked>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn dropped(&self, reason: &str) {
        self.metrics.connections_dropped.with_label_values(&[reason]).inc();
    }

    /// Registers a new connection, making room by closing the longest-idle one at the
    /// cap; `None` when every open connection is busy (the new one is refused).
    fn admit(&self) -> Option<(u64, Arc<Tracked>)> {
        let now = self.now_ms();
        let mut open = self.open();
        if open.len() >= self.limits.max_connections {
            let victim = open
                .iter()
                .filter(|(_, tracked)| tracked.busy.load(Ordering::SeqCst) == 0)
                .min_by_key(|(_, tracked)| tracked.idle_since.load(Ordering::SeqCst))
                .map(|(id, _)| *id);
            let Some(victim) = victim else {
                drop(open);
                self.dropped("refused");
                return None;
            };
            if let Some(tracked) = open.remove(&victim) {
                tracked.close.notify_one();
            }
            self.dropped("evicted");
        }
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let tracked = Arc::new(Tracked {
            busy: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            idle_since: AtomicU64::new(now),
            head_started: AtomicU64::new(0),
            close: Notify::new(),
        });
        open.insert(id, Arc::clone(&tracked));
        self.metrics.connections_open.set(i64::try_from(open.len()).unwrap_or(i64::MAX));
        Some((id, tracked))
    }

    fn leave(&self, id: u64) {
        let mut open = self.open();
        open.remove(&id);
        self.metrics.connections_open.set(i64::try_from(open.len()).unwrap_or(i64::MAX));
        drop(open);
        self.left.notify_waiters();
    }

    /// Closes the idle connections past their deadline: a head that began arriving
    /// `header_timeout` ago; a new connection that sent nothing for `header_timeout`; a
    /// kept-alive one idle for `keep_alive_timeout`.
    fn reap(&self) {
        let now = self.now_ms();
        let header = u64::try_from(self.limits.header_timeout.as_millis()).unwrap_or(u64::MAX);
        let keep_alive = u64::try_from(self.limits.keep_alive_timeout.as_millis()).unwrap_or(u64::MAX);
        let mut open = self.open();
        let mut expired = Vec::new();
        for (id, tracked) in open.iter() {
            if tracked.busy.load(Ordering::SeqCst) > 0 {
                continue;
            }
            let head_started = tracked.head_started.load(Ordering::SeqCst);
            let idle_since = tracked.idle_since.load(Ordering::SeqCst);
            let reason = if head_started != 0 {
                (now.saturating_sub(head_started) >= header).then_some("header_timeout")
            } else if tracked.served.load(Ordering::SeqCst) == 0 {
                (now.saturating_sub(idle_since) >= header).then_some("header_timeout")
            } else {
                (now.saturating_sub(idle_since) >= keep_alive).then_some("idle_timeout")
            };
            if let Some(reason) = reason {
                expired.push((*id, reason));
            }
        }
        for (id, reason) in expired {
            if let Some(tracked) = open.remove(&id) {
                tracked.close.notify_one();
                self.dropped(reason);
            }
        }
        self.metrics.connections_open.set(i64::try_from(open.len()).unwrap_or(i64::MAX));
        drop(open);
        self.left.notify_waiters();
    }

    async fn until_empty(&self) {
        loop {
            let left = self.left.notified();
            if self.open().is_empty() {
                return;
            }
            left.await;
        }
    }
}

/// The socket, noting when the first byte of a request head arrives.
struct Watched {
    stream: TcpStream,
    tracked: Arc<Tracked>,
    registry: Arc<Registry>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before && this.tracked.busy.load(Ordering::SeqCst) == 0 {
            let _ = this.tracked.head_started.compare_exchange(0, this.registry.now_ms(), Ordering::SeqCst, Ordering::SeqCst);
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Marks a request in flight until its response body is dropped.
struct InFlight {
    tracked: Arc<Tracked>,
    registry: Arc<Registry>,
}

impl InFlight {
    fn start(tracked: &Arc<Tracked>, registry: &Arc<Registry>) -> Self {
        tracked.busy.fetch_add(1, Ordering::SeqCst);
        tracked.head_started.store(0, Ordering::SeqCst);
        Self { tracked: Arc::clone(tracked), registry: Arc::clone(registry) }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.tracked.served.fetch_add(1, Ordering::SeqCst);
        self.tracked.idle_since.store(self.registry.now_ms(), Ordering::SeqCst);
        self.tracked.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request in flight until it is sent or dropped.
struct Guarded {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Guarded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// How long a connection open at shutdown may take to send the request it was opened
/// for, before it is closed.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Serves `listener` with `router` until `closing` turns true, then lets every open
/// connection finish its request and close; returns when none is left.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    metrics: Metrics,
    tls: Option<Arc<super::tls::Tls>>,
    mut closing: watch::Receiver<bool>,
) {
    let registry =
        Arc::new(Registry { epoch: Instant::now(), limits, next_id: AtomicU64::new(0), open: Mutex::new(BTreeMap::new()), left: Notify::new(), metrics });
    let reaper = {
        let registry = Arc::clone(&registry);
        tokio::spawn(async move {
            let period = (limits.header_timeout.min(limits.keep_alive_timeout) / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
            loop {
                tokio::time::sleep(period).await;
                registry.reap();
            }
        })
    };
    // HTTP/1.1, and HTTP/2 when the client asks for it (over TLS: by ALPN).
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's own header timer is a backstop only: it runs from the moment a connection
    // waits for a head, so it must allow for the idle time before one.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout + limits.keep_alive_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = closing.wait_for(|closing| *closing) => break,
        };
        match accepted {
            Ok((stream, peer)) => spawn_connection(&registry, &builder, &router, tls.as_deref(), stream, peer, Some(closing.clone())),
            Err(error) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // Connections the kernel completed before the listener closes are served too (one
    // request each: responses say `Connection: close` while draining), not reset.
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await {
        spawn_connection(&registry, &builder, &router, tls.as_deref(), stream, peer, None);
    }
    drop(listener);
    registry.until_empty().await;
    reaper.abort();
}

fn spawn_connection(
    registry: &Arc<Registry>,
    builder: &Arc<auto::Builder<TokioExecutor>>,
    router: &Router,
    tls: Option<&super::tls::Tls>,
    stream: TcpStream,
    peer: SocketAddr,
    closing: Option<watch::Receiver<bool>>,
) {
    let Some((id, tracked)) = registry.admit() else { return };
    let _ = stream.set_nodelay(true);
    let registry = Arc::clone(registry);
    let builder = Arc::clone(builder);
    let router = router.clone();
    // The certificate in force when the connection arrives.
    let acceptor = tls.map(super::tls::Tls::acceptor);
    tokio::spawn(async move {
        let watched = Watched { stream, tracked: Arc::clone(&tracked), registry: Arc::clone(&registry) };
        let connection = Connection { builder: &builder, router, peer, tracked: &tracked, registry: &registry, closing };
        match acceptor {
            None => connection.drive(TokioIo::new(watched)).await,
            Some(acceptor) => {
                // The handshake is bounded like a request head, and by the registry.
                let handshake = tokio::select! {
                    handshake = tokio::time::timeout(registry.limits.header_timeout, acceptor.accept(watched)) => handshake.ok().and_then(Result::ok),
                    () = tracked.close.notified() => None,
                };
                if let Some(stream) = handshake {
                    connection.drive(TokioIo::new(stream)).await;
                }
            }
        }
        registry.leave(id);
    });
}

/// One accepted connection, ready to be served over some byte stream.
struct Connection<'a> {
    builder: &'a auto::Builder<TokioExecutor>,
    router: Router,
    peer: SocketAddr,
    tracked: &'a Arc<Tracked>,
    registry: &'a Arc<Registry>,
    closing: Option<watch::Receiver<bool>>,
}

impl Connection<'_> {
    /// Serves requests on `io` until the client leaves, the registry closes the
    /// connection, or a shutdown lets the request in flight finish.
    async fn drive<I>(self, io: I)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let Self { builder, router, peer, tracked, registry, closing } = self;
        let service = {
            let (tracked, registry) = (Arc::clone(tracked), Arc::clone(registry));
            hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let in_flight = InFlight::start(&tracked, &registry);
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                let response = tower::ServiceExt::oneshot(router.clone(), request);
                async move {
                    let response = response.await?;
                    Ok::<_, std::convert::Infallible>(response.map(|inner| Body::new(Guarded { inner, _in_flight: in_flight })))
                }
            })
        };
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let shutting_down = match closing {
            Some(mut closing) => {
                let closing = async move {
                    if closing.wait_for(|closing| *closing).await.is_err() {
                        // No one can start a shutdown any more: serve on.
                        std::future::pending::<()>().await;
                    }
                };
                tokio::select! {
                    _ = connection.as_mut() => false,
                    () = tracked.close.notified() => false,
                    () = closing => true,
                }
            }
            None => {
                tokio::select! {
                    _ = connection.as_mut() => {}
                    () = tracked.close.notified() => {}
                }
                false
            }
        };
        if shutting_down {
            // A connection accepted just before the listener closed may not have sent
            // its request yet: hyper's graceful shutdown would close it unread. While
            // draining every response says `Connection: close`, so a connection that
            // gets its request ends by itself; only one still silent after the grace
            // is shut.
            let ended = tokio::select! {
                _ = connection.as_mut() => true,
                () = tracked.close.notified() => true,
                () = tokio::time::sleep(SHUTDOWN_GRACE) => false,
            };
            if ended {
                return;
            }
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                _ = connection.as_mut() => {}
                () = tracked.close.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::effective_cap;

    #[test]
    fn the_cap_fits_the_file_limit() {
        assert_eq!(effective_cap(4096, Some(1024)), 960);
        assert_eq!(effective_cap(100, Some(1024)), 100);
        assert_eq!(effective_cap(4096, Some(128)), 64);
        assert_eq!(effective_cap(4096, Some(16)), 8);
        assert_eq!(effective_cap(4096, None), 4096);
        assert_eq!(effective_cap(0, Some(2)), 1);
    }
}
