//! Control-API handlers for the conversation: what followers and workers do.
//! Extract, call one service function, return.

use super::CJson;
use crate::error::ControlError;
use crate::service::followers;
use crate::service::workers::{self, WorkerCall};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use kefu_api::control as c;

type CResult<T> = Result<Json<T>, ControlError>;

fn worker((appid, kf_account): (String, String)) -> WorkerCall {
    WorkerCall { appid, kf_account }
}

pub(crate) async fn follow(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    CJson(req): CJson<c::Follow>,
) -> CResult<c::Followed> {
    followers::follow(&s, appid, req).await.map(Json)
}

pub(crate) async fn event(
    State(s): State<AppState>,
    Path((appid, openid)): Path<(String, String)>,
    CJson(req): CJson<c::FollowerEvent>,
) -> CResult<c::FanState> {
    followers::event(&s, appid, openid, req).await.map(Json)
}

pub(crate) async fn fan(
    State(s): State<AppState>,
    Path((appid, openid)): Path<(String, String)>,
) -> CResult<c::FanState> {
    followers::fan(&s, appid, openid).await.map(Json)
}

pub(crate) async fn write(
    State(s): State<AppState>,
    Path((appid, openid)): Path<(String, String)>,
    CJson(req): CJson<c::FollowerMessage>,
) -> CResult<c::Sent> {
    followers::write(&s, appid, openid, req).await.map(Json)
}

pub(crate) async fn messages(
    State(s): State<AppState>,
    Path((appid, openid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> CResult<Vec<c::MessageState>> {
    let from = crate::wx::query_param(q.as_deref(), "from").and_then(|v| v.parse().ok());
    followers::messages(&s, appid, openid, from.unwrap_or(1))
        .await
        .map(Json)
}

pub(crate) async fn enqueue(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    CJson(req): CJson<c::Enqueue>,
) -> CResult<c::WaitState> {
    followers::enqueue(&s, appid, req).await.map(Json)
}

pub(crate) async fn accept(
    State(s): State<AppState>,
    Path(ids): Path<(String, String)>,
    CJson(req): CJson<c::Accept>,
) -> CResult<c::SessionState> {
    workers::accept(&s, worker(ids), req).await.map(Json)
}

pub(crate) async fn reply(
    State(s): State<AppState>,
    Path(ids): Path<(String, String)>,
    CJson(req): CJson<c::WorkerMessage>,
) -> CResult<c::Sent> {
    workers::reply(&s, worker(ids), req).await.map(Json)
}

pub(crate) async fn transfer(
    State(s): State<AppState>,
    Path(ids): Path<(String, String)>,
    CJson(req): CJson<c::Transfer>,
) -> CResult<c::SessionState> {
    workers::transfer(&s, worker(ids), req).await.map(Json)
}

pub(crate) async fn close(
    State(s): State<AppState>,
    Path(ids): Path<(String, String)>,
    CJson(req): CJson<c::CloseSession>,
) -> Result<StatusCode, ControlError> {
    workers::close(&s, worker(ids), req)
        .await
        .map(|_| StatusCode::NO_CONTENT)
}
