//! Followers and the sessions that join them to a kf account.
//!
//! A follower is in at most one session at a time; a kf account's
//! `accepted_case` is the number of live sessions it holds, derived, never
//! stored. A session that sees no message for [`IDLE_CLOSE_SECS`] is closed
//! from that instant on: every rule asks [`Session::is_live`] with `now`.

use crate::errcode::ErrCode;
use crate::human::HumanError;
use crate::ids::{AppId, KfAccount, OpenId, Timestamp};
use crate::kf::KfRecord;
use crate::window::Contact;

/// A session with no message for this long is closed.
pub const IDLE_CLOSE_SECS: i64 = 30 * 60;

/// A user who follows (or followed) an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fan {
    /// The app followed.
    pub appid: AppId,
    /// The user's openid within that app.
    pub openid: OpenId,
    /// Whether the user follows the app now.
    pub subscribed: bool,
    /// When the user last followed (first seen, for a visitor).
    pub followed_at: Timestamp,
    /// Whether the user ever followed; a visitor (known to the app through
    /// web authorization only) never did, and cannot be messaged (43004).
    pub ever_followed: bool,
    /// Send windows and typing.
    pub contact: Contact,
}

impl Fan {
    /// A user who follows the app from `now`.
    pub fn following(appid: AppId, openid: OpenId, now: Timestamp) -> Fan {
        Fan {
            appid,
            openid,
            subscribed: true,
            followed_at: now,
            ever_followed: true,
            contact: Contact::default(),
        }
    }

    /// Why an API message cannot reach this user, before the windows are
    /// asked: 43004 for a visitor, 45015 after an unfollow.
    pub fn check_reachable(&self) -> Result<(), ErrCode> {
        match (self.subscribed, self.ever_followed) {
            (true, _) => Ok(()),
            (false, false) => Err(ErrCode::RequireSubscribe),
            (false, true) => Err(ErrCode::OutOfTimeLimit),
        }
    }
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
    /// The last message in the session (or its start).
    pub last_msg_at: Timestamp,
}

impl Session {
    /// A session `kf_account` accepts at `now`.
    pub fn open(appid: AppId, openid: OpenId, kf_account: KfAccount, now: Timestamp) -> Session {
        Session {
            appid,
            openid,
            kf_account,
            created_at: now,
            last_msg_at: now,
        }
    }

    /// Whether the session is still open at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now.since(self.last_msg_at) < IDLE_CLOSE_SECS
    }

    /// The moment the session closes by itself if no message comes:
    /// [`IDLE_CLOSE_SECS`] after the last one.
    pub fn closes_at(&self) -> Timestamp {
        self.last_msg_at.plus(IDLE_CLOSE_SECS)
    }

    /// When a session ended by a change at `now` counts as closed: `now`
    /// while it is live, else the moment it timed out (the close that a
    /// push then reports happened then, not later).
    pub fn ended_at(&self, now: Timestamp) -> Timestamp {
        if self.is_live(now) {
            now
        } else {
            self.closes_at()
        }
    }
}

/// The earliest last-message time of a session still open at `now`.
pub fn live_since(now: Timestamp) -> Timestamp {
    now.plus(1 - IDLE_CLOSE_SECS)
}

/// The session, if it is still open at `now`.
pub fn live(s: Option<Session>, now: Timestamp) -> Option<Session> {
    s.filter(|s| s.is_live(now))
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
        None => Ok(CreateOutcome::Open(Session::open(
            fan.appid.clone(),
            fan.openid.clone(),
            kf.account.clone(),
            now,
        ))),
    }
}

/// Checks `kfsession/close` in the contract's order: 65401 (no such
/// account), 40003, 65413 (no live session), 65414 (served by another).
pub fn check_close(kf: Option<&KfRecord>, fan: Option<&Fan>, current: Option<&Session>) -> Result<(), ErrCode> {
    let kf = kf.ok_or(ErrCode::InvalidKfAccount)?;
    fan.filter(|f| f.subscribed).ok_or(ErrCode::InvalidOpenId)?;
    match current {
        None => Err(ErrCode::NoSession),
        Some(s) if s.kf_account != kf.account => Err(ErrCode::ServedByAnother),
        Some(_) => Ok(()),
    }
}

/// A bound, online worker: what accepting or receiving a session needs.
pub fn check_serving(kf: &KfRecord) -> Result<(), HumanError> {
    if kf.worker.is_none() {
        return Err(HumanError::NotBound);
    }
    if !kf.online {
        return Err(HumanError::Offline);
    }
    Ok(())
}

/// The session a worker acts on: it must be live and theirs.
pub fn held_by(current: Option<Session>, kf: &KfAccount) -> Result<Session, HumanError> {
    current.filter(|s| &s.kf_account == kf).ok_or(HumanError::NoSession)
}

/// A worker hands a session to another account of the same app, which must
/// be bound and online; the new account accepts it at `now`.
pub fn transfer(held: Session, to: &KfRecord, now: Timestamp) -> Result<Session, HumanError> {
    if held.kf_account == to.account {
        return Err(HumanError::SameAccount);
    }
    check_serving(to)?;
    Ok(Session::open(held.appid, held.openid, to.account.clone(), now))
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
            subscribed,
            ..Fan::following(AppId::new("wx"), OpenId::new("o1"), Timestamp(0))
        }
    }

    fn session(kf: &str) -> Session {
        Session::open(AppId::new("wx"), OpenId::new("o1"), KfAccount::new(kf), Timestamp(1))
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
                last_msg_at: Timestamp(9),
                ..session("a@test")
            }))
        );
    }

    #[test]
    fn close_checks_follow_the_contract_order() {
        let (k, f) = (kf(true, true), fan(true));
        assert_eq!(check_close(None, None, None), Err(ErrCode::InvalidKfAccount));
        assert_eq!(
            check_close(Some(&k), Some(&fan(false)), None),
            Err(ErrCode::InvalidOpenId)
        );
        assert_eq!(check_close(Some(&k), Some(&f), None), Err(ErrCode::NoSession));
        let other = session("b@test");
        assert_eq!(
            check_close(Some(&k), Some(&f), Some(&other)),
            Err(ErrCode::ServedByAnother)
        );
        assert_eq!(check_close(Some(&k), Some(&f), Some(&session("a@test"))), Ok(()));
    }

    #[test]
    fn sessions_close_after_thirty_idle_minutes() {
        let s = session("a@test");
        assert!(s.is_live(Timestamp(1 + IDLE_CLOSE_SECS - 1)));
        assert!(!s.is_live(Timestamp(1 + IDLE_CLOSE_SECS)));
        assert_eq!(s.closes_at(), Timestamp(1 + IDLE_CLOSE_SECS));
        assert_eq!(s.ended_at(Timestamp(5)), Timestamp(5));
        assert_eq!(s.ended_at(Timestamp(1 + 2 * IDLE_CLOSE_SECS)), s.closes_at());
        assert_eq!(live(Some(s.clone()), Timestamp(1 + IDLE_CLOSE_SECS)), None);
        let now = Timestamp(1 + IDLE_CLOSE_SECS - 1);
        assert!(s.last_msg_at >= live_since(now));
        assert!(s.last_msg_at < live_since(now.plus(1)));
    }

    #[test]
    fn transfer_needs_another_serving_account() {
        let held = session("a@test");
        let same = kf(true, true);
        assert_eq!(
            transfer(held.clone(), &same, Timestamp(5)),
            Err(HumanError::SameAccount)
        );
        let mut to = kf(true, false);
        to.account = KfAccount::new("b@test");
        assert_eq!(transfer(held.clone(), &to, Timestamp(5)), Err(HumanError::Offline));
        to.online = true;
        let moved = transfer(held, &to, Timestamp(5)).unwrap();
        assert_eq!((moved.kf_account.as_str(), moved.created_at), ("b@test", Timestamp(5)));
    }

    #[test]
    fn visitors_and_unfollowers_are_unreachable_differently() {
        let mut f = fan(true);
        assert_eq!(f.check_reachable(), Ok(()));
        f.subscribed = false;
        assert_eq!(f.check_reachable(), Err(ErrCode::OutOfTimeLimit));
        f.ever_followed = false;
        assert_eq!(f.check_reachable(), Err(ErrCode::RequireSubscribe));
    }
}
