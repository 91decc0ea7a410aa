//! The control side: apps, followers, the invited users and workers, the
//! virtual clock and reset. Rules still come from `kefu-core`.

use crate::error::ControlError;
use crate::gen;
use crate::state::AppState;
use kefu_api::control as c;
use kefu_core::app::{AccountType, App};
use kefu_core::ids::{AppId, KfAccount, WechatId};
use kefu_core::kf::KfRecord;
use kefu_core::queue::WaitCase;
use kefu_core::quota::QuotaRule;
use kefu_core::session::{self, Fan, Session};
use kefu_core::token::TokenKind;
use kefu_core::whitelist::Whitelist;
use kefu_core::window::Grant;
use kefu_core::Timestamp;
use kefu_store::{HeadImage, StoreError, Tx};

type CResult<T> = Result<T, ControlError>;

pub(crate) fn app_info(a: &App) -> c::AppInfo {
    c::AppInfo {
        appid: a.appid.to_string(),
        secret: a.secret.clone(),
        account_type: a.account_type.as_str().into(),
        certified: a.certified,
        wechat_id: a.wechat_id.clone(),
        original_id: a.original_id.clone(),
        kf_enabled: a.kf_enabled,
        ip_whitelist: a.ip_whitelist.entries(),
        quotas: a
            .quotas
            .iter()
            .map(|r| {
                let q = c::Quota {
                    daily: r.daily,
                    per_minute: r.per_minute,
                };
                (r.path.clone(), q)
            })
            .collect(),
    }
}

fn account_type(name: Option<&str>) -> CResult<Option<AccountType>> {
    name.map(|n| AccountType::parse(n).ok_or_else(|| ControlError::BadRequest(format!("unknown account_type {n:?}"))))
        .transpose()
}

pub(super) fn load_app(tx: &mut dyn Tx, appid: &AppId) -> CResult<App> {
    tx.app(appid)?.ok_or(ControlError::NotFound("app"))
}

pub(crate) fn new_app(req: &c::CreateApp, now: Timestamp) -> CResult<App> {
    let wechat_id = req.wechat_id.clone().unwrap_or_else(gen::wechat_id);
    let id_ok = |s: &str| {
        !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if !id_ok(&wechat_id) || req.appid.as_deref().is_some_and(|a| !id_ok(a)) {
        return Err(ControlError::BadRequest(
            "appid and wechat_id are 1-32 of [A-Za-z0-9_-]".into(),
        ));
    }
    Ok(App {
        appid: AppId::new(req.appid.clone().unwrap_or_else(gen::appid)),
        secret: req.secret.clone().filter(|s| !s.is_empty()).unwrap_or_else(gen::secret),
        account_type: account_type(req.account_type.as_deref())?.unwrap_or(AccountType::ServiceAccount),
        certified: req.certified.unwrap_or(true),
        wechat_id,
        original_id: gen::original_id(),
        kf_enabled: true,
        next_kf_id: 1001,
        created_at: now,
        ip_whitelist: Whitelist::default(),
        quotas: Vec::new(),
    })
}

/// `POST /_kefu/apps`.
pub(crate) async fn create_app(state: &AppState, req: c::CreateApp) -> CResult<c::AppInfo> {
    let app = new_app(&req, state.now())?;
    state
        .store
        .write(move |tx| {
            if tx.app(&app.appid)?.is_some() {
                return Err(ControlError::Conflict(
                    "app_exists",
                    format!("app {} exists", app.appid),
                ));
            }
            tx.put_app(&app)?;
            Ok(app_info(&app))
        })
        .await
}

/// `GET /_kefu/apps`.
pub(crate) async fn list_apps(state: &AppState) -> CResult<Vec<c::AppInfo>> {
    state
        .store
        .read(|tx| Ok(tx.apps()?.iter().map(app_info).collect()))
        .await
}

/// `PATCH /_kefu/apps/{appid}`.
pub(crate) async fn patch_app(state: &AppState, appid: String, req: c::PatchApp) -> CResult<c::AppInfo> {
    let new_type = account_type(req.account_type.as_deref())?;
    let appid = AppId::new(appid);
    let patched = state
        .store
        .write(move |tx| {
            let mut app = load_app(tx, &appid)?;
            app.certified = req.certified.unwrap_or(app.certified);
            app.account_type = new_type.unwrap_or(app.account_type);
            app.kf_enabled = req.kf_enabled.unwrap_or(app.kf_enabled);
            if let Some(list) = &req.ip_whitelist {
                app.ip_whitelist = checked_whitelist(list)?;
            }
            if let Some(changes) = &req.quotas {
                app.quotas = patched_quotas(&app.quotas, changes)?;
            }
            tx.put_app(&app)?;
            Ok::<_, ControlError>(app_info(&app))
        })
        .await?;
    // Type and certification are part of every cached credential check.
    state.credentials.invalidate();
    Ok(patched)
}

/// Whitelist entries must be addresses or CIDR ranges (400 otherwise).
pub(super) fn checked_whitelist(list: &[String]) -> CResult<Whitelist> {
    Whitelist::parse(list)
        .map_err(|bad| ControlError::BadRequest(format!("{bad:?} is not an IP address or CIDR range")))
}

/// The app's quota rules after a PATCH: each key must be a documented
/// endpoint path; `null` removes that path's rule.
pub(super) fn patched_quotas(
    current: &[QuotaRule],
    changes: &std::collections::BTreeMap<String, Option<c::Quota>>,
) -> CResult<Vec<QuotaRule>> {
    let mut rules: Vec<QuotaRule> = current.to_vec();
    for (path, change) in changes {
        if kefu_core::endpoint::find(path).is_none() {
            return Err(ControlError::BadRequest(format!("{path:?} is not an endpoint path")));
        }
        rules.retain(|r| &r.path != path);
        if let Some(q) = change.filter(|q| q.daily.is_some() || q.per_minute.is_some()) {
            rules.push(QuotaRule {
                path: path.clone(),
                daily: q.daily,
                per_minute: q.per_minute,
            });
        }
    }
    Ok(rules)
}

fn kf_state(k: &KfRecord, cases: &[(KfAccount, u32)], now: Timestamp) -> c::KfState {
    let inv = k.invitation.as_ref();
    c::KfState {
        kf_account: k.account.to_string(),
        kf_id: k.kf_id,
        nickname: k.nickname.clone(),
        worker: k.worker.as_ref().map(ToString::to_string),
        online: k.online,
        invite_wx: inv.map(|i| i.wx.to_string()),
        invite_expire_time: inv.map(|i| i.expire_time.0),
        invite_status: inv.map(|i| i.status(now).as_str().into()),
        accepted_case: cases
            .iter()
            .find(|(a, _)| *a == k.account)
            .map_or(0, |(_, n)| i64::from(*n)),
    }
}

pub(super) fn fan_state(f: &Fan) -> c::FanState {
    let window = |g: Grant| c::WindowState {
        left: g.left,
        until: g.until.0,
    };
    c::FanState {
        openid: f.openid.to_string(),
        subscribed: f.subscribed,
        followed_at: f.followed_at.0,
        ever_followed: f.ever_followed,
        message_window: window(f.contact.message),
        event_window: window(f.contact.event),
        typing_until: f.contact.typing_until.map(|t| t.0),
    }
}

pub(super) fn session_state(s: &Session) -> c::SessionState {
    c::SessionState {
        openid: s.openid.to_string(),
        kf_account: s.kf_account.to_string(),
        createtime: s.created_at.0,
        last_msg_at: s.last_msg_at.0,
        closes_at: s.closes_at().0,
    }
}

pub(super) fn wait_state(w: &WaitCase) -> c::WaitState {
    c::WaitState {
        openid: w.openid.to_string(),
        kf_account: w.kf_account.as_ref().map(ToString::to_string),
        arrived_at: w.arrived_at.0,
        latest_time: w.latest_time.0,
    }
}

/// Entries of each list `GET /_kefu/apps/{appid}` returns by default...
pub(crate) const DEFAULT_LIST: u32 = 1000;
/// ...and at most.
pub(crate) const MAX_LIST: u32 = 10_000;

/// The list limit a caller asked for: 400 outside 1..=[`MAX_LIST`].
pub(crate) fn list_limit(asked: Option<&str>) -> CResult<u32> {
    let Some(asked) = asked else { return Ok(DEFAULT_LIST) };
    match asked.parse::<u32>() {
        Ok(n) if (1..=MAX_LIST).contains(&n) => Ok(n),
        _ => Err(ControlError::BadRequest(format!(
            "limit: a number from 1 to {MAX_LIST}"
        ))),
    }
}

/// `GET /_kefu/apps/{appid}`: the app's state, each list cut at `limit`.
/// Read on a blocking thread: a large app must not hold up the async
/// workers that answer the API.
pub(crate) async fn app_state(state: &AppState, appid: String, limit: u32) -> CResult<c::AppState> {
    let (appid, now) = (AppId::new(appid), state.now());
    off_the_workers(state, move |tx| {
        let app = load_app(tx, &appid)?;
        let cases = tx.accepted_cases(&appid, session::live_since(now))?;
        let fans = tx.fans_after(&appid, "", limit + 1)?;
        let sessions: Vec<_> = tx.sessions(&appid)?.into_iter().filter(|s| s.is_live(now)).collect();
        let waiting = tx.waitcases(&appid)?;
        let cut = limit as usize;
        Ok(c::AppState {
            app: app_info(&app),
            kf_accounts: tx.kfs(&appid)?.iter().map(|k| kf_state(k, &cases, now)).collect(),
            truncated: fans.len() > cut || sessions.len() > cut || waiting.len() > cut,
            followers: fans.iter().take(cut).map(fan_state).collect(),
            sessions: sessions.iter().take(cut).map(session_state).collect(),
            waiting: waiting.iter().take(cut).map(wait_state).collect(),
            tokens: token_states(tx, &appid)?,
        })
    })
    .await
}

/// The lifetimes of the app's current `cgi-bin/token` and `stable_token`.
fn token_states(tx: &mut dyn Tx, appid: &AppId) -> CResult<Vec<c::TokenState>> {
    let mut states = Vec::new();
    for (kind, endpoint) in [(TokenKind::Plain, "token"), (TokenKind::Stable, "stable_token")] {
        if let Some(t) = tx.current_token(appid, kind)? {
            states.push(c::TokenState {
                endpoint: endpoint.into(),
                issued_at: t.issued_at.0,
                expires_at: t.expires_at.0,
            });
        }
    }
    Ok(states)
}

/// `GET /_kefu/apps/{appid}/fans`: followers after `after`, `limit` of them.
pub(crate) async fn fan_page(state: &AppState, appid: String, after: String, limit: u32) -> CResult<c::FanPage> {
    let appid = AppId::new(appid);
    off_the_workers(state, move |tx| {
        load_app(tx, &appid)?;
        let mut fans = tx.fans_after(&appid, &after, limit + 1)?;
        let more = fans.len() > limit as usize;
        fans.truncate(limit as usize);
        Ok(c::FanPage {
            next: fans.last().filter(|_| more).map(|f| f.openid.to_string()),
            followers: fans.iter().map(fan_state).collect(),
        })
    })
    .await
}

/// Runs a read on a blocking thread (SQLite reads run where they are
/// called), so that it cannot hold up the async workers.
async fn off_the_workers<T, F>(state: &AppState, f: F) -> CResult<T>
where
    T: Send + 'static,
    F: FnMut(&mut dyn Tx) -> CResult<T> + Send + 'static,
{
    let store = state.store.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(store.read(f)))
        .await
        .unwrap_or_else(|e| {
            Err(ControlError::Store(StoreError::Backend(format!(
                "read task failed: {e}"
            ))))
        })
}

/// What the human side does to one kf account.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KfAction {
    /// The invited user accepts.
    Accept,
    /// The invited user declines.
    Reject,
    /// The worker logs in or out.
    Online(bool),
}

/// Invitation answers and worker status.
pub(crate) async fn kf_action(
    state: &AppState,
    appid: String,
    account: String,
    action: KfAction,
) -> CResult<c::KfState> {
    let (appid, account, now, limits) = (
        AppId::new(appid),
        KfAccount::new(account),
        state.now(),
        state.config.limits,
    );
    state
        .store
        .write(move |tx| {
            load_app(tx, &appid)?;
            let mut rec = tx.kf(&appid, &account)?.ok_or(ControlError::NotFound("kf account"))?;
            match action {
                KfAction::Accept => {
                    let wx = rec.invitation.as_ref().map(|i| i.wx.clone());
                    let bindings = match wx {
                        Some(wx) => tx.bindings(&wx)?,
                        None => 0,
                    };
                    rec.accept_invitation(bindings, &limits, now)?
                }
                KfAction::Reject => rec.reject_invitation(now)?,
                KfAction::Online(on) => rec.set_online(on)?,
            }
            tx.put_kf(&rec)?;
            let cases = tx.accepted_cases(&appid, session::live_since(now))?;
            Ok(kf_state(&rec, &cases, now))
        })
        .await
}

/// `PUT /_kefu/wechat-users/{wx}`: mark a WeChat ID as (non-)existent.
pub(crate) async fn set_wechat_user(state: &AppState, wx: String, req: c::WechatUser) -> CResult<c::WechatUser> {
    let wx = WechatId::new(wx);
    state
        .store
        .write(move |tx| {
            tx.set_wx_invalid(&wx, !req.exists)?;
            Ok(req)
        })
        .await
}

/// The avatar stored for a kf account.
pub(crate) async fn head_image(state: &AppState, appid: String, account: String) -> CResult<HeadImage> {
    let (appid, account) = (AppId::new(appid), KfAccount::new(account));
    state
        .store
        .read(move |tx| tx.headimg(&appid, &account)?.ok_or(ControlError::NotFound("avatar")))
        .await
}
