//! Followers and the sessions that join them to a kf account.
//!
//! A follower is in at most one session at a time; a kf account's
//! `accepted_case` is the number of sessions it holds, derived, never stored.

use crate::errcode::ErrCode;
use crate::ids::{AppId, KfAccount, OpenId, Timestamp};
use crate::kf::KfRecord;

/// A user who follows (or followed) an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fan {
    /// The app followed.
    pub appid: AppId,
    /// The user's openid within that app.
    pub openid: OpenId,
    /// Whether the user follows the app now.
    pub subscribed: bool,
    /// When the user last followed.
    pub followed_at: Timestamp,
}

/// An open session between a follower and a kf account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The app.
    pub appid: AppId,
    /// The follower served.
    pub openid: OpenId,
    /// The kf account serving.
    pub kf_account: KfAccount,
    /// When the session was accepted (`createtime`).
    pub created_at: Timestamp,
}

/// What `kfsession/create` does when its checks pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The session already exists: success, nothing changes.
    Exists,
    /// A new session opens.
    Open(Session),
}

/// Checks `kfsession/create` after the account lookup, in the contract's order:
/// 65401 (no such account), 65402, 65415, 40003, then idempotent success or 65414.
pub fn check_create(
    kf: Option<&KfRecord>,
    fan: Option<&Fan>,
    current: Option<&Session>,
    now: Timestamp,
) -> Result<CreateOutcome, ErrCode> {
    let kf = kf.ok_or(ErrCode::InvalidKfAccount)?;
    if kf.worker.is_none() {
        return Err(ErrCode::KfNotBound);
    }
    if !kf.online {
        return Err(ErrCode::WorkerOffline);
    }
    let fan = fan.filter(|f| f.subscribed).ok_or(ErrCode::InvalidOpenId)?;
    match current {
        Some(s) if s.kf_account == kf.account => Ok(CreateOutcome::Exists),
        Some(_) => Err(ErrCode::ServedByAnother),
        None => Ok(CreateOutcome::Open(Session {
            appid: fan.appid.clone(),
            openid: fan.openid.clone(),
            kf_account: kf.account.clone(),
            created_at: now,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::WechatId;

    fn kf(bound: bool, online: bool) -> KfRecord {
        KfRecord {
            worker: bound.then(|| WechatId::new("worker_1")),
            online,
            ..KfRecord::new(AppId::new("wx"), KfAccount::new("a@test"), 1001, "A")
        }
    }

    fn fan(subscribed: bool) -> Fan {
        Fan {
            appid: AppId::new("wx"),
            openid: OpenId::new("o1"),
            subscribed,
            followed_at: Timestamp(0),
        }
    }

    fn session(kf: &str) -> Session {
        Session {
            appid: AppId::new("wx"),
            openid: OpenId::new("o1"),
            kf_account: KfAccount::new(kf),
            created_at: Timestamp(1),
        }
    }

    #[test]
    fn create_checks_follow_the_contract_order() {
        let t = Timestamp(5);
        assert_eq!(check_create(None, None, None, t), Err(ErrCode::InvalidKfAccount));
        assert_eq!(
            check_create(Some(&kf(false, false)), None, None, t),
            Err(ErrCode::KfNotBound)
        );
        assert_eq!(
            check_create(Some(&kf(true, false)), None, None, t),
            Err(ErrCode::WorkerOffline)
        );
        assert_eq!(
            check_create(Some(&kf(true, true)), None, None, t),
            Err(ErrCode::InvalidOpenId)
        );
        let unsubscribed = fan(false);
        assert_eq!(
            check_create(Some(&kf(true, true)), Some(&unsubscribed), None, t),
            Err(ErrCode::InvalidOpenId)
        );
        let other = session("b@test");
        assert_eq!(
            check_create(Some(&kf(true, true)), Some(&fan(true)), Some(&other), t),
            Err(ErrCode::ServedByAnother)
        );
    }

    #[test]
    fn create_is_idempotent_for_the_same_account() {
        let same = session("a@test");
        let r = check_create(Some(&kf(true, true)), Some(&fan(true)), Some(&same), Timestamp(9));
        assert_eq!(r, Ok(CreateOutcome::Exists));
    }

    #[test]
    fn create_opens_a_session_stamped_now() {
        let r = check_create(Some(&kf(true, true)), Some(&fan(true)), None, Timestamp(9));
        assert_eq!(
            r,
            Ok(CreateOutcome::Open(Session {
                created_at: Timestamp(9),
                ..session("a@test")
            }))
        );
    }
}
