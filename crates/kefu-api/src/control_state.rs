//! What the control API shows of an app's state: its kf accounts,
//! followers, sessions, queue and token lifetimes (`GET /_kefu/apps/{appid}`
//! and the follower routes). Re-exported from [`crate::control`].

use crate::control::AppInfo;
use serde::{Deserialize, Serialize};

/// A kf account as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfState {
    /// `prefix@wechat_id`.
    pub kf_account: String,
    /// Number within the app.
    pub kf_id: i64,
    /// Nickname.
    pub nickname: String,
    /// Bound worker.
    pub worker: Option<String>,
    /// Worker online.
    pub online: bool,
    /// Invited WeChat ID.
    pub invite_wx: Option<String>,
    /// Invitation expiry.
    pub invite_expire_time: Option<i64>,
    /// `waiting`, `rejected`, `expired`.
    pub invite_status: Option<String>,
    /// Sessions held.
    pub accepted_case: i64,
}

/// A follower as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FanState {
    /// The openid.
    pub openid: String,
    /// Follows now.
    pub subscribed: bool,
    /// Last follow time.
    pub followed_at: i64,
    /// Whether the user ever followed (a visitor never did).
    pub ever_followed: bool,
    /// What the follower's last message allows (5 within 48 hours).
    pub message_window: WindowState,
    /// What the last follow, scan or click allows (3 within a minute).
    pub event_window: WindowState,
    /// The typing indicator the follower sees shows until then (unix
    /// seconds; in the past once it ended); none when never shown.
    #[serde(default)]
    pub typing_until: Option<i64>,
}

/// One send window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowState {
    /// Messages the app may still send.
    pub left: u32,
    /// The window ends then (unix seconds; in the past when closed).
    pub until: i64,
}

/// An open session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionState {
    /// The follower.
    pub openid: String,
    /// The serving account.
    pub kf_account: String,
    /// When it opened.
    pub createtime: i64,
    /// Its last message (it closes 30 minutes later).
    pub last_msg_at: i64,
    /// When it closes unless a message comes first.
    #[serde(default)]
    pub closes_at: i64,
}

/// `GET /_kefu/apps/{appid}`: the app's whole state, each list cut at the
/// `limit` parameter (default 1000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppState {
    /// Settings and credentials.
    pub app: AppInfo,
    /// Kf accounts by `kf_id`.
    pub kf_accounts: Vec<KfState>,
    /// Followers, in openid order (all of them: `GET …/fans` pages).
    pub followers: Vec<FanState>,
    /// Open sessions.
    pub sessions: Vec<SessionState>,
    /// Followers waiting for a kf, in arrival order.
    pub waiting: Vec<WaitState>,
    /// Whether a list was cut at the limit.
    #[serde(default)]
    pub truncated: bool,
    /// The app's current access tokens' lifetimes (`cgi-bin/token`,
    /// `stable_token`); the tokens themselves are not shown.
    #[serde(default)]
    pub tokens: Vec<TokenState>,
}

/// The lifetime of an app's current access token of one family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenState {
    /// `token` (`cgi-bin/token`) or `stable_token`.
    pub endpoint: String,
    /// When it was issued (unix seconds).
    pub issued_at: i64,
    /// When it expires (42001 from then on).
    pub expires_at: i64,
}

/// `GET /_kefu/apps/{appid}/fans?after=&limit=`: a page of followers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FanPage {
    /// Followers whose openid sorts after `after`, in openid order.
    pub followers: Vec<FanState>,
    /// The `after` of the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A follower in the waiting queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitState {
    /// The follower.
    pub openid: String,
    /// The account they were handed to, if one was named.
    pub kf_account: Option<String>,
    /// When they joined the queue.
    pub arrived_at: i64,
    /// Their last message.
    pub latest_time: i64,
}
