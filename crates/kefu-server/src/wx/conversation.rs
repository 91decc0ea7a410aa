//! WeChat-side handlers of the conversation: session control, chat records,
//! customer-service messages and typing. Extract, call one service
//! function, return.

use super::extract::{query_param, Caller, WxBody};
use super::{Wx, WxOk};
use crate::error::ApiError;
use crate::service::{messages, sessions};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use kefu_api::conversation::{
    CustomMessage, KfSessionInfo, MsgList, MsgListRequest, SessionList, TypingRequest, WaitCaseList,
};
use kefu_api::wechat::KfSessionRequest;

type WxResult<T> = Result<Wx<T>, ApiError>;

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

/// `POST /customservice/msgrecord/getmsglist`.
pub(crate) async fn get_msg_list(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<MsgListRequest>,
) -> WxResult<MsgList> {
    messages::records(&s, &caller.appid, req).await.map(Wx)
}

/// `POST /cgi-bin/message/custom/send`.
pub(crate) async fn custom_send(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<CustomMessage>,
) -> Result<WxOk, ApiError> {
    messages::send(&s, &caller.appid, caller.account_type, req)
        .await
        .map(|_| WxOk)
}

/// `POST /cgi-bin/message/custom/typing` and `.../business/typing`.
pub(crate) async fn typing(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<TypingRequest>,
) -> Result<WxOk, ApiError> {
    messages::typing(&s, &caller.appid, req).await.map(|_| WxOk)
}
