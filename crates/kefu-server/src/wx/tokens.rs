//! WeChat-side handlers of `service::tokens`: `cgi-bin/token`,
//! `stable_token` and `clear_quota`. Extract, call one service function,
//! return.

use super::extract::{query_param, Caller, ClientIp, WxBody};
use super::{Wx, WxOk};
use crate::error::ApiError;
use crate::service::tokens;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use kefu_api::wechat::{AccessTokenResponse, ClearQuotaRequest, StableTokenRequest};

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
