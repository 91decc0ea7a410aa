//! The middleware around every WeChat-side request: faults first, then the
//! real answer, then the compatibility notes, the journal entry and the
//! request's metrics.

use super::faults::{Action, Applied};
use super::marks::{Answered, CallerSlot};
use super::{compat, mask};
use crate::error::ApiError;
use crate::metrics;
use crate::service::credentials;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kefu_api::traffic::JournalEntry;
use kefu_core::endpoint;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What was read of a request before it was answered.
struct Seen {
    time_ms: i64,
    virtual_time: i64,
    client: String,
    method: String,
    path: String,
    query: String,
    host: Option<String>,
    content_type: Option<String>,
    body: Bytes,
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
async fn read_prefix(body: Body, limit: usize) -> Bytes {
    let mut body = body;
    let mut buf = Vec::new();
    while buf.len() <= limit {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    Bytes::from(buf)
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Journals, faults and measures one WeChat-side request.
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !wechat_side(req.uri().path()) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let body = read_prefix(body, body_limit(&path)).await;
    let seen = Seen {
        time_ms: now_ms(),
        virtual_time: state.now().0,
        client: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "-".into(), |c| c.0.to_string()),
        method: parts.method.to_string(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        host: header(&parts.headers, header::HOST),
        content_type: header(&parts.headers, header::CONTENT_TYPE),
        path,
        body,
    };
    let slot = CallerSlot::default();
    parts.extensions.insert(slot.clone());
    let fault = fault_for(&state, &seen).await;
    let response = match fault.as_ref().map(|f| &f.action) {
        Some(Action::Error(code)) => ApiError::from(*code).into_response(),
        Some(Action::Status(status, body)) => status_answer(*status, body),
        Some(Action::Drop) => dropped(),
        Some(Action::Delay(d)) => {
            tokio::time::sleep(*d).await;
            next.run(Request::from_parts(parts, Body::from(seen.body.clone())))
                .await
        }
        None => {
            next.run(Request::from_parts(parts, Body::from(seen.body.clone())))
                .await
        }
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
    let appid = if faults.wants_appid(&seen.path) {
        appid_of(state, seen).await
    } else {
        None
    };
    let applied = faults.decide(&seen.path, &seen.method, appid.as_deref())?;
    metrics::fault_hit(applied.id);
    Some(applied)
}

/// The app a request is for, found without changing anything: its
/// `access_token`'s app, or the `appid` it names (token requests).
async fn appid_of(state: &AppState, seen: &Seen) -> Option<String> {
    if let Some(token) = query_param(&seen.query, "access_token") {
        return credentials::authenticate(state, token)
            .await
            .ok()
            .map(|p| p.appid.to_string());
    }
    named_appid(seen)
}

/// The app a request names in its query or JSON body (token requests).
fn named_appid(seen: &Seen) -> Option<String> {
    if let Some(appid) = query_param(&seen.query, "appid") {
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
    let credential = endpoint::find(&seen.path).is_some_and(|e| !e.needs_token);
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
    let endpoint = endpoint::documented(&seen.path).unwrap_or(&seen.path);
    let latency = started.elapsed();
    metrics::request(endpoint, errcode, latency);
    let notes = compat::notes(&compat::Facts {
        path: &seen.path,
        query: &seen.query,
        host: seen.host.as_deref(),
        body: &seen.body,
        errcode,
    });
    let journal = &state.traffic.journal;
    if !journal.on() && notes.is_empty() {
        return response;
    }
    let (response, response_body) = if was_dropped || !journal.on() {
        (response, String::new())
    } else {
        let (res_parts, res_body) = response.into_parts();
        let bytes = res_body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        let text = mask::body(&bytes, None);
        (Response::from_parts(res_parts, Body::from(bytes)), text)
    };
    let id = if journal.on() { journal.next_id() } else { 0 };
    state.traffic.compat.count(id, seen.time_ms, appid.as_deref(), &notes);
    if journal.on() {
        let entry = JournalEntry {
            id,
            time_ms: seen.time_ms,
            virtual_time: seen.virtual_time,
            client: seen.client,
            method: seen.method,
            query: mask::query(&seen.query),
            request_body: mask::body(&seen.body, seen.content_type.as_deref()),
            path: seen.path,
            status,
            response_body,
            errcode,
            latency_us: latency.as_micros() as u64,
            appid,
            rid: answered.map(|a| a.rid),
            fault,
            compat: notes,
        };
        let dropped = journal.push(entry);
        metrics::journal_dropped(dropped);
    }
    response
}
