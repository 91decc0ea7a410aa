//! The middleware around every WeChat-side request: faults first, then the
//! real answer, then the compatibility notes, the journal entry and the
//! request's metrics.

use super::faults::{Action, Applied};
use super::journal::Record;
use super::marks::{Answered, CallerSlot};
use super::{compat, mask};
use crate::error::ApiError;
use crate::metrics;
use crate::service::credentials;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kefu_core::endpoint;
use kefu_core::ErrCode;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What was read of a request before it was answered (shared buffers,
/// nothing formatted).
struct Seen {
    time_ms: i64,
    virtual_time: i64,
    client: Option<SocketAddr>,
    method: Method,
    uri: Uri,
    host: Option<HeaderValue>,
    content_type: Option<HeaderValue>,
    /// Came over TLS (kefu's HTTPS port or a proxy tunnel).
    over_tls: bool,
    body: Bytes,
}

impl Seen {
    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }

    /// Whether the request carries U+0000 (an upload's file may: only its
    /// query counts), which no WeChat request can: 47001 before any handler.
    fn carries_nul(&self) -> bool {
        let multipart = self
            .content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("multipart/"));
        let body: &[u8] = if multipart { &[] } else { &self.body };
        kefu_core::text::carries_nul(self.query(), body)
    }
}

fn query_param(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Whether a path is the WeChat side's (not the control API, not metrics).
fn wechat_side(path: &str) -> bool {
    !(path == "/_kefu" || path.starts_with("/_kefu/") || path == "/metrics")
}

/// The body limit of the endpoint a path stands for.
fn body_limit(path: &str) -> usize {
    let documented = endpoint::documented(path).unwrap_or(path);
    let legacy = || endpoint::legacy(path).map(|l| &l.endpoint);
    endpoint::find(documented)
        .or_else(legacy)
        .map_or(endpoint::JSON_BODY_LIMIT, |e| e.body_limit)
}

/// Reads at most `limit + 1` bytes: enough for the endpoint's extractor to
/// tell an oversized body (45002) in its own turn, after the credential.
/// A body that comes in one piece (the usual case) is kept without a copy.
/// `Err` when the body could not be read whole (the connection broke, a
/// malformed chunk, a stall past the body timeout).
async fn read_prefix(mut body: Body, limit: usize) -> Result<Bytes, axum::Error> {
    // The declared length sizes the copy once (no doubling as it grows).
    let expected = (axum::body::HttpBody::size_hint(&body).lower() as usize).min(limit + 1);
    let (mut first, mut more, mut total) = (Bytes::new(), Vec::<u8>::new(), 0usize);
    while total <= limit {
        let Some(frame) = body.frame().await else { break };
        let Ok(data) = frame?.into_data() else { continue };
        total += data.len();
        if first.is_empty() && more.is_empty() {
            first = data;
        } else {
            if more.is_empty() {
                more.reserve_exact(expected.max(first.len() + data.len()));
                more.extend_from_slice(&first);
            }
            more.extend_from_slice(&data);
        }
    }
    Ok(if more.is_empty() { first } else { Bytes::from(more) })
}

/// What the endpoint's extractor reads: the body as read, or one that fails
/// as the original did (the extractor then answers 47001 in its turn).
fn passed_on(read: &Result<Bytes, axum::Error>) -> Body {
    match read {
        Ok(bytes) => Body::from(bytes.clone()),
        Err(e) => {
            let why = std::io::Error::other(e.to_string());
            Body::from_stream(futures_util::stream::once(async move { Err::<Bytes, _>(why) }))
        }
    }
}

/// Journals, faults and measures one WeChat-side request.
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The API is answered first: pushes yield while requests are in flight.
    let _counted = state.pushes.api_request();
    if !wechat_side(req.uri().path()) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let (mut parts, body) = req.into_parts();
    let limit = body_limit(parts.uri.path());
    // Large bodies (uploads) are read a few at a time: the others wait
    // with only their connection, and memory stays bounded.
    let _turn = match limit > endpoint::JSON_BODY_LIMIT {
        true => state.uploads.clone().acquire_owned().await.ok(),
        false => None,
    };
    let read = read_prefix(body, limit).await;
    let body_for_handler = passed_on(&read);
    let body = read.unwrap_or_default();
    let seen = Seen {
        time_ms: now_ms(),
        virtual_time: state.now().0,
        client: parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        host: parts.headers.get(header::HOST).cloned(),
        content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        over_tls: parts.extensions.get::<crate::tls::OverTls>().is_some(),
        body,
    };
    let slot = CallerSlot::default();
    parts.extensions.insert(slot.clone());
    let fault = fault_for(&state, &seen).await;
    let nul = seen.carries_nul();
    let handler = async {
        if nul {
            return ApiError::from(ErrCode::DataFormatError).into_response();
        }
        next.run(Request::from_parts(parts, body_for_handler)).await
    };
    let response = match fault.as_ref().map(|f| &f.action) {
        Some(Action::Error(code)) => ApiError::from(*code).into_response(),
        Some(Action::Status(status, body)) => status_answer(*status, body),
        Some(Action::Drop) => dropped(),
        Some(Action::Delay(d)) => {
            tokio::time::sleep(*d).await;
            handler.await
        }
        None => handler.await,
    };
    // The virtual clock as the request was answered: on a shared store the
    // credential check may just have read another instance's advance.
    let seen = Seen {
        virtual_time: state.now().0,
        ..seen
    };
    let appid = match slot.0.get() {
        Some(a) => Some(a.to_string()),
        None => token_request_appid(&seen, &response),
    };
    finish(&state, seen, response, (started, appid, fault.map(|f| f.id))).await
}

/// The fault rule that applies to this request, if any.
async fn fault_for(state: &AppState, seen: &Seen) -> Option<Applied> {
    let faults = &state.traffic.faults;
    if !faults.any() {
        return None;
    }
    let appid = if faults.wants_appid(seen.path()) {
        appid_of(state, seen).await
    } else {
        None
    };
    let applied = faults.decide(seen.path(), seen.method.as_str(), appid.as_deref())?;
    metrics::fault_hit(applied.id);
    Some(applied)
}

/// The app a request is for, found without changing anything: its
/// `access_token`'s app, or the `appid` it names (token requests).
async fn appid_of(state: &AppState, seen: &Seen) -> Option<String> {
    if let Some(token) = query_param(seen.query(), "access_token") {
        return credentials::authenticate(state, token)
            .await
            .ok()
            .map(|p| p.appid.to_string());
    }
    named_appid(seen)
}

/// The app a request names in its query or JSON body (token requests).
fn named_appid(seen: &Seen) -> Option<String> {
    if let Some(appid) = query_param(seen.query(), "appid") {
        return Some(appid);
    }
    let body: serde_json::Value = serde_json::from_slice(&seen.body).ok()?;
    ["authorizer_appid", "appid", "component_appid"]
        .iter()
        .find_map(|k| body.get(*k)?.as_str().map(str::to_owned))
}

/// The app a successful token request (which carries no access token)
/// named in its query or body.
fn token_request_appid(seen: &Seen, response: &Response) -> Option<String> {
    let credential = endpoint::find(seen.path()).is_some_and(|e| !e.needs_token);
    if !credential || response.status() != StatusCode::OK || response.extensions().get::<Answered>().is_some() {
        return None;
    }
    named_appid(seen)
}

fn status_answer(status: u16, body: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, body.to_owned()).into_response()
}

/// An answer whose body fails before its first byte: the server closes the
/// connection without writing a status line.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by a fault rule"))
    });
    let mut res = Response::new(Body::from_stream(failing));
    res.extensions_mut().insert(Dropped);
    res
}

/// Marks an answer that is never sent.
#[derive(Clone, Copy)]
struct Dropped;

/// Reads the answer back, journals and counts it, and returns it.
async fn finish(
    state: &AppState,
    seen: Seen,
    response: Response,
    (started, appid, fault): (Instant, Option<String>, Option<u64>),
) -> Response {
    let answered = response.extensions().get::<Answered>().cloned();
    let was_dropped = response.extensions().get::<Dropped>().is_some();
    let status = if was_dropped { 0 } else { response.status().as_u16() };
    let errcode = match &answered {
        Some(a) => Some(a.errcode),
        None if status == 200 => Some(0),
        None => None,
    };
    let endpoint = endpoint::documented(seen.path()).unwrap_or(seen.path());
    let latency = started.elapsed();
    metrics::request(endpoint, errcode, latency);
    let host = seen.host.as_ref().and_then(|h| h.to_str().ok());
    let notes = compat::notes(&compat::Facts {
        path: seen.path(),
        query: seen.query(),
        host,
        over_tls: seen.over_tls,
        body: &seen.body,
        errcode,
    });
    let journal = &state.traffic.journal;
    if !journal.on() {
        if !notes.is_empty() {
            state.traffic.compat.count(0, seen.time_ms, appid.as_deref(), &notes);
        }
        return response;
    }
    let (response, answer) = if was_dropped {
        (response, Bytes::new())
    } else {
        let (res_parts, res_body) = response.into_parts();
        // kefu's own answers are whole bytes; one that fails is journaled empty.
        let bytes = read_prefix(res_body, usize::MAX - 1).await.unwrap_or_default();
        (Response::from_parts(res_parts, Body::from(bytes.clone())), bytes)
    };
    let id = journal.next_id();
    if !notes.is_empty() {
        state.traffic.compat.count(id, seen.time_ms, appid.as_deref(), &notes);
    }
    let (request, request_summarised) = kept(&seen.body, seen.content_type.as_ref());
    let record = Record {
        id,
        time_ms: seen.time_ms,
        virtual_time: seen.virtual_time,
        client: seen.client,
        request,
        request_summarised,
        method: seen.method,
        target: seen
            .uri
            .path_and_query()
            .map_or(seen.uri.path(), |pq| pq.as_str())
            .into(),
        content_type: seen.content_type.as_ref().and_then(|v| v.to_str().ok()).map(Into::into),
        status,
        response: answer,
        errcode,
        latency_us: latency.as_micros() as u64,
        appid,
        rid: answered.map(|a| a.rid),
        fault,
        compat: notes,
    };
    metrics::journal_dropped(journal.push(record));
    response
}

/// What the journal keeps of a body: its first 64 KiB, or a multipart
/// body's summary (its parts' names, files, types and sizes; never the
/// file itself, which may be megabytes), and whether it is the summary.
/// Always a copy: a request body's bytes are a slice of the connection's
/// read buffer, which keeping them would pin (and make the server allocate
/// a new one per request).
fn kept(body: &[u8], content_type: Option<&HeaderValue>) -> (Bytes, bool) {
    let content_type = content_type.and_then(|v| v.to_str().ok());
    match mask::multipart_summary(body, content_type) {
        Some(summary) => (Bytes::from(summary), true),
        None => (Bytes::copy_from_slice(&body[..body.len().min(mask::BODY_MAX)]), false),
    }
}
