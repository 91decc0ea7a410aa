//! Applying a checked seed inside one write transaction. Generated values
//! (secrets, `gh_` ids, refresh tokens) are made beforehand, so that a
//! re-run of the closure writes the same rows; rows that already hold the
//! declared values are not written again.

use super::{check, Broken, SeedError};
use crate::gen;
use crate::service::apps::{checked_whitelist, new_app, patched_quotas};
use crate::service::sessions::{current_session, end};
use kefu_api::control::CreateApp;
use kefu_api::seed::{Seed, SeedApp, SeedComponent, SeedFan, SeedKf};
use kefu_core::app::{AccountType, App};
use kefu_core::callback::CallbackConfig;
use kefu_core::ids::{AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::KfRecord;
use kefu_core::limits::Limits;
use kefu_core::platform::{normalize_sets, Authorization, Component};
use kefu_core::session::Fan;
use kefu_core::window::Trigger;
use kefu_core::Timestamp;
use kefu_store::{StoreError, Tx};

/// A seed with the values a first apply generates.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) seed: Seed,
    /// Each app as it is made when the store lacks it.
    apps: Vec<Option<App>>,
    /// Each component's secret when the store lacks it.
    secrets: Vec<String>,
    /// Each authorization's first refresh token.
    refresh: Vec<Vec<String>>,
}

/// Makes the generated values of `seed` (checked already).
pub(crate) fn prepare(seed: &Seed, now: Timestamp) -> Prepared {
    let apps = seed
        .apps
        .iter()
        .map(|a| {
            let req = CreateApp {
                appid: Some(a.appid.clone()),
                secret: a.secret.clone(),
                account_type: a.account_type.clone(),
                certified: a.certified,
                wechat_id: Some(a.wechat_id.clone()),
            };
            new_app(&req, now).ok()
        })
        .collect();
    Prepared {
        seed: seed.clone(),
        apps,
        secrets: seed.components.iter().map(|_| gen::secret()).collect(),
        refresh: seed
            .components
            .iter()
            .map(|c| c.authorizations.iter().map(|_| gen::refresh_token()).collect())
            .collect(),
    }
}

/// Why an apply failed: a rule the store breaks, or the store.
#[derive(Debug)]
pub(crate) enum Failed {
    Broken(Broken),
    Store(StoreError),
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Failed::Store(e)
    }
}

impl From<Broken> for Failed {
    fn from(b: Broken) -> Self {
        Failed::Broken(b)
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Broken(b) => write!(f, "the seed: {}: {}", b.path, b.rule),
            Failed::Store(e) => write!(f, "{e}"),
        }
    }
}

impl Failed {
    pub(super) fn in_file(self, file: &str) -> SeedError {
        match self {
            Failed::Broken(b) => b.in_file(file),
            Failed::Store(e) => SeedError::Store(e),
        }
    }
}

fn broken(path: String, rule: String) -> Failed {
    Failed::Broken(Broken { path, rule })
}

/// What an apply changed that matters after the commit.
pub(crate) struct Applied {
    /// Push settings saved anew.
    pub(crate) callbacks: Vec<CallbackConfig>,
}

/// Brings the store to the seed: apps first (with their accounts, followers
/// and push settings), then components and their authorizations.
pub(crate) fn apply(tx: &mut dyn Tx, p: &Prepared, limits: &Limits, now: Timestamp) -> Result<Applied, Failed> {
    let mut callbacks = Vec::new();
    for (i, (app, fresh)) in p.seed.apps.iter().zip(&p.apps).enumerate() {
        let at = format!("apps[{i}]");
        if let Some(cfg) = self::app(tx, (app, fresh.as_ref()), &at, limits, now)? {
            callbacks.push(cfg);
        }
    }
    for (i, c) in p.seed.components.iter().enumerate() {
        let at = format!("components[{i}]");
        component(tx, c, &p.secrets[i], &p.refresh[i], &at, now)?;
    }
    Ok(Applied { callbacks })
}

/// One app; answers its push settings when they were saved anew.
fn app(
    tx: &mut dyn Tx,
    (seed, fresh): (&SeedApp, Option<&App>),
    at: &str,
    limits: &Limits,
    now: Timestamp,
) -> Result<Option<CallbackConfig>, Failed> {
    let appid = AppId::new(seed.appid.clone());
    let stored = tx.app(&appid)?;
    if stored.is_none() && tx.component(&appid)?.is_some() {
        return Err(broken(
            format!("{at}.appid"),
            format!("{:?} is a stored component's appid", seed.appid),
        ));
    }
    let before = stored.clone();
    let mut app = match (stored, fresh) {
        (Some(app), _) => app,
        (None, Some(fresh)) => fresh.clone(),
        (None, None) => return Err(broken(at.into(), "cannot be made".into())),
    };
    if app.wechat_id != seed.wechat_id {
        let rule = format!("{:?}, but the stored app's is {:?}", seed.wechat_id, app.wechat_id);
        return Err(broken(format!("{at}.wechat_id"), rule));
    }
    settle(&mut app, seed, at)?;
    for (j, kf) in seed.kf.iter().enumerate() {
        self::kf(tx, &mut app, kf, &format!("{at}.kf[{j}]"), limits)?;
    }
    if before.as_ref() != Some(&app) {
        tx.put_app(&app)?;
    }
    for fan in &seed.fans {
        self::fan(tx, &app.appid, fan, now)?;
    }
    callback(tx, &app, seed, at, now)
}

/// The app's own settings, as `PATCH /_kefu/apps/{appid}` sets them.
fn settle(app: &mut App, seed: &SeedApp, at: &str) -> Result<(), Failed> {
    if let Some(secret) = seed.secret.as_ref().filter(|s| !s.is_empty()) {
        app.secret = secret.clone();
    }
    if let Some(kind) = check::account_type(seed, at)? {
        app.account_type = kind;
    }
    app.certified = seed.certified.unwrap_or(app.certified);
    app.kf_enabled = seed.kf_enabled.unwrap_or(app.kf_enabled);
    if let Some(list) = &seed.ip_whitelist {
        app.ip_whitelist = checked_whitelist(list).map_err(|e| broken(format!("{at}.ip_whitelist"), e.to_string()))?;
    }
    if let Some(changes) = &seed.quotas {
        app.quotas = patched_quotas(&app.quotas, changes).map_err(|e| broken(format!("{at}.quotas"), e.to_string()))?;
    }
    Ok(())
}

/// One kf account: made with the app's next `kf_id`, bound to its worker
/// as after an accepted invitation, online as declared.
fn kf(tx: &mut dyn Tx, app: &mut App, seed: &SeedKf, at: &str, limits: &Limits) -> Result<(), Failed> {
    let account = KfAccount::new(seed.kf_account.clone());
    let stored = tx.kf(&app.appid, &account)?;
    let mut rec = match stored.clone() {
        Some(rec) => rec,
        None => {
            if tx.kfs(&app.appid)?.len() >= limits.max_kf_accounts as usize {
                let rule = format!("the app has {} kf accounts already", limits.max_kf_accounts);
                return Err(broken(format!("{at}.kf_account"), rule));
            }
            let rec = KfRecord::new(app.appid.clone(), account, app.next_kf_id, &seed.nickname);
            app.next_kf_id += 1;
            rec
        }
    };
    rec.nickname = seed.nickname.clone();
    if let Some(wx) = &seed.worker {
        bind(tx, &mut rec, WechatId::new(wx.clone()), at, limits)?;
    }
    rec.online = seed.online.unwrap_or(rec.online);
    if stored.as_ref() != Some(&rec) {
        tx.put_kf(&rec)?;
    }
    Ok(())
}

/// Binds `wx` to the account unless it is bound already: refused when
/// another account of the app has that worker, or the worker is at the
/// binding limit.
fn bind(tx: &mut dyn Tx, rec: &mut KfRecord, wx: WechatId, at: &str, limits: &Limits) -> Result<(), Failed> {
    if rec.worker.as_ref() == Some(&wx) {
        return Ok(());
    }
    let others = tx.kfs(&rec.appid)?;
    if let Some(other) = others
        .iter()
        .find(|k| k.account != rec.account && k.worker.as_ref() == Some(&wx))
    {
        let rule = format!("{:?} is bound to {:?} already", wx.as_str(), other.account.as_str());
        return Err(broken(format!("{at}.worker"), rule));
    }
    if tx.bindings(&wx)? >= limits.max_bindings_per_worker {
        let rule = format!(
            "{:?} is bound to {} accounts already (the limit)",
            wx.as_str(),
            limits.max_bindings_per_worker
        );
        return Err(broken(format!("{at}.worker"), rule));
    }
    rec.worker = Some(wx);
    rec.invitation = None;
    rec.online = false;
    Ok(())
}

/// One follower: made as following (or as a visitor), or brought to the
/// declared subscription; an unfollow ends the follower's session.
fn fan(tx: &mut dyn Tx, appid: &AppId, seed: &SeedFan, now: Timestamp) -> Result<(), Failed> {
    let openid = OpenId::new(seed.openid.clone());
    let subscribed = seed.subscribed.unwrap_or(true);
    let fan = match tx.fan(appid, &openid)? {
        None if subscribed => Fan::following(appid.clone(), openid.clone(), now),
        None => Fan {
            subscribed: false,
            ever_followed: false,
            ..Fan::following(appid.clone(), openid.clone(), now)
        },
        Some(fan) if fan.subscribed == subscribed => return Ok(()),
        Some(mut fan) if subscribed => {
            fan.subscribed = true;
            fan.ever_followed = true;
            fan.followed_at = now;
            fan.contact.open(Trigger::Event, now);
            fan
        }
        Some(mut fan) => {
            fan.subscribed = false;
            fan.contact.close();
            tx.delete_waitcase(appid, &openid)?;
            if let Some(s) = current_session(tx, appid, &openid, now)? {
                end(tx, &s, now)?;
            }
            fan
        }
    };
    Ok(tx.put_fan(&fan)?)
}

/// The push settings, saved when they differ from the stored ones.
fn callback(
    tx: &mut dyn Tx,
    app: &App,
    seed: &SeedApp,
    at: &str,
    now: Timestamp,
) -> Result<Option<CallbackConfig>, Failed> {
    let Some(cb) = &seed.callback else { return Ok(None) };
    let kind: AccountType = app.account_type;
    let mut cfg = check::callback_config(cb, app.appid.clone(), kind, &format!("{at}.callback"))?;
    let stored = tx.callback(&app.appid)?;
    if let Some(s) = stored {
        cfg.updated_at = s.updated_at;
        if s == cfg {
            return Ok(None);
        }
    }
    cfg.updated_at = now;
    tx.put_callback(&cfg)?;
    Ok(Some(cfg))
}

/// One component and the apps that authorized it.
fn component(
    tx: &mut dyn Tx,
    seed: &SeedComponent,
    secret: &str,
    refresh: &[String],
    at: &str,
    now: Timestamp,
) -> Result<(), Failed> {
    let appid = AppId::new(seed.component_appid.clone());
    let stored = tx.component(&appid)?;
    if stored.is_none() && tx.app(&appid)?.is_some() {
        let rule = format!("{:?} is a stored app's appid", seed.component_appid);
        return Err(broken(format!("{at}.component_appid"), rule));
    }
    let mut c = stored.clone().unwrap_or_else(|| Component {
        appid: appid.clone(),
        secret: secret.to_owned(),
        ip_whitelist: Default::default(),
        created_at: now,
    });
    if let Some(s) = seed.component_appsecret.as_ref().filter(|s| !s.is_empty()) {
        c.secret = s.clone();
    }
    if let Some(list) = &seed.ip_whitelist {
        c.ip_whitelist = checked_whitelist(list).map_err(|e| broken(format!("{at}.ip_whitelist"), e.to_string()))?;
    }
    if stored.as_ref() != Some(&c) {
        tx.put_component(&c)?;
    }
    for (j, a) in seed.authorizations.iter().enumerate() {
        let path = format!("{at}.authorizations[{j}]");
        let app = AppId::new(a.appid.clone());
        if tx.app(&app)?.is_none() {
            let rule = format!("{:?} is neither an app of this file nor a stored app", a.appid);
            return Err(broken(format!("{path}.appid"), rule));
        }
        let sets = normalize_sets(&a.permission_sets).unwrap_or_default();
        let auth = match tx.authorization(&appid, &app)? {
            Some(auth) if auth.perm_sets == sets => continue,
            Some(auth) => Authorization {
                perm_sets: sets,
                ..auth
            },
            None => Authorization::new(appid.clone(), app, sets, refresh[j].clone(), now),
        };
        tx.put_authorization(&auth)?;
    }
    Ok(())
}
