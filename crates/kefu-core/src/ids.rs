//! Identifier newtypes. Each one is validated (or trusted) once, at the edge,
//! so that a bare `String` never has to be second-guessed deeper in.

use std::fmt;

/// Seconds since the Unix epoch on kefu's virtual clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant `secs` seconds after this one.
    pub fn plus(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// A message's id (`msgid` in chat records, `MsgId` in pushes): ascending
/// across the whole server, starting at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MsgId(pub i64);

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value that has already been checked (or needs no check).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as it goes on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An app's `appid` (`wx` followed by 16 hex digits when kefu makes one).
    AppId
);
string_id!(
    /// A follower's `openid`, unique within one app.
    OpenId
);
string_id!(
    /// A full kf account, `prefix@wechat_id`, as stored (already validated).
    KfAccount
);
string_id!(
    /// A personal WeChat ID (微信号): the worker who binds a kf account.
    WechatId
);
string_id!(
    /// An access token (opaque, URL-safe, at least 100 characters).
    AccessToken
);

impl KfAccount {
    /// Parses `prefix@suffix` where the prefix is 1-10 of `[A-Za-z0-9_]` and the
    /// suffix is exactly the app's own WeChat ID. `None` when malformed.
    pub fn parse(raw: &str, app_wechat_id: &str) -> Option<KfAccount> {
        let (prefix, suffix) = raw.split_once('@')?;
        let prefix_ok =
            (1..=10).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        (prefix_ok && suffix == app_wechat_id).then(|| KfAccount(raw.to_owned()))
    }
}

impl WechatId {
    /// A WeChat ID is 6-20 characters: a letter, then letters, digits, `_` or `-`.
    pub fn parse(raw: &str) -> Option<WechatId> {
        let bytes = raw.as_bytes();
        let ok = (6..=20).contains(&bytes.len())
            && bytes[0].is_ascii_alphabetic()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-');
        ok.then(|| WechatId(raw.to_owned()))
    }
}

impl AccessToken {
    /// Tokens kefu issues are 100-512 characters of `[A-Za-z0-9_-]`; anything
    /// else cannot be one of ours and is rejected before a lookup (40014).
    pub fn looks_valid(raw: &str) -> bool {
        (100..=512).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kf_account_needs_a_short_word_prefix_and_the_apps_wechat_id() {
        assert!(KfAccount::parse("test1@test", "test").is_some());
        assert!(KfAccount::parse("a_b_c_1234@test", "test").is_some());
        assert!(KfAccount::parse("a_b_c_12345@test", "test").is_none());
        assert!(KfAccount::parse("@test", "test").is_none());
        assert!(KfAccount::parse("te-st@test", "test").is_none());
        assert!(KfAccount::parse("test1@other", "test").is_none());
        assert!(KfAccount::parse("test1", "test").is_none());
    }

    #[test]
    fn wechat_id_is_six_to_twenty_starting_with_a_letter() {
        assert!(WechatId::parse("worker_1").is_some());
        assert!(WechatId::parse("a-b-c-d").is_some());
        assert!(WechatId::parse("abcde").is_none());
        assert!(WechatId::parse("1abcdef").is_none());
        assert!(WechatId::parse("abcdefghijklmnopqrstu").is_none());
        assert!(WechatId::parse("abc def").is_none());
    }

    #[test]
    fn timestamps_add_and_subtract() {
        assert_eq!(Timestamp(10).plus(5), Timestamp(15));
        assert_eq!(Timestamp(10).since(Timestamp(4)), 6);
    }
}
