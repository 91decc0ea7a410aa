//! Third-party platforms (components): their verify tickets, the apps that
//! authorize them with a set of permission sets, and the refresh tokens that
//! rotate with every `api_authorizer_token` call.
//!
//! A component acts for an app only while the app's authorization stands and
//! only on endpoints whose permission sets include one the app granted
//! (61007). Revoking the authorization kills every authorizer token of the
//! pair (40001) and every refresh token (61003 for the pair, as it is no
//! longer authorized).

use crate::credential::same_secret;
use crate::errcode::ErrCode;
use crate::ids::{AccessToken, AppId, Timestamp};
use crate::whitelist::Whitelist;

/// How long a `component_verify_ticket` stays valid (61005 after).
pub const TICKET_TTL_SECS: i64 = 12 * 3600;
/// How often WeChat pushes a component a new ticket.
pub const TICKET_PUSH_SECS: i64 = 10 * 60;

/// Whether a component whose latest ticket is `latest` gets a new one at
/// `now` (at once when it has none).
pub fn ticket_due(latest: Option<&Ticket>, now: Timestamp) -> bool {
    latest.is_none_or(|t| now.since(t.issued_at) >= TICKET_PUSH_SECS)
}
/// How long a rotated `authorizer_refresh_token` keeps working.
pub const REFRESH_OVERLAP_SECS: i64 = 300;

/// A third-party platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// `component_appid`.
    pub appid: AppId,
    /// `component_appsecret`.
    pub secret: String,
    /// Addresses allowed to ask for a component token (empty: any).
    pub ip_whitelist: Whitelist,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A pushed `component_verify_ticket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The component it was pushed to.
    pub component: AppId,
    /// The ticket's value.
    pub ticket: String,
    /// When it was pushed.
    pub issued_at: Timestamp,
}

impl Ticket {
    /// 61005 once the ticket is 12 hours old.
    pub fn check(&self, now: Timestamp) -> Result<(), ErrCode> {
        if now.since(self.issued_at) >= TICKET_TTL_SECS {
            return Err(ErrCode::ComponentTicketExpired);
        }
        Ok(())
    }
}

/// An app's authorization of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The component.
    pub component: AppId,
    /// The authorizing app (the merchant).
    pub appid: AppId,
    /// The permission-set ids granted.
    pub perm_sets: Vec<u32>,
    /// When the app (last) authorized after not being authorized.
    pub authorized_at: Timestamp,
    /// The current `authorizer_refresh_token`.
    pub refresh_token: String,
    /// The one it replaced, and until when that one still works.
    pub previous_refresh: Option<(String, Timestamp)>,
    /// The pair's latest `authorizer_access_token`.
    pub current_token: Option<AccessToken>,
}

impl Authorization {
    /// A new authorization at `now`.
    pub fn new(component: AppId, appid: AppId, perm_sets: Vec<u32>, refresh: String, now: Timestamp) -> Self {
        Authorization {
            component,
            appid,
            perm_sets,
            authorized_at: now,
            refresh_token: refresh,
            previous_refresh: None,
            current_token: None,
        }
    }

    /// Whether any of an endpoint's permission sets was granted.
    pub fn grants(&self, endpoint_sets: &[u32]) -> bool {
        endpoint_sets.iter().any(|s| self.perm_sets.contains(s))
    }

    /// Replaces the refresh token; the old one works [`REFRESH_OVERLAP_SECS`] more.
    pub fn rotate_refresh(&mut self, fresh: String, now: Timestamp) {
        let old = std::mem::replace(&mut self.refresh_token, fresh);
        self.previous_refresh = Some((old, now.plus(REFRESH_OVERLAP_SECS)));
    }

    /// 61023 unless `presented` is the current refresh token, or the one it
    /// replaced within its overlap.
    pub fn check_refresh(&self, presented: &str, now: Timestamp) -> Result<(), ErrCode> {
        let current = !presented.is_empty() && same_secret(presented, &self.refresh_token);
        let previous = self
            .previous_refresh
            .as_ref()
            .is_some_and(|(old, until)| same_secret(presented, old) && now < *until);
        if current || previous {
            Ok(())
        } else {
            Err(ErrCode::RefreshTokenInvalid)
        }
    }
}

/// The permission sets a control call may grant: positive ids, each once.
pub fn normalize_sets(sets: &[i64]) -> Option<Vec<u32>> {
    let mut out: Vec<u32> = Vec::new();
    for s in sets {
        let id = u32::try_from(*s).ok().filter(|id| *id > 0)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_ticket_is_due_every_ten_minutes() {
        let t = Ticket {
            component: AppId::new("wxc"),
            ticket: "t".into(),
            issued_at: Timestamp(1000),
        };
        assert!(ticket_due(None, Timestamp(0)));
        assert!(!ticket_due(Some(&t), Timestamp(1000 + TICKET_PUSH_SECS - 1)));
        assert!(ticket_due(Some(&t), Timestamp(1000 + TICKET_PUSH_SECS)));
    }

    fn auth() -> Authorization {
        Authorization::new(
            AppId::new("wxc"),
            AppId::new("wxa"),
            vec![1, 6],
            "r1".into(),
            Timestamp(0),
        )
    }

    #[test]
    fn tickets_last_twelve_hours() {
        let t = Ticket {
            component: AppId::new("wxc"),
            ticket: "t".into(),
            issued_at: Timestamp(0),
        };
        assert_eq!(t.check(Timestamp(TICKET_TTL_SECS - 1)), Ok(()));
        assert_eq!(
            t.check(Timestamp(TICKET_TTL_SECS)),
            Err(ErrCode::ComponentTicketExpired)
        );
    }

    #[test]
    fn any_one_granted_set_allows_an_endpoint() {
        let a = auth();
        assert!(a.grants(&[1, 6, 19, 100, 101]));
        assert!(a.grants(&[6]));
        assert!(!a.grants(&[19, 100, 101]));
        assert!(!a.grants(&[]));
    }

    #[test]
    fn a_rotated_refresh_token_works_five_more_minutes() {
        let mut a = auth();
        a.rotate_refresh("r2".into(), Timestamp(100));
        assert_eq!(a.check_refresh("r2", Timestamp(100)), Ok(()));
        assert_eq!(a.check_refresh("r1", Timestamp(399)), Ok(()));
        assert_eq!(a.check_refresh("r1", Timestamp(400)), Err(ErrCode::RefreshTokenInvalid));
        assert_eq!(a.check_refresh("", Timestamp(100)), Err(ErrCode::RefreshTokenInvalid));
        a.rotate_refresh("r3".into(), Timestamp(200));
        assert_eq!(a.check_refresh("r1", Timestamp(201)), Err(ErrCode::RefreshTokenInvalid));
    }

    #[test]
    fn permission_sets_are_positive_and_unique() {
        assert_eq!(normalize_sets(&[1, 6, 6, 100]), Some(vec![1, 6, 100]));
        assert_eq!(normalize_sets(&[0]), None);
        assert_eq!(normalize_sets(&[-1]), None);
        assert_eq!(normalize_sets(&[]), Some(vec![]));
    }
}
