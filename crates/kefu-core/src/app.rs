//! An app: the Official Account, Service Account, Mini Program or MiniGame
//! whose credentials call the API.

use crate::ids::{AppId, Timestamp};
use crate::quota::QuotaRule;
use crate::whitelist::Whitelist;

/// The kinds of account WeChat's scope tables distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// 公众号 (formerly subscription account).
    OfficialAccount,
    /// 服务号.
    ServiceAccount,
    /// 小程序.
    MiniProgram,
    /// 小游戏.
    MiniGame,
}

impl AccountType {
    /// Every account type.
    pub const ALL: [AccountType; 4] = [
        AccountType::OfficialAccount,
        AccountType::ServiceAccount,
        AccountType::MiniProgram,
        AccountType::MiniGame,
    ];

    /// The name used by the control API.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::OfficialAccount => "official_account",
            AccountType::ServiceAccount => "service_account",
            AccountType::MiniProgram => "mini_program",
            AccountType::MiniGame => "mini_game",
        }
    }

    /// Parses a control-API name.
    pub fn parse(s: &str) -> Option<AccountType> {
        AccountType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One app and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The app's id.
    pub appid: AppId,
    /// The AppSecret that `cgi-bin/token` checks.
    pub secret: String,
    /// What kind of account this is.
    pub account_type: AccountType,
    /// Whether the account is certified (认证); many kf endpoints require it.
    pub certified: bool,
    /// The account's WeChat ID, the suffix of its kf accounts.
    pub wechat_id: String,
    /// The original id (`gh_...`), `ToUserName` in pushes.
    pub original_id: String,
    /// Whether the new customer service is switched on (else 65400).
    pub kf_enabled: bool,
    /// The `kf_id` the next kf account gets (starts at 1001).
    pub next_kf_id: i64,
    /// When the app was created.
    pub created_at: Timestamp,
    /// Addresses allowed to ask for tokens with the AppSecret (empty: any).
    pub ip_whitelist: Whitelist,
    /// Configured call quotas, by endpoint path.
    pub quotas: Vec<QuotaRule>,
}
