//! Control routes of the traffic tools: the request journal (list, one
//! entry, clear, live stream), fault rules and the compatibility report.
//! They act on this process's in-memory `Traffic`; nothing is stored.

use super::CJson;
use crate::error::ControlError;
use crate::state::AppState;
use crate::traffic::journal::Filter;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::Stream;
use kefu_api::traffic::{CompatSummary, FaultState, JournalEntry};
use std::convert::Infallible;
use std::str::FromStr;

type CResult<T> = Result<T, ControlError>;

/// Most entries one read returns, and the default.
const MAX_LIMIT: usize = 1000;
const DEFAULT_LIMIT: usize = 100;

fn param<T: FromStr>(query: Option<&str>, key: &str) -> CResult<Option<T>> {
    let raw = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    });
    match raw.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ControlError::BadRequest(format!("{key}: {v:?} is not a valid value"))),
    }
}

fn filter(q: Option<&str>) -> CResult<Filter> {
    Ok(Filter {
        appid: param(q, "appid")?,
        path: param(q, "path")?,
        errcode: param(q, "errcode")?,
        since_id: param(q, "since_id")?,
    })
}

/// `GET /_kefu/journal?appid=&path=&errcode=&since_id=&limit=`: newest first.
pub(crate) async fn journal(State(s): State<AppState>, RawQuery(q): RawQuery) -> CResult<Json<Vec<JournalEntry>>> {
    let f = filter(q.as_deref())?;
    let limit = param::<usize>(q.as_deref(), "limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ControlError::BadRequest(format!("limit: from 1 to {MAX_LIMIT}")));
    }
    Ok(Json(s.traffic.journal.list(&f, limit)))
}

/// `GET /_kefu/journal/{id}`: one entry, while the journal keeps it.
pub(crate) async fn entry(State(s): State<AppState>, Path(id): Path<u64>) -> CResult<Json<JournalEntry>> {
    s.traffic
        .journal
        .get(id)
        .map(Json)
        .ok_or(ControlError::NotFound("journal entry"))
}

/// `DELETE /_kefu/journal`.
pub(crate) async fn clear_journal(State(s): State<AppState>) -> StatusCode {
    s.traffic.journal.clear();
    s.changes.bump();
    StatusCode::NO_CONTENT
}

/// `GET /_kefu/journal/stream?appid=&path=&errcode=`: Server-Sent Events,
/// one `entry` event per request as it completes; it ends when the server
/// stops.
pub(crate) async fn stream(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
) -> CResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let f = filter(q.as_deref())?;
    let rx = s.traffic.journal.subscribe();
    let events = futures_util::stream::unfold((rx, f), |(mut rx, f)| async move {
        loop {
            match rx.recv().await {
                Ok(e) if f.matches(&e) => {
                    let event = Event::default().event("entry").id(e.id.to_string());
                    let event = event
                        .json_data(e.render())
                        .unwrap_or_else(|_| Event::default().comment("unencodable"));
                    return Some((Ok(event), (rx, f)));
                }
                Ok(_) => continue,
                // A reader that fell behind skips what it missed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let events = futures_util::StreamExt::take_until(events, s.changes.closing());
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// `POST /_kefu/faults`: 400 naming the field of a malformed rule.
pub(crate) async fn add_fault(
    State(s): State<AppState>,
    CJson(body): CJson<serde_json::Value>,
) -> CResult<(StatusCode, Json<FaultState>)> {
    let rule = crate::traffic::faults::parse_rule(&body).map_err(ControlError::BadRequest)?;
    let added = s.traffic.faults.add(rule).map_err(ControlError::BadRequest)?;
    s.changes.bump();
    Ok((StatusCode::CREATED, Json(added)))
}

/// `GET /_kefu/faults`.
pub(crate) async fn faults(State(s): State<AppState>) -> Json<Vec<FaultState>> {
    Json(s.traffic.faults.list())
}

/// `DELETE /_kefu/faults/{id}`.
pub(crate) async fn remove_fault(State(s): State<AppState>, Path(id): Path<u64>) -> CResult<StatusCode> {
    match s.traffic.faults.remove(id) {
        true => {
            s.changes.bump();
            Ok(StatusCode::NO_CONTENT)
        }
        false => Err(ControlError::NotFound("fault")),
    }
}

/// `DELETE /_kefu/faults`.
pub(crate) async fn clear_faults(State(s): State<AppState>) -> StatusCode {
    s.traffic.faults.clear();
    s.changes.bump();
    StatusCode::NO_CONTENT
}

/// `GET /_kefu/compat?appid=`.
pub(crate) async fn compat(State(s): State<AppState>, RawQuery(q): RawQuery) -> CResult<Json<Vec<CompatSummary>>> {
    let appid: Option<String> = param(q.as_deref(), "appid")?;
    Ok(Json(s.traffic.compat.lines(appid.as_deref())))
}

/// `DELETE /_kefu/compat`.
pub(crate) async fn clear_compat(State(s): State<AppState>) -> StatusCode {
    s.traffic.compat.clear();
    s.changes.bump();
    StatusCode::NO_CONTENT
}

/// Any other path under `/_kefu/`: the control API's 404.
pub(crate) async fn no_route() -> ControlError {
    ControlError::NotFound("route")
}
