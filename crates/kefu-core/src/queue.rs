//! The waiting queue (待接入): followers handed to customer service who no
//! worker has accepted yet.
//!
//! A follower waits at most once; waiting again keeps their place (a named
//! account may change). A worker accepts the earliest follower who waits for
//! their account or for any account; a session for a follower removes them
//! from the queue. `getwaitcase` shows the earliest [`WAITCASE_PAGE`].

use crate::human::HumanError;
use crate::ids::{AppId, KfAccount, OpenId, Timestamp};
use crate::kf::KfRecord;
use crate::session::{check_serving, Fan, Session};

/// Most waiting followers `getwaitcase` lists (`count` is the total).
pub const WAITCASE_PAGE: usize = 100;

/// A follower in the waiting queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitCase {
    /// The app.
    pub appid: AppId,
    /// The waiting follower.
    pub openid: OpenId,
    /// The account the follower was handed to, if one was named.
    pub kf_account: Option<KfAccount>,
    /// When the follower joined the queue.
    pub arrived_at: Timestamp,
    /// The follower's last message (`latest_time`).
    pub latest_time: Timestamp,
}

/// Puts a follower in the queue (or updates their place in it): they must
/// follow and not be in a live session.
pub fn enqueue(
    fan: &Fan,
    live_session: Option<&Session>,
    existing: Option<WaitCase>,
    kf_account: Option<KfAccount>,
    now: Timestamp,
) -> Result<WaitCase, HumanError> {
    if !fan.subscribed {
        return Err(HumanError::NotFollowing);
    }
    if live_session.is_some() {
        return Err(HumanError::InSession);
    }
    Ok(match existing {
        Some(w) => WaitCase {
            kf_account: kf_account.or(w.kf_account),
            ..w
        },
        None => WaitCase {
            appid: fan.appid.clone(),
            openid: fan.openid.clone(),
            kf_account,
            arrived_at: now,
            latest_time: now,
        },
    })
}

/// Whether `kf` may take this follower.
fn takes(w: &WaitCase, kf: &KfAccount) -> bool {
    w.kf_account.as_ref().is_none_or(|k| k == kf)
}

/// The follower a worker accepts: the named one, or else the earliest who
/// waits for this account or for anyone (`queue` is in arrival order).
pub fn pick<'a>(queue: &'a [WaitCase], kf: &KfAccount, openid: Option<&OpenId>) -> Result<&'a WaitCase, HumanError> {
    match openid {
        Some(o) => {
            let w = queue.iter().find(|w| &w.openid == o).ok_or(HumanError::NotWaiting)?;
            if takes(w, kf) {
                Ok(w)
            } else {
                Err(HumanError::WaitingForAnother)
            }
        }
        None => queue.iter().find(|w| takes(w, kf)).ok_or(HumanError::QueueEmpty),
    }
}

/// The worker accepts a waiting follower: a session opens now.
pub fn accept(kf: &KfRecord, case: &WaitCase, now: Timestamp) -> Result<Session, HumanError> {
    check_serving(kf)?;
    Ok(Session::open(
        case.appid.clone(),
        case.openid.clone(),
        kf.account.clone(),
        now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::WechatId;

    fn fan(o: &str) -> Fan {
        Fan::following(AppId::new("wx"), OpenId::new(o), Timestamp(0))
    }

    fn waiting(o: &str, kf: Option<&str>, t: i64) -> WaitCase {
        enqueue(&fan(o), None, None, kf.map(KfAccount::new), Timestamp(t)).unwrap()
    }

    #[test]
    fn only_followers_outside_a_session_wait() {
        let mut f = fan("o1");
        let s = Session::open(f.appid.clone(), f.openid.clone(), KfAccount::new("a@t"), Timestamp(1));
        assert_eq!(
            enqueue(&f, Some(&s), None, None, Timestamp(2)),
            Err(HumanError::InSession)
        );
        f.subscribed = false;
        assert_eq!(
            enqueue(&f, None, None, None, Timestamp(2)),
            Err(HumanError::NotFollowing)
        );
    }

    #[test]
    fn waiting_again_keeps_the_place() {
        let first = waiting("o1", None, 5);
        let again = enqueue(&fan("o1"), None, Some(first), Some(KfAccount::new("b@t")), Timestamp(9)).unwrap();
        assert_eq!(again.arrived_at, Timestamp(5));
        assert_eq!(again.kf_account, Some(KfAccount::new("b@t")));
    }

    #[test]
    fn workers_take_the_earliest_follower_meant_for_them() {
        let q = vec![
            waiting("o1", Some("b@t"), 1),
            waiting("o2", None, 2),
            waiting("o3", Some("a@t"), 3),
        ];
        let a = KfAccount::new("a@t");
        assert_eq!(pick(&q, &a, None).unwrap().openid.as_str(), "o2");
        assert_eq!(
            pick(&q, &a, Some(&OpenId::new("o1"))),
            Err(HumanError::WaitingForAnother)
        );
        assert_eq!(pick(&q, &a, Some(&OpenId::new("o9"))), Err(HumanError::NotWaiting));
        assert_eq!(pick(&q[..1], &a, None), Err(HumanError::QueueEmpty));
    }

    #[test]
    fn accepting_needs_a_serving_worker() {
        let mut kf = KfRecord::new(AppId::new("wx"), KfAccount::new("a@t"), 1001, "A");
        let w = waiting("o1", None, 1);
        assert_eq!(accept(&kf, &w, Timestamp(2)), Err(HumanError::NotBound));
        kf.worker = Some(WechatId::new("worker_1"));
        assert_eq!(accept(&kf, &w, Timestamp(2)), Err(HumanError::Offline));
        kf.online = true;
        assert_eq!(accept(&kf, &w, Timestamp(2)).unwrap().created_at, Timestamp(2));
    }
}
