//! Session control on the WeChat side: create, close, and the three reads
//! (a follower's session, an account's sessions, the waiting queue).

use super::{enabled_app, find_kf, outbox};
use crate::error::ApiError;
use crate::state::AppState;
use kefu_api::conversation::{KfSessionInfo, SessionItem, SessionList, WaitCaseItem, WaitCaseList};
use kefu_api::wechat::KfSessionRequest;
use kefu_core::app::App;
use kefu_core::ids::{AppId, KfAccount, OpenId};
use kefu_core::kf::KfRecord;
use kefu_core::push::PushEvent;
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

/// The follower's session as of `now`, inside a write: an idle one is
/// closed here, and its `kf_close_session` pushed at the moment it timed out.
pub(crate) fn current_session(
    tx: &mut dyn Tx,
    appid: &AppId,
    openid: &OpenId,
    now: Timestamp,
) -> Result<Option<Session>, StoreError> {
    match tx.session(appid, openid)? {
        Some(s) if !s.is_live(now) => {
            end(tx, &s, s.closes_at())?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Closes a session and pushes `kf_close_session` as of `at`; whether a
/// push was queued.
pub(crate) fn end(tx: &mut dyn Tx, s: &Session, at: Timestamp) -> Result<bool, StoreError> {
    tx.delete_session(&s.appid, &s.openid)?;
    let event = PushEvent::KfCloseSession {
        kf: s.kf_account.clone(),
    };
    outbox::push(tx, &s.appid, &s.openid, at, event)
}

/// Opens a session (the follower leaves the queue) and pushes
/// `kf_create_session`; whether a push was queued.
pub(crate) fn begin(tx: &mut dyn Tx, s: &Session) -> Result<bool, StoreError> {
    tx.delete_waitcase(&s.appid, &s.openid)?;
    tx.put_session(s)?;
    let event = PushEvent::KfCreateSession {
        kf: s.kf_account.clone(),
    };
    outbox::push(tx, &s.appid, &s.openid, s.created_at, event)
}

/// Most idle sessions one sweep closes.
const SWEEP_BATCH: u32 = 500;

/// Closes the sessions (of every app) that have been idle for 30 minutes,
/// pushing `kf_close_session` for each, a batch per write until none is
/// left (sessions that went idle together, after a busy hour or a clock
/// advance, close in seconds, not at one batch a second); answers how many
/// closed.
pub(crate) async fn sweep_idle(state: &AppState) -> Result<usize, StoreError> {
    let now = state.now();
    let mut total = 0;
    loop {
        let (closed, full) = sweep_batch(state, now).await?;
        if closed > 0 {
            // Each batch's pushes go out while the next is made.
            state.pushes.wake();
        }
        total += closed;
        if !full {
            break;
        }
        // Requests go on between batches.
        tokio::task::yield_now().await;
    }
    Ok(total)
}

/// One batch of [`sweep_idle`]: how many closed, and whether the batch was
/// full (more may be idle).
async fn sweep_batch(state: &AppState, now: Timestamp) -> Result<(usize, bool), StoreError> {
    let before = session::live_since(now);
    // A read first: most sweeps find nothing and need no write.
    let idle = state
        .store
        .read(move |tx| tx.idle_sessions(before, SWEEP_BATCH))
        .await?;
    let full = idle.len() == SWEEP_BATCH as usize;
    if idle.is_empty() {
        return Ok((0, false));
    }
    let closed = state
        .store
        .write(move |tx| {
            let mut closed = 0;
            for s in &idle {
                // Another instance may have closed it, or a message revived it.
                if let Some(cur) = tx.session(&s.appid, &s.openid)?.filter(|cur| !cur.is_live(now)) {
                    end(tx, &cur, cur.closes_at())?;
                    closed += 1;
                }
            }
            Ok::<_, StoreError>(closed)
        })
        .await?;
    Ok((closed, full))
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
        current: current_session(tx, appid, &openid, now)?,
    })
}

/// `kfsession/create`: 65401, 65402, 65415, 40003, then idempotent success
/// or 65414. A waiting follower leaves the queue.
pub(crate) async fn create(state: &AppState, caller: &AppId, req: KfSessionRequest) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    let queued = state
        .store
        .write(move |tx| {
            let p = parties(tx, &appid, &req, now)?;
            match session::check_create(p.kf.as_ref(), p.fan.as_ref(), p.current.as_ref(), now)? {
                CreateOutcome::Exists => Ok::<_, ApiError>(false),
                CreateOutcome::Open(s) => Ok(begin(tx, &s)?),
            }
        })
        .await?;
    if queued {
        state.pushes.wake();
    }
    Ok(())
}

/// `kfsession/close`: 65401, 40003, 65413, 65414.
pub(crate) async fn close(state: &AppState, caller: &AppId, req: KfSessionRequest) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    let queued = state
        .store
        .write(move |tx| {
            let p = parties(tx, &appid, &req, now)?;
            session::check_close(p.kf.as_ref(), p.fan.as_ref(), p.current.as_ref())?;
            match &p.current {
                Some(s) => Ok::<_, ApiError>(end(tx, s, now)?),
                None => Ok(false),
            }
        })
        .await?;
    if queued {
        state.pushes.wake();
    }
    Ok(())
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
