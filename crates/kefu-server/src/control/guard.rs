//! What keeps other web sites out of the control API, and the admin token.
//!
//! A browser lets any page send a "simple" cross-site request (a form post
//! with `text/plain`, a bodiless `fetch` in `no-cors` mode) and lets a page
//! whose name was re-pointed at 127.0.0.1 (DNS rebinding) read answers. So
//! every guarded control call is refused, and logged without its token,
//! unless: its `Host` is kefu's own (an IP literal, `localhost`, WeChat's
//! API hosts, or an `--allowed-host` name); its `Origin`, when it has one,
//! is the `Host` it was sent to; and a call that may change state (any
//! method but GET, HEAD and OPTIONS) carries either no body and no content
//! type or `Content-Type: application/json`. Then, when an admin token is
//! configured, `Authorization: Bearer <token>` must match it (compared in
//! constant time).

use crate::error::ControlError;
use crate::hosts;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// The middleware in front of every control route, open ones included:
/// U+0000 in the path or query is 400 (kefu cannot store it; see
/// `kefu_core::text`).
pub(crate) async fn no_nul(req: Request, next: Next) -> Result<Response, ControlError> {
    let target = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    if kefu_core::text::carries_nul(target, b"") {
        return Err(nul_refused("path or query"));
    }
    Ok(next.run(req).await)
}

/// The refusal of a request part that carries U+0000.
pub(crate) fn nul_refused(part: &str) -> ControlError {
    ControlError::BadRequest(format!("{part}: U+0000 is a character kefu does not accept"))
}

/// `--allowed-host` value that turns the `Host` check off.
pub(crate) const ANY_HOST: &str = "*";

/// The middleware in front of every guarded control route.
pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ControlError> {
    if let Err(refused) = check(&state, &req) {
        let client = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        tracing::warn!(
            method = %req.method(),
            path = req.uri().path(),
            client = client.map_or_else(|| "-".to_owned(), |c| c.to_string()),
            reason = %refused,
            "control call refused"
        );
        return Err(refused);
    }
    Ok(next.run(req).await)
}

fn check(state: &AppState, req: &Request) -> Result<(), ControlError> {
    let headers = req.headers();
    let host = header_text(headers, header::HOST.as_str())?;
    if let Some(host) = host {
        if !host_allowed(host, &state.config.allowed_hosts) {
            return Err(ControlError::Forbidden(
                "forbidden_host",
                format!(
                    "the control API does not answer for the host {host:?}; start kefu with --allowed-host {} (KEFU_ALLOWED_HOSTS) to allow it",
                    bare_host(host)
                ),
            ));
        }
    }
    if let Some(origin) = header_text(headers, header::ORIGIN.as_str())? {
        if !same_origin(origin, host) {
            return Err(ControlError::Forbidden(
                "forbidden_origin",
                format!("the control API does not answer calls from web pages of other origins ({origin})"),
            ));
        }
    }
    if changes_state(req.method()) && !json_or_bodiless(headers) {
        return Err(ControlError::UnsupportedMediaType);
    }
    admin_token(state, headers)
}

/// A header's value as text; a value that is not text is refused.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ControlError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| ControlError::BadRequest(format!("{name}: not a text header value"))),
    }
}

/// `host` without its port (and without an IPv6 literal's brackets).
fn bare_host(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Whether a `Host` header names kefu itself. IP literals cannot be
/// re-pointed by DNS, so any is kefu's; names must be local, WeChat's, or
/// allowed by the operator.
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = bare_host(host);
    if name.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || hosts::is_wechat_host(&name)
        || allowed.iter().any(|a| a == ANY_HOST || a.eq_ignore_ascii_case(&name))
}

/// Whether an `Origin` (`scheme://host[:port]`) is the origin of a page
/// served by the `Host` the call was sent to.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let Some((_, authority)) = origin.split_once("://") else {
        // `null` (sandboxed frames, files) and anything malformed.
        return false;
    };
    host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `Content-Type: application/json` (any parameters), or neither a content
/// type nor a body.
fn json_or_bodiless(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
        }
        None if headers.get(header::CONTENT_TYPE).is_some() => false,
        None => {
            let chunked = headers.contains_key(header::TRANSFER_ENCODING);
            let length = headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .map_or(Some(0), |v| v.trim().parse::<u64>().ok());
            !chunked && length == Some(0)
        }
    }
}

/// `Authorization: Bearer <admin token>` when one is configured.
fn admin_token(state: &AppState, headers: &HeaderMap) -> Result<(), ControlError> {
    let Some(expected) = &state.config.admin_token else {
        return Ok(());
    };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match given.and_then(|v| v.strip_prefix("Bearer ")) {
        None => Err(ControlError::Unauthorized("admin token required")),
        Some(t) if kefu_core::credential::same_secret(t, expected) => Ok(()),
        Some(_) => Err(ControlError::Unauthorized("the admin token is wrong")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kefus_own_host_names_are_served() {
        let none: &[String] = &[];
        for ok in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "10.1.2.3",
            "localhost:8080",
            "LOCALHOST.",
            "app.localhost:1",
            "api.weixin.qq.com",
        ] {
            assert!(host_allowed(ok, none), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.evil.example",
            "localhost.evil",
        ] {
            assert!(!host_allowed(refused, none), "{refused}");
        }
        let allowed = ["kefu".to_owned()];
        assert!(host_allowed("KEFU:8080", &allowed));
        assert!(host_allowed("anything.example", &[ANY_HOST.to_owned()]));
    }

    #[test]
    fn an_origin_must_be_the_host_called() {
        assert!(same_origin("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(same_origin("https://Localhost:9", Some("localhost:9")));
        assert!(!same_origin("http://127.0.0.1:8081", Some("127.0.0.1:8080")));
        assert!(!same_origin("http://evil.example", Some("127.0.0.1:8080")));
        assert!(!same_origin("null", Some("127.0.0.1:8080")));
        assert!(!same_origin("http://127.0.0.1:8080", None));
    }

    #[test]
    fn state_changing_calls_need_json_or_nothing() {
        let with = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(
                    header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            json_or_bodiless(&h)
        };
        assert!(with(&[]));
        assert!(with(&[("content-length", "0")]));
        assert!(with(&[("content-type", "application/json")]));
        assert!(with(&[("content-type", "Application/JSON; charset=utf-8")]));
        assert!(!with(&[("content-type", "text/plain")]));
        assert!(!with(&[("content-type", "application/x-www-form-urlencoded")]));
        assert!(!with(&[("content-type", "multipart/form-data; boundary=x")]));
        assert!(!with(&[("content-length", "2")]));
        assert!(!with(&[("transfer-encoding", "chunked")]));
    }
}
