//! WeChat-side handlers of `service::sessions`: session control and the
//! three reads (a follower's session, an account's sessions, the waiting
//! queue). Extract, call one service function, return.

use super::extract::{query_param, Caller, WxBody};
use super::{Wx, WxOk};
use crate::error::ApiError;
use crate::service::sessions;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use kefu_api::conversation::{KfSessionInfo, SessionList, WaitCaseList};
use kefu_api::wechat::KfSessionRequest;

type WxResult<T> = Result<Wx<T>, ApiError>;

/// `POST /customservice/kfsession/create`.
pub(crate) async fn create_session(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<KfSessionRequest>,
) -> Result<WxOk, ApiError> {
    sessions::create(&s, &caller.appid, req).await.map(|_| WxOk)
}

/// `POST /customservice/kfsession/close`.
pub(crate) async fn close_session(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<KfSessionRequest>,
) -> Result<WxOk, ApiError> {
    sessions::close(&s, &caller.appid, req).await.map(|_| WxOk)
}

/// `GET /customservice/kfsession/getsession?openid=`.
pub(crate) async fn get_session(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> WxResult<KfSessionInfo> {
    let openid = query_param(q.as_deref(), "openid").unwrap_or_default();
    sessions::get(&s, &caller.appid, openid).await.map(Wx)
}

/// `GET /customservice/kfsession/getsessionlist?kf_account=`.
pub(crate) async fn get_session_list(
    State(s): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> WxResult<SessionList> {
    let kf_account = query_param(q.as_deref(), "kf_account").unwrap_or_default();
    sessions::list(&s, &caller.appid, kf_account).await.map(Wx)
}

/// `GET /customservice/kfsession/getwaitcase`.
pub(crate) async fn get_wait_case(State(s): State<AppState>, caller: Caller) -> WxResult<WaitCaseList> {
    sessions::wait_cases(&s, &caller.appid).await.map(Wx)
}
