//! kefu's HTTP server: the WeChat customer-service API, byte for byte, and
//! the `/_kefu/` control API that plays the human side.
//!
//! # Layout
//! - [`state`]: what every handler shares (store, virtual clock, config).
//! - [`error`]: the only conversions of errors into responses.
//! - `cache`: checked access tokens, kept coherent in process.
//! - `wx`: WeChat-side routes, extractors (credential, body) and thin handlers.
//! - `control`: `/_kefu/` routes and handlers.
//! - `console`: the browser console's embedded page and assets (it calls
//!   only the two APIs); `changes`: the commit counter its live views follow.
//! - `openapi`: the OpenAPI documents of both APIs, from `kefu-api`'s types.
//! - `push`: delivery of the outbox to developers' servers.
//! - `outbound`: every HTTP call to a developer's server (push requests,
//!   answers, the URL handshake); no store, no service.
//! - `background`: what time alone causes (idle sessions close, tickets
//!   fall due), every second and after a clock advance.
//! - [`tls`]: kefu's certificate authority, its server certificate, and
//!   the API over TLS: `CONNECT` tunnels on the main listener (proxy mode)
//!   and the `--tls-listen` port (hosts mode). [`hosts`]: WeChat's API hosts.
//! - `service`: the only place that sequences IO: load through the store,
//!   decide with `kefu-core`, write back, in one transaction. Its modules
//!   never import each other in a circle (a test checks), and never import
//!   `push`, `background` or `control`.
//!
//! Handlers extract, call one service function, and return.

pub mod error;
pub mod hosts;
pub mod state;
pub mod tls;

mod access;
mod background;
mod cache;
mod changes;
mod connections;
mod console;
mod control;
mod gen;
mod metrics;
mod openapi;
mod outbound;
mod push;
mod service;
mod traffic;
mod wx;

pub use connections::Connections;
pub use service::clock::load_clock_offset;
pub use service::demo::ensure_demo_app;
pub use service::seed::{apply_seed, SeedError, SeedFile};
pub use state::{AppState, DemoCredentials, ServerConfig, VirtualClock};

use axum::extract::Request;
use axum::serve::ListenerExt;
use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

/// Every control-API route (path, methods), as the router is built from it.
pub fn control_routes() -> &'static [(&'static str, &'static [&'static str])] {
    control::ROUTES
}

/// Starts the background work on the current runtime: delivery of the
/// outbox to developers' servers, and what time alone causes (idle
/// sessions closing, component tickets falling due).
pub fn start_pushes(state: &AppState) {
    push::start(state);
    background::start(state);
}

/// Every route: the WeChat side, the control API, and 40066 for the rest.
pub fn router(state: AppState) -> Router {
    // Counters count from the first request on, not from the first scrape.
    metrics::handle();
    let router = Router::new()
        .merge(wx::router(state.config.lenient))
        .merge(control::router(&state))
        .merge(console::router())
        .fallback(wx::invalid_url);
    // Every request is counted while answered (pushes yield to the API),
    // and every WeChat-side one is faulted, journaled and measured: one
    // layer for both, as each layer costs every request a future's move.
    let router = router.layer(axum::middleware::from_fn_with_state(state.clone(), traffic::record));
    let router = if state.store.shared() {
        // Another process may have moved the virtual clock.
        router.layer(axum::middleware::from_fn_with_state(state.clone(), sync_clock))
    } else {
        router
    };
    // A request body that stalls is cut (its extractor then answers).
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        state.config.connections.body_timeout,
    ));
    // Outermost: the access log sees every answer, faulted ones included.
    router.layer(access::layer()).with_state(state)
}

async fn sync_clock(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Health reads the store itself, with its own deadline; a call of an
    // endpoint that checks an access token reads the clock with that check.
    let path = req.uri().path();
    if path != "/_kefu/health" && !checks_token(path, req.uri().query()) {
        service::clock::sync(&state).await;
    }
    next.run(req).await
}

/// Whether the request is to an endpoint that needs an `access_token`
/// and carries one: its credential check reads the clock.
fn checks_token(path: &str, query: Option<&str>) -> bool {
    let endpoint = kefu_core::endpoint::find(path)
        .or_else(|| kefu_core::endpoint::documented(path).and_then(kefu_core::endpoint::find));
    endpoint.is_some_and(|e| e.needs_token)
        && query.is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("access_token")))
}

/// Serves on an already bound listener until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, None, state, shutdown).await
}

/// The app every listener serves: `//` collapsed, then the router.
type App = tower::util::MapRequest<Router, fn(Request) -> Request>;

/// Serves on an already bound listener, and with `tls` also over TLS:
/// inside `CONNECT` tunnels on that listener (proxy mode) and on the TLS
/// port when there is one, until `shutdown` resolves. Every way in reaches
/// the same router with the client's address.
pub async fn serve_with(
    listener: TcpListener,
    tls: Option<tls::Tls>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use futures_util::FutureExt;
    let limiter = connections::Limiter::new(&state.config.connections);
    let changes = state.changes.clone();
    changes.reopen();
    let app: App = tower::ServiceBuilder::new()
        .map_request(collapse_slashes as fn(Request) -> Request)
        .service(router(state));
    let shutdown = shutdown.shared();
    // Event streams never end by themselves: end them, so that their
    // connections can close.
    let stopping = shutdown.clone();
    tokio::spawn(async move {
        stopping.await;
        changes.close();
    });
    let Some(tls) = tls else {
        let front = tls::proxy::Front::new(app, None, None);
        return serve_plain(listener, front, limiter, shutdown).await;
    };
    let local = match &tls.listener {
        Some(port) => port.local_addr()?,
        None => listener.local_addr()?,
    };
    let (handshakes, secured) = tls::secure::channel(tls.certificates.acceptor(), local);
    if let Some(port) = tls.listener {
        tokio::spawn(tls::secure::run_port(port, handshakes.clone(), shutdown.clone()));
    }
    let names = tls.certificates.names();
    let front = tls::proxy::Front::new(app.clone(), Some(handshakes), Some(names));
    let plain = serve_plain(listener, front, limiter.clone(), shutdown.clone());
    tokio::try_join!(plain, serve_secure(secured, app, limiter, shutdown)).map(|_| ())
}

async fn serve_plain(
    listener: TcpListener,
    front: tls::proxy::Front<App>,
    limiter: connections::Limiter,
    shutdown: impl Future<Output = ()> + Clone + Send + 'static,
) -> std::io::Result<()> {
    // Answers are small: send them at once rather than wait for Nagle.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    connections::serve(listener, front, limiter, shutdown).await
}

async fn serve_secure(
    listener: tls::secure::SecureListener,
    app: App,
    limiter: connections::Limiter,
    shutdown: impl Future<Output = ()> + Clone + Send + 'static,
) -> std::io::Result<()> {
    let app = tower::ServiceBuilder::new()
        .map_request(|mut req: Request| {
            req.extensions_mut().insert(tls::OverTls);
            req
        })
        .service(app);
    connections::serve(listener, app, limiter, shutdown).await
}

/// SDKs configured with a trailing slash send `//cgi-bin/...`: route it as
/// the single-slash path.
fn collapse_slashes(mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.contains("//") {
        return req;
    }
    let mut collapsed = String::with_capacity(path.len());
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        collapsed.push('/');
        collapsed.push_str(seg);
    }
    if let Some(q) = req.uri().query() {
        collapsed.push('?');
        collapsed.push_str(q);
    }
    if let Ok(uri) = collapsed.parse() {
        *req.uri_mut() = uri;
    }
    req
}
