//! Control-API handlers for pushes: an app's push settings and its
//! delivery log. Extract, call one service function, return.

use super::CJson;
use crate::error::ControlError;
use crate::service::push_settings;
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use kefu_api::control_push as c;

type CResult<T> = Result<Json<T>, ControlError>;

pub(crate) async fn configure(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    CJson(req): CJson<c::CallbackSettings>,
) -> CResult<c::CallbackState> {
    push_settings::configure(&s, appid, req).await.map(Json)
}

pub(crate) async fn show(State(s): State<AppState>, Path(appid): Path<String>) -> CResult<c::CallbackState> {
    push_settings::show(&s, appid).await.map(Json)
}

pub(crate) async fn remove(State(s): State<AppState>, Path(appid): Path<String>) -> Result<StatusCode, ControlError> {
    push_settings::remove(&s, appid).await.map(|_| StatusCode::NO_CONTENT)
}

pub(crate) async fn deliveries(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    RawQuery(q): RawQuery,
) -> CResult<Vec<c::DeliveryState>> {
    let param = |name| crate::wx::query_param(q.as_deref(), name);
    let before = param("before").and_then(|v| v.parse().ok());
    let limit = param("limit").and_then(|v| v.parse().ok());
    push_settings::deliveries(&s, appid, before, limit).await.map(Json)
}
