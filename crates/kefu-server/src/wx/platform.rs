//! WeChat-side handlers of third-party platforms. Extract, call one service
//! function, return.

use super::extract::{query_param, ClientIp, WxBody};
use super::Wx;
use crate::error::ApiError;
use crate::service::platform;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use kefu_api::platform::{
    AuthorizerTokenRequest, AuthorizerTokenResponse, ComponentTokenRequest, ComponentTokenResponse,
};

/// `POST /cgi-bin/component/api_component_token`.
pub(crate) async fn component_token(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    WxBody(req): WxBody<ComponentTokenRequest>,
) -> Result<Wx<ComponentTokenResponse>, ApiError> {
    platform::component_token(&s, req, ip).await.map(Wx)
}

/// `POST /cgi-bin/component/api_authorizer_token?component_access_token=`
/// (the newer `?access_token=` form too).
pub(crate) async fn authorizer_token(
    State(s): State<AppState>,
    RawQuery(q): RawQuery,
    WxBody(req): WxBody<AuthorizerTokenRequest>,
) -> Result<Wx<AuthorizerTokenResponse>, ApiError> {
    let token = query_param(q.as_deref(), "component_access_token")
        .or_else(|| query_param(q.as_deref(), "access_token"))
        .unwrap_or_default();
    platform::authorizer_token(&s, token, req).await.map(Wx)
}
