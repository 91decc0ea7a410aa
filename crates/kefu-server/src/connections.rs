//! How connections are accepted and how long they may take, on every
//! listener (the main one, the TLS port, and inside `CONNECT` tunnels).
//!
//! A client cannot hold kefu's sockets: a connection has
//! [`Connections::header_timeout`] to send a request's headers (which also
//! closes a keep-alive connection idle that long), a request body that
//! stalls for [`Connections::body_timeout`] is cut (the router's layer),
//! and at most [`Connections::max_connections`] are open at once: one more
//! is closed as soon as it is accepted, counted in
//! `kefu_connections_refused_total` and logged (at most once a second), so
//! that kefu never runs out of file descriptors and keeps answering those
//! it holds. The timeouts are hyper's own.

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

/// Limits on connections, fixed at start-up.
#[derive(Debug, Clone)]
pub struct Connections {
    /// Longest wait for a request's headers, from the moment a connection
    /// is ready for one (so also the idle keep-alive timeout).
    pub header_timeout: Duration,
    /// Longest a request body may stall between two of its pieces.
    pub body_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// The open-connection count every listener of one server shares.
#[derive(Clone)]
pub(crate) struct Limiter {
    open: Arc<Semaphore>,
    max: usize,
    header_timeout: Duration,
    /// When a refusal was last logged (ms since `epoch`), to log one a second.
    logged_at: Arc<AtomicU64>,
    epoch: Instant,
}

impl Limiter {
    pub(crate) fn new(c: &Connections) -> Limiter {
        let max = c.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        Limiter {
            open: Arc::new(Semaphore::new(max)),
            max,
            header_timeout: c.header_timeout,
            logged_at: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
        }
    }

    /// Waits until every connection has closed.
    async fn drained(&self) {
        let _ = self.open.acquire_many(self.max as u32).await;
    }

    fn refused(&self, client: SocketAddr) {
        metrics::counter!("kefu_connections_refused_total").increment(1);
        let now = self.epoch.elapsed().as_millis() as u64 + 1_000;
        let last = self.logged_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 1_000
            && self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(%client, max_connections = self.max, "connection limit reached: closing new connections");
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the open
/// connections finish their requests.
pub(crate) async fn serve<L, S>(
    mut listener: L,
    app: S,
    limiter: Limiter,
    shutdown: impl Future<Output = ()> + Clone + Send + 'static,
) -> std::io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut stop = pin!(shutdown.clone());
    loop {
        let (io, client) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let Ok(permit) = limiter.open.clone().try_acquire_owned() else {
            limiter.refused(client);
            drop(io);
            continue;
        };
        let conn = connection(io, client, app.clone(), limiter.header_timeout, shutdown.clone());
        tokio::spawn(async move {
            conn.await;
            drop(permit);
        });
    }
    limiter.drained().await;
    Ok(())
}

/// One connection, HTTP/1.1 with upgrades (`CONNECT` tunnels), closed
/// gracefully (after its request in flight) on shutdown.
async fn connection<I, S>(
    io: I,
    client: SocketAddr,
    app: S,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let app = app.map_request(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo(client));
        req
    });
    let mut conn = pin!(hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app))
        .with_upgrades());
    let mut stop = pin!(shutdown);
    tokio::select! {
        result = conn.as_mut() => return log_end(client, result),
        () = &mut stop => conn.as_mut().graceful_shutdown(),
    }
    log_end(client, conn.await);
}

fn log_end(client: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // Timeouts, resets and malformed requests end here.
        tracing::debug!(%client, error = %e, "connection ended");
    }
}
