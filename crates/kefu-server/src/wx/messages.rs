//! WeChat-side handlers of `service::messages`: chat records,
//! customer-service messages and typing. Extract, call one service
//! function, return.

use super::extract::{Caller, WxBody};
use super::{Wx, WxOk};
use crate::error::ApiError;
use crate::service::messages;
use crate::state::AppState;
use axum::extract::State;
use kefu_api::conversation::{
    CustomMessage, LegacyRecordList, MsgList, MsgListRequest, RecordPageRequest, TypingRequest,
};

type WxResult<T> = Result<Wx<T>, ApiError>;

/// `POST /customservice/msgrecord/getmsglist`.
pub(crate) async fn get_msg_list(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<MsgListRequest>,
) -> WxResult<MsgList> {
    messages::records(&s, &caller.appid, req).await.map(Wx)
}

/// `POST /customservice/msgrecord/getrecord`, the retired endpoint (lenient
/// mode only).
pub(crate) async fn get_record(
    State(s): State<AppState>,
    caller: Caller,
    WxBody(req): WxBody<RecordPageRequest>,
) -> WxResult<LegacyRecordList> {
    messages::record_page(&s, &caller.appid, req).await.map(Wx)
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
