//! WeChat-side handlers: extract, call one service function, return.

use super::extract::{query_param, Caller, ClientIp, DelTarget, HeadImgUpload, WxBody};
use super::{Wx, WxOk};
use crate::error::ApiError;
use crate::service::{kf, sessions, tokens};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use kefu_api::wechat::{
    AccessTokenResponse, ClearQuotaRequest, InviteWorkerRequest, KfAccountRequest, KfList, KfOnlineList,
    KfSessionRequest, StableTokenRequest,
};

type WxResult<T> = Result<Wx<T>, ApiError>;

/// `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`.
pub(crate) async fn token(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    RawQuery(q): RawQuery,
) -> WxResult<AccessTokenResponse> {
    let param = |k| query_param(q.as_deref(), k);
    let params = tokens::TokenParams {
        grant_type: param("grant_type"),
        appid: param("appid"),
        secret: param("secret"),
    };
    tokens::issue_plain(&s, params, ip).await.map(Wx)
}

/// `POST /cgi-bin/stable_token`.
pub(crate) async fn stable_token(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    WxBody(req): WxBody<StableTokenRequest>,
) -> WxResult<AccessTokenResponse> {
    tokens::issue_stable(&s, req, ip).await.map(Wx)
}

/// `POST /cgi-bin/clear_quota?access_token=`.
pub(crate) async fn clear_quota(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<ClearQuotaRequest>,
) -> Result<WxOk, ApiError> {
    tokens::clear_quota(&s, &caller.appid, req).await.map(|_| WxOk)
}

/// `POST /cgi-bin/clear_quota/v2` (AppSecret instead of a token).
pub(crate) async fn clear_quota_v2(
    State(s): State<AppState>,
    WxBody(req): WxBody<ClearQuotaRequest>,
) -> Result<WxOk, ApiError> {
    tokens::clear_quota_v2(&s, req).await.map(|_| WxOk)
}

/// `POST /customservice/kfaccount/add`.
pub(crate) async fn add_kf_account(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<KfAccountRequest>,
) -> Result<WxOk, ApiError> {
    kf::add(&s, &caller.appid, req).await.map(|_| WxOk)
}

/// `POST /customservice/kfaccount/update`.
pub(crate) async fn update_kf_account(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<KfAccountRequest>,
) -> Result<WxOk, ApiError> {
    kf::update(&s, &caller.appid, req).await.map(|_| WxOk)
}

/// `GET|POST /customservice/kfaccount/del`.
pub(crate) async fn del_kf_account(
    State(s): State<AppState>,
    caller: Caller,
    DelTarget(account): DelTarget,
) -> Result<WxOk, ApiError> {
    kf::delete(&s, &caller.appid, account).await.map(|_| WxOk)
}

/// `POST /customservice/kfaccount/uploadheadimg?kf_account=` (multipart `media`).
pub(crate) async fn upload_head_img(
    State(s): State<AppState>,
    caller: Caller,
    upload: HeadImgUpload,
) -> Result<WxOk, ApiError> {
    kf::upload_head_img(&s, &caller.appid, upload.kf_account, upload.data.to_vec())
        .await
        .map(|_| WxOk)
}

/// `POST /customservice/kfaccount/inviteworker`.
pub(crate) async fn invite_worker(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<InviteWorkerRequest>,
) -> Result<WxOk, ApiError> {
    kf::invite_worker(&s, &caller.appid, req).await.map(|_| WxOk)
}

/// `GET /cgi-bin/customservice/getkflist`.
pub(crate) async fn get_kf_list(State(s): State<AppState>, caller: Caller, headers: HeaderMap) -> WxResult<KfList> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    kf::list(&s, &caller.appid, host.to_owned()).await.map(Wx)
}

/// `GET /cgi-bin/customservice/getonlinekflist`.
pub(crate) async fn get_online_kf_list(State(s): State<AppState>, caller: Caller) -> WxResult<KfOnlineList> {
    kf::online_list(&s, &caller.appid).await.map(Wx)
}

/// `POST /customservice/kfsession/create`.
pub(crate) async fn create_session(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<KfSessionRequest>,
) -> Result<WxOk, ApiError> {
    sessions::create(&s, &caller.appid, req).await.map(|_| WxOk)
}
