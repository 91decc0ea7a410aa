//! Requests and responses of the WeChat customer-service API.
//!
//! Request string fields default to empty when absent: WeChat treats a missing
//! field like an empty one and fails the check that names it.

use serde::{Deserialize, Serialize};

/// `{"errcode":N,"errmsg":"..."}`: every action's answer and every error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    /// 0 on success.
    pub errcode: i64,
    /// `ok`, or the documented text with ` rid: ...`.
    pub errmsg: String,
}

/// `cgi-bin/token` and `stable_token` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessTokenResponse {
    /// The token.
    pub access_token: String,
    /// Seconds of life left.
    pub expires_in: i64,
}

/// `POST /cgi-bin/stable_token` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StableTokenRequest {
    /// Must be `client_credential`.
    #[serde(default)]
    pub grant_type: String,
    /// The app.
    #[serde(default)]
    pub appid: String,
    /// The AppSecret.
    #[serde(default)]
    pub secret: String,
    /// Forced refresh.
    #[serde(default)]
    pub force_refresh: bool,
}

/// `POST /cgi-bin/clear_quota` body (`/v2` adds `appsecret`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClearQuotaRequest {
    /// The app whose quotas are cleared.
    #[serde(default)]
    pub appid: String,
    /// The AppSecret (`clear_quota/v2` only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub appsecret: String,
}

/// `kfaccount/add` and `kfaccount/update` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfAccountRequest {
    /// `prefix@wechat_id`.
    #[serde(default)]
    pub kf_account: String,
    /// Display name, 1-16 characters.
    #[serde(default)]
    pub nickname: String,
}

/// `kfaccount/del` body (the JSON shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfAccountRef {
    /// The account.
    #[serde(default)]
    pub kf_account: String,
}

/// `kfaccount/inviteworker` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteWorkerRequest {
    /// The account to bind.
    #[serde(default)]
    pub kf_account: String,
    /// The invited WeChat ID.
    #[serde(default)]
    pub invite_wx: String,
}

/// `kfsession/create` (and `close`) body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfSessionRequest {
    /// The serving account.
    #[serde(default)]
    pub kf_account: String,
    /// The follower.
    #[serde(default)]
    pub openid: String,
}

/// `getkflist` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfList {
    /// Every kf account of the app.
    pub kf_list: Vec<KfInfo>,
}

/// One `kf_list` item. Bound accounts carry `kf_wx`; unbound ones with an
/// invitation carry the `invite_*` fields instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfInfo {
    /// `prefix@wechat_id`.
    pub kf_account: String,
    /// Avatar URL (empty when none was uploaded).
    pub kf_headimgurl: String,
    /// Number within the app (a JSON number).
    pub kf_id: i64,
    /// Nickname.
    pub kf_nick: String,
    /// The bound worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kf_wx: Option<String>,
    /// The invited WeChat ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_wx: Option<String>,
    /// When the invitation expires (unix seconds, a JSON number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_expire_time: Option<i64>,
    /// `waiting`, `rejected` or `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_status: Option<String>,
}

/// `getonlinekflist` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfOnlineList {
    /// Bound accounts whose worker is online.
    pub kf_online_list: Vec<KfOnlineInfo>,
}

/// One `kf_online_list` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfOnlineInfo {
    /// `prefix@wechat_id`.
    pub kf_account: String,
    /// 1 = online (web).
    pub status: i64,
    /// Number within the app.
    pub kf_id: i64,
    /// Sessions the account is serving now.
    pub accepted_case: i64,
}
