//! Control-API handlers for third-party platforms. Extract, call one
//! service function, return.

use super::CJson;
use crate::error::ControlError;
use crate::service::components;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_api::platform as p;

type CResult<T> = Result<Json<T>, ControlError>;

pub(crate) async fn create(
    State(s): State<AppState>,
    CJson(req): CJson<p::CreateComponent>,
) -> Result<Response, ControlError> {
    let c = components::create(&s, req).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

pub(crate) async fn show(State(s): State<AppState>, Path(component): Path<String>) -> CResult<p::ComponentState> {
    components::show(&s, component).await.map(Json)
}

pub(crate) async fn ticket(State(s): State<AppState>, Path(component): Path<String>) -> CResult<p::TicketInfo> {
    components::push_ticket(&s, component).await.map(Json)
}

pub(crate) async fn authorize(
    State(s): State<AppState>,
    Path(component): Path<String>,
    CJson(req): CJson<p::Authorize>,
) -> CResult<p::Authorized> {
    components::authorize(&s, component, req).await.map(Json)
}

pub(crate) async fn revoke(
    State(s): State<AppState>,
    Path((component, appid)): Path<(String, String)>,
) -> Result<StatusCode, ControlError> {
    components::revoke(&s, component, appid)
        .await
        .map(|_| StatusCode::NO_CONTENT)
}
