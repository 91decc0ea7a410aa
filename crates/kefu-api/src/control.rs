//! kefu's control API under `/_kefu/`: the human side (invited users,
//! workers, followers) and the test harness (clock, reset).

use serde::{Deserialize, Serialize};

pub use crate::control_state::{
    AppState, FanPage, FanState, KfState, SessionState, TokenState, WaitState, WindowState,
};

/// Every control error: an HTTP status plus this body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlError {
    /// A stable, machine-readable code (`app_not_found`, ...).
    pub error: String,
    /// A sentence for people.
    pub message: String,
}

/// `POST /_kefu/apps` body; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateApp {
    /// Chosen appid (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Chosen secret (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `official_account`, `service_account` (default), `mini_program`, `mini_game`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Certified (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified: Option<bool>,
    /// The account's WeChat ID, the kf account suffix (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_id: Option<String>,
}

/// `PATCH /_kefu/apps/{appid}` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatchApp {
    /// New certification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified: Option<bool>,
    /// New account type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Switch the new customer service on or off (off: 65400 everywhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kf_enabled: Option<bool>,
    /// Addresses allowed to ask for tokens (`[]`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_whitelist: Option<Vec<String>>,
    /// Quotas by endpoint path; `null` for a path removes its quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = quota_changes))]
    pub quotas: Option<std::collections::BTreeMap<String, Option<Quota>>>,
}

/// The schema of [`PatchApp::quotas`]: an object of [`Quota`]s by path, a
/// value `null` removing one. Written by hand because the derive cannot
/// put an optional value under `additionalProperties`; `Quota` itself is
/// listed through [`AppInfo`].
#[cfg(feature = "openapi")]
fn quota_changes() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
    let null = ObjectBuilder::new().schema_type(Type::Null);
    let value = OneOfBuilder::new()
        .item(null)
        .item(utoipa::openapi::Ref::from_schema_name("Quota"))
        .build();
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .description(Some("Quotas by endpoint path; `null` for a path removes its quota."))
        .additional_properties(Some(Schema::OneOf(value)))
        .build()
}

/// One endpoint's quota for one app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quota {
    /// Calls a day (45009 beyond).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily: Option<u32>,
    /// Calls a minute (45011 beyond).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
}

/// An app's settings and credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppInfo {
    /// The appid.
    pub appid: String,
    /// The AppSecret.
    pub secret: String,
    /// Account type name.
    pub account_type: String,
    /// Certified or not.
    pub certified: bool,
    /// The kf account suffix.
    pub wechat_id: String,
    /// `gh_...`.
    pub original_id: String,
    /// New customer service switched on.
    pub kf_enabled: bool,
    /// Addresses allowed to ask for tokens (empty: any).
    pub ip_whitelist: Vec<String>,
    /// Configured quotas by endpoint path.
    pub quotas: std::collections::BTreeMap<String, Quota>,
}

/// `POST /_kefu/apps/{appid}/waitcase` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enqueue {
    /// The follower.
    pub openid: String,
    /// Hand them to this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kf_account: Option<String>,
}

/// `POST /_kefu/apps/{appid}/fans/{openid}/messages` body: the follower writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowerMessage {
    /// `text`, `image`, `voice` or `video`.
    pub msgtype: String,
    /// The text (`text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The media (others; generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}

/// Answer to a message written on the human side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sent {
    /// The message's id (`MsgId` in pushes, `msgid` in records).
    pub msgid: i64,
}

/// `POST /_kefu/apps/{appid}/fans/{openid}/events` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowerEvent {
    /// `subscribe`, `unsubscribe`, `SCAN` or `CLICK`.
    pub event: String,
    /// The scene or menu key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_key: Option<String>,
}

/// `POST /_kefu/apps/{appid}/kf/{kf_account}/accept` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accept {
    /// This follower, or the earliest waiting one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
}

/// `POST /_kefu/apps/{appid}/kf/{kf_account}/messages` body: the worker replies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerMessage {
    /// The follower.
    pub openid: String,
    /// The reply.
    pub text: String,
}

/// `POST /_kefu/apps/{appid}/kf/{kf_account}/transfer` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    /// The follower.
    pub openid: String,
    /// The account that takes over.
    pub to: String,
}

/// `POST /_kefu/apps/{appid}/kf/{kf_account}/close` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloseSession {
    /// The follower.
    pub openid: String,
}

/// One message in `GET /_kefu/apps/{appid}/fans/{openid}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageState {
    /// Its id.
    pub msgid: i64,
    /// 2002 to the follower, 2003 from the follower.
    pub opercode: i64,
    /// The kf account involved, if any.
    pub worker: Option<String>,
    /// The message type.
    pub msgtype: String,
    /// The record text.
    pub text: String,
    /// The message's fields.
    pub detail: serde_json::Value,
    /// When.
    pub time: i64,
}

/// `POST /_kefu/apps/{appid}/fans` body and answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Follow {
    /// Chosen openid (generated, 28 characters, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// `false` makes a visitor: a user the app knows (through web
    /// authorization) who never followed. Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<bool>,
}

/// Answer to a follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Followed {
    /// The follower's openid.
    pub openid: String,
}

/// `PUT /_kefu/apps/{appid}/kf/{kf_account}/status` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerStatus {
    /// Logged in to the kf client or not.
    pub online: bool,
}

/// `PUT /_kefu/wechat-users/{wx}` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WechatUser {
    /// `false` makes `inviteworker` answer 65409 for this WeChat ID.
    pub exists: bool,
}

/// `POST /_kefu/clock/advance` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Advance {
    /// Seconds to move the virtual clock forward.
    pub seconds: i64,
}

/// `POST /_kefu/reset` answer: what the reset brought back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetDone {
    /// The demo app, back with the same appid and secret (and nothing else
    /// of it); absent when the store had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo_app: Option<AppInfo>,
    /// What the seed kefu was started with brought back; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeded: Option<Seeded>,
}

/// `GET /_kefu/clock` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Clock {
    /// The virtual now (unix seconds).
    pub now: i64,
    /// Seconds the virtual clock runs ahead of the real one.
    pub offset: i64,
    /// Whether it stands still between advances (`--frozen-clock`) rather
    /// than following real time.
    #[serde(default)]
    pub frozen: bool,
}

/// `GET /_kefu/health` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`, or `unavailable` when a write cannot commit now.
    pub status: String,
    /// Storage backend name.
    pub store: String,
}

/// What a seed brought (back): `POST /_kefu/reset`'s `seeded`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Seeded {
    /// Apps the seed declares.
    pub apps: usize,
    /// Components the seed declares.
    pub components: usize,
}
