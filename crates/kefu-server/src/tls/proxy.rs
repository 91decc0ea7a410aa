//! Proxy mode on the main listener. An SDK that hard-codes
//! `https://api.weixin.qq.com` reaches kefu when its environment names kefu
//! as its HTTPS proxy: kefu accepts `CONNECT` to WeChat's API hosts,
//! answers `200 Connection established`, terminates TLS with its own
//! certificate and answers the requests inside itself. Absolute-form
//! plain-HTTP requests (`GET http://api.weixin.qq.com/...`) are answered by
//! their path. kefu never forwards anything: `CONNECT` to any other host,
//! or an absolute-form request for one, is refused with 403.

use super::secure::Handshakes;
use crate::hosts::{self, LOCAL_NAMES, WECHAT_HOSTS};
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;

/// The port `CONNECT` must name.
const HTTPS_PORT: u16 = 443;

/// The main listener's service: `CONNECT` and foreign absolute-form
/// requests are handled here, everything else goes to `app`.
#[derive(Clone)]
pub(crate) struct Front<S> {
    app: S,
    /// Where tunnels are terminated; `None` when kefu has no certificate.
    tunnels: Option<Handshakes>,
    /// The names an absolute-form request may be for.
    names: Arc<[String]>,
}

impl<S> Front<S> {
    /// `names`: the certificate's names, or `None` for WeChat's hosts and
    /// the local names.
    pub(crate) fn new(app: S, tunnels: Option<Handshakes>, names: Option<&[String]>) -> Self {
        let names = match names {
            Some(n) => n.into(),
            None => WECHAT_HOSTS.iter().chain(LOCAL_NAMES).map(|h| h.to_string()).collect(),
        };
        Front { app, tunnels, names }
    }

    fn connect(&self, req: Request) -> Response {
        let authority = req.uri().authority().cloned();
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let Some(authority) = authority.filter(|a| a.port_u16() == Some(HTTPS_PORT) && hosts::is_wechat_host(a.host()))
        else {
            let asked = req.uri().to_string();
            let client = peer.map_or_else(|| "-".to_owned(), |p| p.to_string());
            tracing::warn!(client, asked, "CONNECT refused: not one of WeChat's API hosts");
            return refusal(format!(
                "kefu is not an open proxy: CONNECT is accepted only to WeChat's API hosts on port 443 ({}), not to {asked}\n",
                hosts::wechat_hosts_text()
            ));
        };
        let (Some(tunnels), Some(peer)) = (self.tunnels.clone(), peer) else {
            return text(
                StatusCode::NOT_IMPLEMENTED,
                "kefu's proxy mode is off: this server was started without certificates\n".into(),
            );
        };
        tracing::debug!(%peer, %authority, "CONNECT accepted: serving the tunnel over TLS");
        tokio::spawn(async move {
            match hyper::upgrade::on(req).await {
                Ok(upgraded) => tunnels.accept_tunnel(Box::new(hyper_util::rt::TokioIo::new(upgraded)), peer),
                Err(e) => tracing::debug!(%peer, error = %e, "CONNECT tunnel never opened"),
            }
        });
        let mut res = StatusCode::OK.into_response();
        res.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b"Connection established"));
        res
    }

    /// The refusal of an absolute-form request for a host kefu does not
    /// answer for; `None` for any other request.
    fn foreign(&self, req: &Request) -> Option<Response> {
        let host = req.uri().host()?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if self.names.iter().any(|n| n.eq_ignore_ascii_case(bare)) {
            return None;
        }
        tracing::warn!(asked = %req.uri(), "proxy request refused: not one of WeChat's API hosts");
        Some(refusal(format!(
            "kefu is not an open proxy: it answers only for WeChat's API hosts ({}) and its own names, not for {host}\n",
            hosts::wechat_hosts_text()
        )))
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn refusal(body: String) -> Response {
    text(StatusCode::FORBIDDEN, body)
}

impl<S> Service<Request> for Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.app.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.method() == Method::CONNECT {
            return Either::Left(ready(Ok(self.connect(req))));
        }
        if let Some(refused) = self.foreign(&req) {
            return Either::Left(ready(Ok(refused)));
        }
        Either::Right(self.app.call(req))
    }
}
