//! Issuing tokens (`cgi-bin/token`, `stable_token`), the whitelist and
//! quotas around them, and `clear_quota`.

use super::credentials::{count, count_limits};
use crate::error::ApiError;
use crate::gen;
use crate::state::AppState;
use kefu_api::wechat::{AccessTokenResponse, ClearQuotaRequest, StableTokenRequest};
use kefu_core::app::App;
use kefu_core::credential;
use kefu_core::ids::{AccessToken, AppId};
use kefu_core::quota::{self, Window};
use kefu_core::token::{stable_decision, StableDecision, TokenKind, TokenRecord, OVERLAP_SECS};
use kefu_core::whitelist;
use kefu_core::{ErrCode, Timestamp};
use kefu_store::Tx;
use std::net::IpAddr;

const TOKEN_PATH: &str = "/cgi-bin/token";
const STABLE_PATH: &str = "/cgi-bin/stable_token";
const STABLE_FORCE_DAY: &str = "day:stable_force";
const CLEAR_QUOTA_MONTH: &str = "month:clear_quota";
/// Tokens are remembered this long after expiry (so they answer 40001/42001, not 40014).
pub(super) const TOKEN_MEMORY_SECS: i64 = 86_400;

/// The query of `GET /cgi-bin/token`.
pub(crate) struct TokenParams {
    pub grant_type: Option<String>,
    pub appid: Option<String>,
    pub secret: Option<String>,
}

/// 40013 unknown app, 41004 no secret, 40125 wrong secret.
pub(super) fn check_credentials(tx: &mut dyn Tx, appid: &str, secret: &str) -> Result<App, ApiError> {
    let app = tx.app(&AppId::new(appid))?.ok_or(ErrCode::InvalidAppId)?;
    credential::check_secret(&app.secret, secret)?;
    Ok(app)
}

pub(super) fn answer(rec: &TokenRecord, now: Timestamp) -> AccessTokenResponse {
    AccessTokenResponse {
        access_token: rec.token.to_string(),
        expires_in: rec.expires_in(now),
    }
}

/// 40164 unless the app's whitelist lets `ip` ask for tokens.
fn check_ip(app: &App, ip: IpAddr) -> Result<(), ApiError> {
    if app.ip_whitelist.allows(ip) {
        return Ok(());
    }
    Err(ApiError::with_message(ErrCode::InvalidIp, whitelist::denial(ip)))
}

/// `cgi-bin/token`: a new token each call; the replaced one keeps working
/// for five minutes.
pub(crate) async fn issue_plain(state: &AppState, p: TokenParams, ip: IpAddr) -> Result<AccessTokenResponse, ApiError> {
    let appid = p.appid.unwrap_or_default();
    credential::check_grant_type(p.grant_type.as_deref(), &appid)?;
    let secret = p.secret.unwrap_or_default();
    let (now, limits, fresh) = (state.now(), state.config.limits, AccessToken::new(gen::token()));
    // About one call in 64 also forgets long-dead tokens.
    let prune = rand::random::<u8>() < 4;
    let issued = state
        .store
        .write_queued(format!("token:{appid}"), move |tx| {
            let app = check_credentials(tx, &appid, &secret)?;
            check_ip(&app, ip)?;
            let limits = quota::limits_for(&app.quotas, TOKEN_PATH, (Some(limits.token_daily), None));
            count_limits(tx, &app.appid, TOKEN_PATH, limits, now)?;
            let rec = rotate(tx, &app.appid, TokenKind::Plain, OVERLAP_SECS, &fresh, now)?;
            if prune {
                tx.prune_tokens(&app.appid, now.plus(-TOKEN_MEMORY_SECS))?;
            }
            Ok::<_, ApiError>(answer(&rec, now))
        })
        .await?;
    state.credentials.invalidate();
    Ok(issued)
}

/// Makes `fresh` the app's current token of `kind`; the one it replaces
/// keeps working for `grace` seconds.
pub(super) fn rotate(
    tx: &mut dyn Tx,
    appid: &AppId,
    kind: TokenKind,
    grace: i64,
    fresh: &AccessToken,
    now: Timestamp,
) -> Result<TokenRecord, ApiError> {
    if let Some(mut current) = tx.current_token(appid, kind)? {
        current.replace(now, grace);
        tx.put_token(&current, false)?;
    }
    let rec = TokenRecord::issue(fresh.clone(), appid.clone(), kind, now);
    tx.put_token(&rec, true)?;
    Ok(rec)
}

/// `stable_token`: the same token until its last five minutes; a forced
/// refresh replaces it at once (20 a day, 30 s apart).
pub(crate) async fn issue_stable(
    state: &AppState,
    req: StableTokenRequest,
    ip: IpAddr,
) -> Result<AccessTokenResponse, ApiError> {
    credential::check_grant_type(Some(req.grant_type.as_str()), &req.appid)?;
    let (now, limits, fresh) = (state.now(), state.config.limits, AccessToken::new(gen::token()));
    let issued = state
        .store
        .write_queued(format!("stable:{}", req.appid), move |tx| {
            let app = check_credentials(tx, &req.appid, &req.secret)?;
            check_ip(&app, ip)?;
            let per_minute = Some(limits.stable_token_per_minute);
            let limits_now = quota::limits_for(&app.quotas, STABLE_PATH, (None, per_minute));
            count_limits(tx, &app.appid, STABLE_PATH, limits_now, now)?;
            stable_for(
                tx,
                &app.appid,
                req.force_refresh,
                limits.stable_force_daily,
                &fresh,
                now,
            )
        })
        .await?;
    state.credentials.invalidate();
    Ok(issued)
}

/// The stable token to hand out: the current one, a renewal that lets the
/// current one run out, or a forced replacement (counted per day).
fn stable_for(
    tx: &mut dyn Tx,
    appid: &AppId,
    force: bool,
    force_daily: u32,
    fresh: &AccessToken,
    now: Timestamp,
) -> Result<AccessTokenResponse, ApiError> {
    let current = tx.current_token(appid, TokenKind::Stable)?;
    let last_forced = tx.counter(appid, STABLE_FORCE_DAY)?.map(|c| c.last_at);
    let grace = match (stable_decision(current.as_ref(), force, last_forced, now), &current) {
        (StableDecision::Reuse, Some(cur)) => return Ok(answer(cur, now)),
        (
            StableDecision::Issue {
                invalidate_current: true,
            },
            _,
        ) => 0,
        // Renewal: the current token runs to its own expiry.
        _ => kefu_core::token::TTL_SECS,
    };
    if force {
        count(tx, appid, STABLE_FORCE_DAY, Window::Day, force_daily, now)?;
    }
    Ok(answer(&rotate(tx, appid, TokenKind::Stable, grace, fresh, now)?, now))
}

/// `clear_quota`: the caller's own appid, at most 10 times a month (48006).
pub(crate) async fn clear_quota(state: &AppState, caller: &AppId, req: ClearQuotaRequest) -> Result<(), ApiError> {
    if req.appid.is_empty() {
        return Err(ErrCode::AppIdMissing.into());
    }
    if req.appid != caller.as_str() {
        return Err(ErrCode::InvalidAppId.into());
    }
    let (appid, now, limit) = (caller.clone(), state.now(), state.config.limits.clear_quota_monthly);
    state.store.write(move |tx| reset_quotas(tx, &appid, limit, now)).await
}

/// `clear_quota/v2`: as `clear_quota`, authenticated by the AppSecret.
pub(crate) async fn clear_quota_v2(state: &AppState, req: ClearQuotaRequest) -> Result<(), ApiError> {
    if req.appid.is_empty() {
        return Err(ErrCode::AppIdMissing.into());
    }
    let (now, limit) = (state.now(), state.config.limits.clear_quota_monthly);
    state
        .store
        .write(move |tx| {
            let app = check_credentials(tx, &req.appid, &req.appsecret)?;
            reset_quotas(tx, &app.appid, limit, now)
        })
        .await
}

fn reset_quotas(tx: &mut dyn Tx, appid: &AppId, limit: u32, now: Timestamp) -> Result<(), ApiError> {
    count(tx, appid, CLEAR_QUOTA_MONTH, Window::Month, limit, now).map_err(|e| match e.code() {
        ErrCode::DailyQuota => ErrCode::ClearQuotaLimit.into(),
        _ => e,
    })?;
    tx.clear_counters(appid, "day:")?;
    tx.clear_counters(appid, "minute:")?;
    Ok(())
}
