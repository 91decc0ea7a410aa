//! Control-API handlers: extract, call one service function, return.

use super::CJson;
use crate::background;
use crate::error::ControlError;
use crate::service::apps::{self, KfAction};
use crate::service::clock;
use crate::state::AppState;
use crate::wx::query_param;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_api::control as c;

type CResult<T> = Result<Json<T>, ControlError>;

pub(crate) async fn create_app(
    State(s): State<AppState>,
    CJson(req): CJson<c::CreateApp>,
) -> Result<Response, ControlError> {
    let app = apps::create_app(&s, req).await?;
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

pub(crate) async fn list_apps(State(s): State<AppState>) -> CResult<Vec<c::AppInfo>> {
    apps::list_apps(&s).await.map(Json)
}

pub(crate) async fn app_state(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    RawQuery(q): RawQuery,
) -> CResult<c::AppState> {
    let limit = apps::list_limit(query_param(q.as_deref(), "limit").as_deref())?;
    apps::app_state(&s, appid, limit).await.map(Json)
}

pub(crate) async fn fan_page(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    RawQuery(q): RawQuery,
) -> CResult<c::FanPage> {
    let limit = apps::list_limit(query_param(q.as_deref(), "limit").as_deref())?;
    let after = query_param(q.as_deref(), "after").unwrap_or_default();
    apps::fan_page(&s, appid, after, limit).await.map(Json)
}

pub(crate) async fn patch_app(
    State(s): State<AppState>,
    Path(appid): Path<String>,
    CJson(req): CJson<c::PatchApp>,
) -> CResult<c::AppInfo> {
    apps::patch_app(&s, appid, req).await.map(Json)
}

pub(crate) async fn accept_invitation(
    State(s): State<AppState>,
    Path((appid, kf)): Path<(String, String)>,
) -> CResult<c::KfState> {
    apps::kf_action(&s, appid, kf, KfAction::Accept).await.map(Json)
}

pub(crate) async fn reject_invitation(
    State(s): State<AppState>,
    Path((appid, kf)): Path<(String, String)>,
) -> CResult<c::KfState> {
    apps::kf_action(&s, appid, kf, KfAction::Reject).await.map(Json)
}

pub(crate) async fn set_status(
    State(s): State<AppState>,
    Path((appid, kf)): Path<(String, String)>,
    CJson(req): CJson<c::WorkerStatus>,
) -> CResult<c::KfState> {
    apps::kf_action(&s, appid, kf, KfAction::Online(req.online))
        .await
        .map(Json)
}

pub(crate) async fn set_wechat_user(
    State(s): State<AppState>,
    Path(wx): Path<String>,
    CJson(req): CJson<c::WechatUser>,
) -> CResult<c::WechatUser> {
    apps::set_wechat_user(&s, wx, req).await.map(Json)
}

pub(crate) async fn clock(State(s): State<AppState>) -> Json<c::Clock> {
    Json(clock::clock(&s))
}

pub(crate) async fn advance_clock(State(s): State<AppState>, CJson(req): CJson<c::Advance>) -> CResult<c::Clock> {
    background::advance(&s, req).await.map(Json)
}

pub(crate) async fn reset(State(s): State<AppState>) -> CResult<c::ResetDone> {
    crate::service::demo::reset(&s).await.map(Json)
}

pub(crate) async fn health(State(s): State<AppState>) -> Response {
    let h = clock::health(&s).await;
    let status = if h.status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(h)).into_response()
}

/// `GET /_kefu/ca.pem`: kefu's CA certificate, public (the key is never
/// served); 404 when this server has no CA.
pub(crate) async fn ca_certificate(State(s): State<AppState>) -> Result<Response, ControlError> {
    let pem = s
        .config
        .ca_certificate
        .clone()
        .ok_or(ControlError::NotFound("certificate authority"))?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

pub(crate) async fn head_image(
    State(s): State<AppState>,
    Path((appid, kf)): Path<(String, String)>,
) -> Result<Response, ControlError> {
    let img = apps::head_image(&s, appid, kf).await?;
    Ok(([(header::CONTENT_TYPE, img.content_type)], img.data).into_response())
}

/// `GET /_kefu/openapi.json`: the control API's OpenAPI document.
pub(crate) async fn openapi_control() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(crate::openapi::control_document())
}

/// `GET /_kefu/openapi/wechat.json`: the WeChat side's OpenAPI document.
pub(crate) async fn openapi_wechat() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(crate::openapi::wechat_document())
}

/// `GET /metrics`: Prometheus text; readable without the admin token, and
/// holding no secret.
pub(crate) async fn metrics(State(s): State<AppState>) -> Response {
    let body = crate::service::metrics::scrape(&s).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}
