//! Third-party platforms on the WeChat side: `api_component_token` and
//! `api_authorizer_token`.

use super::credentials::{self, count_limits};
use super::tokens::{rotate, TOKEN_MEMORY_SECS};
use crate::error::ApiError;
use crate::gen;
use crate::state::AppState;
use kefu_api::platform::{
    AuthorizerTokenRequest, AuthorizerTokenResponse, ComponentTokenRequest, ComponentTokenResponse,
};
use kefu_core::credential::{self, Grant};
use kefu_core::ids::{AccessToken, AppId};
use kefu_core::platform::Component;
use kefu_core::token::{TokenKind, TokenRecord, OVERLAP_SECS};
use kefu_core::{ErrCode, Timestamp};
use kefu_store::Tx;
use std::net::IpAddr;

const COMPONENT_TOKEN_PATH: &str = "/cgi-bin/component/api_component_token";

/// 41018 no `component_appid`, 61011 unknown component.
fn find_component(tx: &mut dyn Tx, raw: &str) -> Result<Component, ApiError> {
    if raw.is_empty() {
        return Err(ErrCode::ComponentAppIdMissing.into());
    }
    Ok(tx.component(&AppId::new(raw))?.ok_or(ErrCode::InvalidComponent)?)
}

/// 61006 unknown ticket (or another component's), 61005 older than 12 hours.
fn check_ticket(tx: &mut dyn Tx, c: &Component, ticket: &str, now: Timestamp) -> Result<(), ApiError> {
    let found = tx.ticket(ticket)?.filter(|t| t.component == c.appid);
    Ok(found.ok_or(ErrCode::ComponentTicketInvalid)?.check(now)?)
}

/// `api_component_token`: 41018, 61011, 61004 (whitelist), 41004, 40125,
/// 61006, 61005, 45009; then a new token (the replaced one works five more
/// minutes).
pub(crate) async fn component_token(
    state: &AppState,
    req: ComponentTokenRequest,
    ip: IpAddr,
) -> Result<ComponentTokenResponse, ApiError> {
    let (now, daily, fresh) = (
        state.now(),
        state.config.limits.token_daily,
        AccessToken::new(gen::token()),
    );
    let issued = state
        .store
        .write_queued(format!("token:{}", req.component_appid), move |tx| {
            let c = find_component(tx, &req.component_appid)?;
            if !c.ip_whitelist.allows(ip) {
                return Err(ErrCode::ClientIpNotRegistered.into());
            }
            credential::check_secret(&c.secret, &req.component_appsecret)?;
            check_ticket(tx, &c, &req.component_verify_ticket, now)?;
            count_limits(tx, &c.appid, COMPONENT_TOKEN_PATH, (Some(daily), None), now)?;
            let rec = rotate(tx, &c.appid, TokenKind::Component, OVERLAP_SECS, &fresh, now)?;
            tx.prune_tokens(&c.appid, now.plus(-TOKEN_MEMORY_SECS))?;
            Ok::<_, ApiError>(ComponentTokenResponse {
                component_access_token: rec.token.to_string(),
                expires_in: rec.expires_in(now),
            })
        })
        .await?;
    state.credentials.invalidate();
    Ok(issued)
}

/// `api_authorizer_token?component_access_token=` (or `?access_token=`): the
/// component token's own errors, 48001 for another kind of token; then 41018,
/// 61011 (not this token's component), 41002, 40013, 61003 (not authorized),
/// 61023 (refresh token neither current nor within its five minutes). A new
/// authorizer token replaces the pair's last one (five minutes' overlap) and
/// the refresh token rotates.
pub(crate) async fn authorizer_token(
    state: &AppState,
    token: String,
    req: AuthorizerTokenRequest,
) -> Result<AuthorizerTokenResponse, ApiError> {
    let caller = credentials::authenticate(state, token).await?;
    if caller.grant != Grant::Component {
        return Err(ErrCode::ApiUnauthorized.into());
    }
    let component = caller.appid.clone();
    let (now, fresh, refresh) = (state.now(), AccessToken::new(gen::token()), gen::refresh_token());
    let key = format!("authorizer:{}:{}", req.component_appid, req.authorizer_appid);
    let issued = state
        .store
        .write_queued(key, move |tx| {
            let c = find_component(tx, &req.component_appid)?;
            if c.appid != component {
                return Err(ErrCode::InvalidComponent.into());
            }
            if req.authorizer_appid.is_empty() {
                return Err(ErrCode::AppIdMissing.into());
            }
            let appid = AppId::new(req.authorizer_appid.clone());
            tx.app(&appid)?.ok_or(ErrCode::InvalidAppId)?;
            let mut auth = tx
                .authorization(&c.appid, &appid)?
                .ok_or(ErrCode::ComponentNotAuthorized)?;
            auth.check_refresh(&req.authorizer_refresh_token, now)?;
            if let Some(mut previous) = auth.current_token.as_ref().map(|t| tx.token(t)).transpose()?.flatten() {
                previous.replace(now, OVERLAP_SECS);
                tx.put_token(&previous, false)?;
            }
            let mut rec = TokenRecord::issue(fresh.clone(), appid.clone(), TokenKind::Authorizer, now);
            rec.via = Some(c.appid.clone());
            tx.put_token(&rec, false)?;
            auth.current_token = Some(fresh.clone());
            auth.rotate_refresh(refresh.clone(), now);
            tx.put_authorization(&auth)?;
            Ok::<_, ApiError>(AuthorizerTokenResponse {
                authorizer_access_token: rec.token.to_string(),
                expires_in: rec.expires_in(now),
                authorizer_refresh_token: refresh.clone(),
            })
        })
        .await?;
    state.credentials.invalidate();
    Ok(issued)
}
