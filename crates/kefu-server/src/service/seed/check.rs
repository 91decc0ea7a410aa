//! The rules a seed file must keep before anything of it is applied: those
//! that need only the file (the store's own are checked while applying).
//! Each broken rule names the place in the file (`apps[1].kf[0].kf_account`).

use super::Broken;
use crate::service::apps::checked_whitelist;
use crate::service::followers::writable;
use kefu_api::seed::{Seed, SeedApp, SeedComponent, SeedKf};
use kefu_core::app::AccountType;
use kefu_core::callback::{self, CallbackConfig, Format, Mode};
use kefu_core::ids::{AppId, KfAccount, Timestamp, WechatId};
use kefu_core::kf::check_nickname;
use kefu_core::limits::Limits;
use kefu_core::platform::normalize_sets;

type Checked = Result<(), Broken>;

fn broken(path: impl Into<String>, rule: impl Into<String>) -> Broken {
    Broken {
        path: path.into(),
        rule: rule.into(),
    }
}

/// Every rule of the file, in the file's order; the first broken one.
pub(super) fn seed(s: &Seed, limits: &Limits) -> Checked {
    for (i, app) in s.apps.iter().enumerate() {
        let at = format!("apps[{i}]");
        if let Some(j) = s.apps[..i].iter().position(|a| a.appid == app.appid) {
            return Err(broken(format!("{at}.appid"), format!("{:?} also apps[{j}]", app.appid)));
        }
        self::app(app, &at, limits)?;
    }
    for (i, c) in s.components.iter().enumerate() {
        let at = format!("components[{i}]");
        let id = &c.component_appid;
        if let Some(j) = s.components[..i].iter().position(|o| &o.component_appid == id) {
            return Err(broken(
                format!("{at}.component_appid"),
                format!("{id:?} also components[{j}]"),
            ));
        }
        if let Some(j) = s.apps.iter().position(|a| &a.appid == id) {
            return Err(broken(
                format!("{at}.component_appid"),
                format!("{id:?} is apps[{j}]'s appid"),
            ));
        }
        component(c, &at)?;
    }
    Ok(())
}

/// An appid or WeChat ID: 1-32 of `[A-Za-z0-9_-]`, as `POST /_kefu/apps` wants.
fn id(path: String, value: &str) -> Checked {
    let ok = !value.is_empty()
        && value.len() <= 32
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        return Ok(());
    }
    Err(broken(path, format!("{value:?} must be 1-32 of [A-Za-z0-9_-]")))
}

/// The account type declared, or the default of a new app.
pub(super) fn account_type(app: &SeedApp, at: &str) -> Result<Option<AccountType>, Broken> {
    app.account_type
        .as_deref()
        .map(|t| {
            AccountType::parse(t)
                .ok_or_else(|| broken(format!("{at}.account_type"), format!("unknown account_type {t:?}")))
        })
        .transpose()
}

fn app(app: &SeedApp, at: &str, limits: &Limits) -> Checked {
    id(format!("{at}.appid"), &app.appid)?;
    id(format!("{at}.wechat_id"), &app.wechat_id)?;
    let kind = account_type(app, at)?.unwrap_or(AccountType::ServiceAccount);
    if let Some(list) = &app.ip_whitelist {
        checked_whitelist(list).map_err(|e| broken(format!("{at}.ip_whitelist"), e.to_string()))?;
    }
    if let Some(quotas) = &app.quotas {
        crate::service::apps::patched_quotas(&[], quotas).map_err(|e| broken(format!("{at}.quotas"), e.to_string()))?;
    }
    if app.kf.len() > limits.max_kf_accounts as usize {
        let rule = format!(
            "{} accounts, more than the {} an app may have",
            app.kf.len(),
            limits.max_kf_accounts
        );
        return Err(broken(format!("{at}.kf"), rule));
    }
    for (j, kf) in app.kf.iter().enumerate() {
        self::kf(app, kf, &format!("{at}.kf[{j}]"), j)?;
    }
    for (j, fan) in app.fans.iter().enumerate() {
        let path = format!("{at}.fans[{j}].openid");
        if fan.openid.is_empty() {
            return Err(broken(path, "must not be empty"));
        }
        writable("openid", &fan.openid).map_err(|e| broken(path.clone(), e.to_string()))?;
        if let Some(k) = app.fans[..j].iter().position(|f| f.openid == fan.openid) {
            return Err(broken(path, format!("{:?} also {at}.fans[{k}]", fan.openid)));
        }
    }
    if let Some(cb) = &app.callback {
        callback_config(cb, AppId::new(app.appid.clone()), kind, &format!("{at}.callback"))?;
    }
    Ok(())
}

fn kf(app: &SeedApp, kf: &SeedKf, at: &str, j: usize) -> Checked {
    let raw = &kf.kf_account;
    if KfAccount::parse(raw, &app.wechat_id).is_none() {
        let suffix = &app.wechat_id;
        let rule = match raw.split_once('@') {
            Some((_, s)) if s != suffix => format!("{raw:?} must end with \"@{suffix}\" (the app's wechat_id)"),
            _ => format!("{raw:?} must be 1-10 of [A-Za-z0-9_], then \"@{suffix}\""),
        };
        return Err(broken(format!("{at}.kf_account"), rule));
    }
    if let Some(k) = app.kf[..j].iter().position(|o| &o.kf_account == raw) {
        return Err(broken(
            format!("{at}.kf_account"),
            format!("{raw:?} also {}.kf[{k}]", app_of(at)),
        ));
    }
    if check_nickname(&kf.nickname).is_err() {
        let rule = format!("{:?} must be 1-16 characters, not only white space", kf.nickname);
        return Err(broken(format!("{at}.nickname"), rule));
    }
    match &kf.worker {
        None if kf.online.is_some() => Err(broken(
            format!("{at}.online"),
            "needs a worker (an account without one cannot go online)",
        )),
        None => Ok(()),
        Some(wx) => worker(app, wx, at, j),
    }
}

fn worker(app: &SeedApp, wx: &str, at: &str, j: usize) -> Checked {
    if WechatId::parse(wx).is_none() {
        let rule = format!("{wx:?} is not a WeChat ID (6-20 characters: a letter, then letters, digits, _ or -)");
        return Err(broken(format!("{at}.worker"), rule));
    }
    match app.kf[..j].iter().position(|o| o.worker.as_deref() == Some(wx)) {
        Some(k) => Err(broken(
            format!("{at}.worker"),
            format!(
                "{wx:?} also {}.kf[{k}] (a worker binds one account of an app)",
                app_of(at)
            ),
        )),
        None => Ok(()),
    }
}

/// `apps[1]` of `apps[1].kf[0]`.
fn app_of(at: &str) -> &str {
    at.split_once('.').map_or(at, |(app, _)| app)
}

/// The push settings as `PUT …/callback` would save them, checked as it
/// checks them (the URL handshake aside).
pub(super) fn callback_config(
    cb: &kefu_api::control_push::CallbackSettings,
    appid: AppId,
    kind: AccountType,
    at: &str,
) -> Result<CallbackConfig, Broken> {
    let mode = cb.mode.as_deref().unwrap_or("plaintext");
    let format = cb.format.as_deref().unwrap_or("xml");
    let config = CallbackConfig {
        appid,
        url: cb.url.clone(),
        token: cb.token.clone(),
        encoding_aes_key: cb.encoding_aes_key.clone().filter(|k| !k.is_empty()),
        mode: Mode::parse(mode).ok_or_else(|| broken(format!("{at}.mode"), format!("unknown mode {mode:?}")))?,
        format: Format::parse(format)
            .ok_or_else(|| broken(format!("{at}.format"), format!("unknown format {format:?}")))?,
        updated_at: Timestamp(0),
    };
    callback::check(&config, Some(kind)).map_err(|e| broken(at, e.to_string()))?;
    Ok(config)
}

fn component(c: &SeedComponent, at: &str) -> Checked {
    id(format!("{at}.component_appid"), &c.component_appid)?;
    if let Some(list) = &c.ip_whitelist {
        checked_whitelist(list).map_err(|e| broken(format!("{at}.ip_whitelist"), e.to_string()))?;
    }
    for (j, a) in c.authorizations.iter().enumerate() {
        let path = format!("{at}.authorizations[{j}]");
        if normalize_sets(&a.permission_sets).is_none() {
            return Err(broken(
                format!("{path}.permission_sets"),
                "permission sets are positive ids",
            ));
        }
        if let Some(k) = c.authorizations[..j].iter().position(|o| o.appid == a.appid) {
            return Err(broken(
                format!("{path}.appid"),
                format!("{:?} also {at}.authorizations[{k}]", a.appid),
            ));
        }
    }
    Ok(())
}
