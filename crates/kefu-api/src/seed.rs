//! The seed file of `kefu serve --seed FILE`: the world kefu starts from,
//! in JSON. Its shape mirrors the control API's request bodies (an app is
//! `POST /_kefu/apps` plus `PATCH`'s whitelist and quotas, its callback is
//! `PUT …/callback`, a component is `POST /_kefu/components` plus its
//! authorizations). Unknown fields are refused, so a typo cannot pass
//! unnoticed.

use crate::control::Quota;
use crate::control_push::CallbackSettings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Apps (official accounts, mini programs...).
    #[serde(default)]
    pub apps: Vec<SeedApp>,
    /// Third-party platforms and the apps that authorized them.
    #[serde(default)]
    pub components: Vec<SeedComponent>,
}

/// One app; what it leaves out keeps its stored (or default) value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedApp {
    /// The appid.
    pub appid: String,
    /// The AppSecret (generated for a new app when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `official_account`, `service_account` (default), `mini_program`, `mini_game`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Certified (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified: Option<bool>,
    /// The WeChat ID, the suffix of every kf account.
    pub wechat_id: String,
    /// New customer service switched on (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kf_enabled: Option<bool>,
    /// Kf accounts.
    #[serde(default)]
    pub kf: Vec<SeedKf>,
    /// Followers and visitors.
    #[serde(default)]
    pub fans: Vec<SeedFan>,
    /// Push settings, saved without the URL handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackSettings>,
    /// Addresses allowed to ask for tokens (`[]`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_whitelist: Option<Vec<String>>,
    /// Quotas by endpoint path; `null` for a path removes its quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotas: Option<BTreeMap<String, Option<Quota>>>,
}

/// One kf account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedKf {
    /// `prefix@wechat_id`.
    pub kf_account: String,
    /// Nickname (1-16 characters).
    pub nickname: String,
    /// The bound WeChat user, as after an accepted invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// The worker is logged in (needs `worker`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<bool>,
}

/// One follower (or, with `subscribed: false`, a visitor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFan {
    /// The openid.
    pub openid: String,
    /// Follows now (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<bool>,
}

/// One third-party platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedComponent {
    /// Its appid.
    pub component_appid: String,
    /// Its secret (generated for a new one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_appsecret: Option<String>,
    /// Addresses allowed to ask for component tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_whitelist: Option<Vec<String>>,
    /// The apps that authorized it.
    #[serde(default)]
    pub authorizations: Vec<SeedAuthorization>,
}

/// One app's authorization of a component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAuthorization {
    /// The merchant's app.
    pub appid: String,
    /// The permission sets granted.
    #[serde(default)]
    pub permission_sets: Vec<i64>,
}

pub use crate::control::Seeded;
