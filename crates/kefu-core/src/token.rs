//! The access-token lifecycle.
//!
//! `cgi-bin/token` issues a new token on every call; the one it replaces keeps
//! working for [`OVERLAP_SECS`] more, then answers 40001. `stable_token` hands
//! back the same token until its last five minutes, when it issues a new one
//! and lets the old run to its own expiry; a forced refresh replaces it at once.
//! The two kinds never touch each other.

use crate::errcode::ErrCode;
use crate::ids::{AccessToken, AppId, Timestamp};

/// Lifetime of every token (`expires_in`).
pub const TTL_SECS: i64 = 7200;
/// How long a replaced `cgi-bin/token` token keeps working.
pub const OVERLAP_SECS: i64 = 300;
/// `stable_token` renews when a token has this little life left.
pub const STABLE_RENEW_SECS: i64 = 300;
/// Forced stable refreshes closer together than this return the current token.
pub const STABLE_FORCE_GAP_SECS: i64 = 30;

/// Which endpoint issued a token; the families are independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `GET /cgi-bin/token`.
    Plain,
    /// `POST /cgi-bin/stable_token`.
    Stable,
    /// `component_access_token` of a third-party platform (`appid` is the
    /// component's appid).
    Component,
    /// `authorizer_access_token`: a component acting for an app (`via` names
    /// the component).
    Authorizer,
}

const KINDS: [(TokenKind, &str); 4] = [
    (TokenKind::Plain, "plain"),
    (TokenKind::Stable, "stable"),
    (TokenKind::Component, "component"),
    (TokenKind::Authorizer, "authorizer"),
];

impl TokenKind {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        KINDS.iter().find(|(k, _)| *k == self).map_or("", |(_, n)| n)
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<TokenKind> {
        KINDS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }
}

/// One issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token itself.
    pub token: AccessToken,
    /// The app it acts for.
    pub appid: AppId,
    /// Which family issued it.
    pub kind: TokenKind,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it expires (42001 from then on).
    pub expires_at: Timestamp,
    /// From this instant on it is "not latest" (40001): set when replaced.
    pub invalid_after: Option<Timestamp>,
    /// The component an authorizer token acts through.
    pub via: Option<AppId>,
}

impl TokenRecord {
    /// A fresh token issued at `now`.
    pub fn issue(token: AccessToken, appid: AppId, kind: TokenKind, now: Timestamp) -> Self {
        TokenRecord {
            token,
            appid,
            kind,
            issued_at: now,
            expires_at: now.plus(TTL_SECS),
            invalid_after: None,
            via: None,
        }
    }

    /// Whether the token may be used at `now`: replaced past its overlap is
    /// 40001 (checked first), past its lifetime 42001.
    pub fn check(&self, now: Timestamp) -> Result<(), ErrCode> {
        if self.invalid_after.is_some_and(|t| now >= t) {
            return Err(ErrCode::InvalidCredential);
        }
        if now >= self.expires_at {
            return Err(ErrCode::AccessTokenExpired);
        }
        Ok(())
    }

    /// Seconds of life left at `now` (`expires_in`).
    pub fn expires_in(&self, now: Timestamp) -> i64 {
        self.expires_at.since(now).max(0)
    }

    /// Marks the token replaced at `now`, usable for `grace` more seconds
    /// (never extending an earlier replacement).
    pub fn replace(&mut self, now: Timestamp, grace: i64) {
        let until = now.plus(grace);
        self.invalid_after = Some(self.invalid_after.map_or(until, |t| t.min(until)));
    }
}

/// What a `stable_token` call does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StableDecision {
    /// Hand back the current token unchanged.
    Reuse,
    /// Issue a new token; when `invalidate_current`, the current one stops at once.
    Issue {
        /// Whether the current token is invalidated immediately (forced refresh).
        invalidate_current: bool,
    },
}

/// Decides a `stable_token` call from the app's current stable token and the
/// time of its last forced refresh.
pub fn stable_decision(
    current: Option<&TokenRecord>,
    force: bool,
    last_forced: Option<Timestamp>,
    now: Timestamp,
) -> StableDecision {
    let usable = current.filter(|t| t.check(now).is_ok());
    if force {
        let too_soon = last_forced.is_some_and(|t| now.since(t) < STABLE_FORCE_GAP_SECS);
        if usable.is_some() && too_soon {
            return StableDecision::Reuse;
        }
        return StableDecision::Issue {
            invalidate_current: true,
        };
    }
    match usable {
        Some(t) if t.expires_in(now) > STABLE_RENEW_SECS => StableDecision::Reuse,
        _ => StableDecision::Issue {
            invalidate_current: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: TokenKind, at: i64) -> TokenRecord {
        TokenRecord::issue(AccessToken::new("t"), AppId::new("wx"), kind, Timestamp(at))
    }

    #[test]
    fn a_token_lives_7200_seconds() {
        let t = rec(TokenKind::Plain, 0);
        assert_eq!(t.check(Timestamp(7199)), Ok(()));
        assert_eq!(t.check(Timestamp(7200)), Err(ErrCode::AccessTokenExpired));
    }

    #[test]
    fn a_replaced_token_works_five_more_minutes_then_is_not_latest() {
        let mut t = rec(TokenKind::Plain, 0);
        t.replace(Timestamp(100), OVERLAP_SECS);
        assert_eq!(t.check(Timestamp(399)), Ok(()));
        assert_eq!(t.check(Timestamp(400)), Err(ErrCode::InvalidCredential));
    }

    #[test]
    fn not_latest_wins_over_expired() {
        let mut t = rec(TokenKind::Plain, 0);
        t.replace(Timestamp(100), OVERLAP_SECS);
        assert_eq!(t.check(Timestamp(9000)), Err(ErrCode::InvalidCredential));
    }

    #[test]
    fn a_second_replacement_never_extends_the_first() {
        let mut t = rec(TokenKind::Plain, 0);
        t.replace(Timestamp(100), 0);
        t.replace(Timestamp(200), OVERLAP_SECS);
        assert_eq!(t.invalid_after, Some(Timestamp(100)));
    }

    #[test]
    fn stable_reuses_until_the_last_five_minutes() {
        let t = rec(TokenKind::Stable, 0);
        assert_eq!(
            stable_decision(Some(&t), false, None, Timestamp(6899)),
            StableDecision::Reuse
        );
        assert_eq!(
            stable_decision(Some(&t), false, None, Timestamp(6900)),
            StableDecision::Issue {
                invalidate_current: false
            }
        );
        assert_eq!(
            stable_decision(None, false, None, Timestamp(0)),
            StableDecision::Issue {
                invalidate_current: false
            }
        );
    }

    #[test]
    fn forced_refresh_within_thirty_seconds_returns_the_current_token() {
        let t = rec(TokenKind::Stable, 0);
        assert_eq!(
            stable_decision(Some(&t), true, Some(Timestamp(0)), Timestamp(29)),
            StableDecision::Reuse
        );
        assert_eq!(
            stable_decision(Some(&t), true, Some(Timestamp(0)), Timestamp(30)),
            StableDecision::Issue {
                invalidate_current: true
            }
        );
        assert_eq!(
            stable_decision(Some(&t), true, None, Timestamp(1)),
            StableDecision::Issue {
                invalidate_current: true
            }
        );
    }
}
