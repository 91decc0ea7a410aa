//! Session control on the WeChat side: create, close, and the three reads
//! (a follower's session, an account's sessions, the waiting queue).

use super::{enabled_app, find_kf};
use crate::error::ApiError;
use crate::state::AppState;
use kefu_api::conversation::{KfSessionInfo, SessionItem, SessionList, WaitCaseItem, WaitCaseList};
use kefu_api::wechat::KfSessionRequest;
use kefu_core::app::App;
use kefu_core::ids::{AppId, KfAccount, OpenId};
use kefu_core::kf::KfRecord;
use kefu_core::queue::WAITCASE_PAGE;
use kefu_core::session::{self, CreateOutcome, Fan, Session};
use kefu_core::{ErrCode, Timestamp};
use kefu_store::{StoreError, Tx};

/// The follower's session if it is still open at `now`.
pub(crate) fn live_session(
    tx: &mut dyn Tx,
    appid: &AppId,
    openid: &OpenId,
    now: Timestamp,
) -> Result<Option<Session>, StoreError> {
    Ok(session::live(tx.session(appid, openid)?, now))
}

/// The kf account a request names, `None` when malformed or unknown.
fn named_kf(tx: &mut dyn Tx, app: &App, raw: &str) -> Result<Option<KfRecord>, ApiError> {
    match KfAccount::parse(raw, &app.wechat_id) {
        Some(account) => Ok(tx.kf(&app.appid, &account)?),
        None => Ok(None),
    }
}

/// What `create` and `close` decide on: the named account, the follower
/// and the follower's open session (each `None` when missing).
struct Parties {
    kf: Option<KfRecord>,
    fan: Option<Fan>,
    current: Option<Session>,
}

fn parties(tx: &mut dyn Tx, appid: &AppId, req: &KfSessionRequest, now: Timestamp) -> Result<Parties, ApiError> {
    let app = enabled_app(tx, appid)?;
    let kf = named_kf(tx, &app, &req.kf_account)?;
    let openid = OpenId::new(req.openid.clone());
    Ok(Parties {
        kf,
        fan: tx.fan(appid, &openid)?,
        current: live_session(tx, appid, &openid, now)?,
    })
}

/// `kfsession/create`: 65401, 65402, 65415, 40003, then idempotent success
/// or 65414. A waiting follower leaves the queue.
pub(crate) async fn create(state: &AppState, caller: &AppId, req: KfSessionRequest) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .write(move |tx| {
            let p = parties(tx, &appid, &req, now)?;
            match session::check_create(p.kf.as_ref(), p.fan.as_ref(), p.current.as_ref(), now)? {
                CreateOutcome::Exists => Ok(()),
                CreateOutcome::Open(s) => {
                    tx.delete_waitcase(&appid, &s.openid)?;
                    Ok(tx.put_session(&s)?)
                }
            }
        })
        .await
}

/// `kfsession/close`: 65401, 40003, 65413, 65414.
pub(crate) async fn close(state: &AppState, caller: &AppId, req: KfSessionRequest) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .write(move |tx| {
            let p = parties(tx, &appid, &req, now)?;
            session::check_close(p.kf.as_ref(), p.fan.as_ref(), p.current.as_ref())?;
            Ok(tx.delete_session(&appid, &OpenId::new(req.openid.clone()))?)
        })
        .await
}

/// `getsession?openid=`: 40003 for a user the app does not know; an empty
/// `kf_account` (and `createtime` 0) without a session.
pub(crate) async fn get(state: &AppState, caller: &AppId, openid: String) -> Result<KfSessionInfo, ApiError> {
    let (appid, now, openid) = (caller.clone(), state.now(), OpenId::new(openid));
    state
        .store
        .read(move |tx| {
            enabled_app(tx, &appid)?;
            tx.fan(&appid, &openid)?.ok_or(ErrCode::InvalidOpenId)?;
            let info = match live_session(tx, &appid, &openid, now)? {
                Some(s) => KfSessionInfo {
                    createtime: s.created_at.0,
                    kf_account: s.kf_account.to_string(),
                },
                None => KfSessionInfo {
                    createtime: 0,
                    kf_account: String::new(),
                },
            };
            Ok(info)
        })
        .await
}

/// `getsessionlist?kf_account=`: 65401, 65402; the account's open sessions,
/// oldest first.
pub(crate) async fn list(state: &AppState, caller: &AppId, kf_account: String) -> Result<SessionList, ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .read(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let kf = find_kf(tx, &app, &kf_account)?;
            if kf.worker.is_none() {
                return Err(ErrCode::KfNotBound.into());
            }
            let sessionlist = tx
                .sessions(&appid)?
                .into_iter()
                .filter(|s| s.kf_account == kf.account && s.is_live(now))
                .map(|s| SessionItem {
                    createtime: s.created_at.0,
                    openid: s.openid.to_string(),
                })
                .collect();
            Ok(SessionList { sessionlist })
        })
        .await
}

/// `getwaitcase`: the total, and the earliest 100 in arrival order.
pub(crate) async fn wait_cases(state: &AppState, caller: &AppId) -> Result<WaitCaseList, ApiError> {
    let appid = caller.clone();
    state
        .store
        .read(move |tx| {
            enabled_app(tx, &appid)?;
            let queue = tx.waitcases(&appid)?;
            let waitcaselist = queue
                .iter()
                .take(WAITCASE_PAGE)
                .map(|w| WaitCaseItem {
                    latest_time: w.latest_time.0,
                    openid: w.openid.to_string(),
                })
                .collect();
            Ok(WaitCaseList {
                count: queue.len() as i64,
                waitcaselist,
            })
        })
        .await
}
