//! Who is calling: the app (or component) behind an `access_token`, whether
//! it may call the endpoint (48001, 61007), and the quotas it spends.

use super::clock;
use crate::cache::{Grant, Principal};
use crate::error::ApiError;
use crate::state::AppState;
use kefu_core::credential;
use kefu_core::endpoint::Endpoint;
use kefu_core::ids::{AccessToken, AppId};
use kefu_core::quota::{self, Counter, Window};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::{ErrCode, Timestamp};
use kefu_store::Tx;
use std::sync::Arc;

/// The caller behind an `access_token`: 41001 when missing, 40014 when
/// unknown or malformed, then the token's own 40001 / 42001. An authorizer
/// token whose authorization was revoked is 40001. On a shared store the
/// virtual clock's offset is read in the same snapshot (the clock
/// middleware leaves requests with a token to this read).
pub(crate) async fn authenticate(state: &AppState, token: String) -> Result<Arc<Principal>, ApiError> {
    credential::check_token_param(&token)?;
    if let Some(found) = state.credentials.get(&token) {
        found.token.check(state.now())?;
        return Ok(found);
    }
    let seen = state.credentials.generation();
    let (key, shared) = (AccessToken::new(token), state.store.shared());
    let (offset, principal) = state
        .store
        .read(move |tx| {
            let offset = if shared { Some(clock::read_offset(tx)?) } else { None };
            let principal = match tx.token(&key)? {
                Some(rec) => load_principal(tx, rec).map(Arc::new),
                None => Err(ErrCode::InvalidAccessToken.into()),
            };
            Ok::<_, ApiError>((offset, principal))
        })
        .await?;
    if let Some(offset) = offset {
        state.clock.set_offset(offset);
    }
    let principal = principal?;
    state
        .credentials
        .insert(seen, principal.token.token.as_str(), principal.clone());
    principal.token.check(state.now())?;
    Ok(principal)
}

fn load_principal(tx: &mut dyn Tx, rec: TokenRecord) -> Result<Principal, ApiError> {
    let grant = match (rec.kind, rec.via.clone()) {
        (TokenKind::Component, _) => {
            tx.component(&rec.appid)?.ok_or(ErrCode::InvalidAccessToken)?;
            return Ok(component_principal(rec));
        }
        (TokenKind::Authorizer, Some(component)) => {
            let auth = tx.authorization(&component, &rec.appid)?;
            // Revoked (and perhaps granted again since): the token died with it.
            let auth = auth
                .filter(|a| a.authorized_at <= rec.issued_at)
                .ok_or(ErrCode::InvalidCredential)?;
            Grant::Authorizer {
                component,
                perm_sets: auth.perm_sets,
            }
        }
        _ => Grant::Own,
    };
    let app = tx.app(&rec.appid)?.ok_or(ErrCode::InvalidAccessToken)?;
    Ok(Principal {
        token: rec,
        appid: app.appid,
        account_type: app.account_type,
        certified: app.certified,
        grant,
        quotas: app.quotas,
    })
}

fn component_principal(rec: TokenRecord) -> Principal {
    Principal {
        appid: rec.appid.clone(),
        token: rec,
        account_type: kefu_core::app::AccountType::ServiceAccount,
        certified: false,
        grant: Grant::Component,
        quotas: Vec::new(),
    }
}

/// Whether the caller may call the endpoint (48001, 61007; see
/// [`credential::permit`]).
pub(crate) fn permit(endpoint: &Endpoint, p: &Principal) -> Result<(), ApiError> {
    Ok(credential::permit(endpoint, &p.grant, p.account_type, p.certified)?)
}

/// Counts one call against a quota; the window's error when it is used up.
pub(super) fn count(
    tx: &mut dyn Tx,
    appid: &AppId,
    key: &str,
    window: Window,
    limit: u32,
    now: Timestamp,
) -> Result<Counter, ApiError> {
    let next = quota::hit(tx.counter(appid, key)?, window, limit, now)?;
    tx.put_counter(appid, key, &next)?;
    Ok(next)
}

/// Counts a call against the per-day and per-minute limits given (45009,
/// 45011); nothing when neither is set.
pub(super) fn count_limits(
    tx: &mut dyn Tx,
    appid: &AppId,
    path: &str,
    (daily, per_minute): (Option<u32>, Option<u32>),
    now: Timestamp,
) -> Result<(), ApiError> {
    if let Some(limit) = daily {
        count(
            tx,
            appid,
            &quota::counter_key(Window::Day, path),
            Window::Day,
            limit,
            now,
        )?;
    }
    if let Some(limit) = per_minute {
        let key = quota::counter_key(Window::Minute, path);
        count(tx, appid, &key, Window::Minute, limit, now)?;
    }
    Ok(())
}

/// Spends the app's configured quota of an endpoint (off unless configured).
pub(crate) async fn spend_quota(state: &AppState, p: &Principal, path: &'static str) -> Result<(), ApiError> {
    let limits = quota::limits_for(&p.quotas, path, (None, None));
    if limits == (None, None) {
        return Ok(());
    }
    let (appid, now) = (p.appid.clone(), state.now());
    state
        .store
        .write(move |tx| count_limits(tx, &appid, path, limits, now))
        .await
}
