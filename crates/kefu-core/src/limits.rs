//! Limits the WeChat documentation leaves open, with kefu's defaults.
//! The server takes them from its configuration and passes them in.

/// Tunable limits, passed into the rules that need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Seconds an invitation stays `waiting` before it reads `expired`.
    pub invite_ttl_secs: i64,
    /// How many kf accounts (across all apps) one WeChat user may bind (65410).
    pub max_bindings_per_worker: u32,
    /// Kf accounts one app may have (65405).
    pub max_kf_accounts: u32,
    /// `cgi-bin/token` calls per app per day (45009).
    pub token_daily: u32,
    /// `stable_token` calls per app per minute (45011).
    pub stable_token_per_minute: u32,
    /// Forced `stable_token` refreshes per app per day (45009).
    pub stable_force_daily: u32,
    /// `clear_quota` calls per app per calendar month (48006).
    pub clear_quota_monthly: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            invite_ttl_secs: 7 * 24 * 3600,
            max_bindings_per_worker: 5,
            max_kf_accounts: 100,
            token_daily: 2000,
            stable_token_per_minute: 10_000,
            stable_force_daily: 20,
            clear_quota_monthly: 10,
        }
    }
}
