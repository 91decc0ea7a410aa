//! WeChat-side handlers of `service::kf`: kf accounts, their avatars,
//! invitations and the two account lists. Extract, call one service
//! function, return.

use super::extract::{Caller, DelTarget, HeadImgUpload, WxBody};
use super::{Wx, WxOk};
use crate::error::ApiError;
use crate::service::kf;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use kefu_api::wechat::{InviteWorkerRequest, KfAccountRequest, KfList, KfOnlineList};

type WxResult<T> = Result<Wx<T>, ApiError>;

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
    kf::upload_head_img(&s, &caller.appid, upload.kf_account, Vec::from(upload.data))
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
