//! Conformance for the conversation: the waiting queue, messages and chat
//! records, followers' contact state and live sessions.

use super::{fan, kf, session, Subject, E};
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::message::{Message, Opercode, RecordQuery};
use kefu_core::queue::WaitCase;
use kefu_core::session::Session;
use kefu_core::window::{Contact, Grant};
use kefu_core::Timestamp;
use kefu_store::Tx;

fn waiting(openid: &str, kf: Option<&str>, at: i64) -> WaitCase {
    WaitCase {
        appid: AppId::new("wx1"),
        openid: OpenId::new(openid),
        kf_account: kf.map(KfAccount::new),
        arrived_at: Timestamp(at),
        latest_time: Timestamp(at),
    }
}

fn msg(openid: &str, worker: Option<&str>, time: i64) -> Message {
    Message {
        msgid: MsgId(0),
        appid: AppId::new("wx1"),
        openid: OpenId::new(openid),
        worker: worker.map(KfAccount::new),
        opercode: if worker.is_some() {
            Opercode::Sent
        } else {
            Opercode::Received
        },
        msgtype: "text".into(),
        text: format!("at {time}"),
        detail: r#"{"content":"x"}"#.into(),
        time: Timestamp(time),
    }
}

async fn queue(s: &Subject) -> Vec<String> {
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.waitcases(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    got.iter().map(|w| w.openid.to_string()).collect()
}

pub async fn the_queue_keeps_arrival_order_and_places(s: Subject) {
    s.store
        .write(|tx: &mut dyn Tx| {
            for (o, t) in [("o3", 1), ("o1", 1), ("o2", 2)] {
                tx.put_waitcase(&waiting(o, None, t))?;
            }
            let mut moved = waiting("o1", Some("a@test"), 1);
            moved.latest_time = Timestamp(9);
            tx.put_waitcase(&moved).map_err(E::from)
        })
        .await
        .unwrap();
    assert_eq!(queue(&s).await, ["o3", "o1", "o2"]);
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.waitcase(&AppId::new("wx1"), &OpenId::new("o1")).map_err(E::from))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.kf_account, got.latest_time),
        (Some(KfAccount::new("a@test")), Timestamp(9))
    );
    s.store
        .write(|tx: &mut dyn Tx| {
            tx.delete_waitcase(&AppId::new("wx1"), &OpenId::new("o3"))?;
            tx.put_waitcase(&waiting("o3", None, 5)).map_err(E::from)
        })
        .await
        .unwrap();
    assert_eq!(queue(&s).await, ["o1", "o2", "o3"]);
}

pub async fn deleting_a_kf_account_releases_its_waiting_followers(s: Subject) {
    s.store
        .write(|tx: &mut dyn Tx| {
            tx.put_kf(&kf("wx1", "a@test", Some("worker_1")))?;
            tx.put_waitcase(&waiting("o1", Some("a@test"), 1))?;
            tx.delete_kf(&AppId::new("wx1"), &KfAccount::new("a@test"))
                .map_err(E::from)
        })
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.waitcases(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, vec![waiting("o1", None, 1)]);
}

pub async fn message_ids_ascend_and_records_are_the_kf_ones(s: Subject) {
    let ids = s
        .store
        .write(|tx: &mut dyn Tx| {
            let mut ids = Vec::new();
            for m in [
                msg("o1", None, 10),
                msg("o1", Some("a@test"), 11),
                msg("o2", Some("a@test"), 12),
            ] {
                ids.push(tx.insert_message(&m)?);
            }
            Ok::<_, E>(ids)
        })
        .await
        .unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let query = |start, end, from, limit| RecordQuery {
        start: Timestamp(start),
        end: Timestamp(end),
        from,
        limit,
    };
    let q = query(0, 100, MsgId(1), 10);
    let got = s
        .store
        .read(move |tx: &mut dyn Tx| tx.records(&AppId::new("wx1"), &q).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got.iter().map(|m| m.msgid).collect::<Vec<_>>(), ids[1..]);
    assert_eq!(got[0].worker, Some(KfAccount::new("a@test")));
    assert_eq!(got[0].text, "at 11");
    for (q, want) in [
        (query(12, 100, MsgId(1), 10), &ids[2..]),
        (query(0, 11, MsgId(1), 10), &ids[1..2]),
        (query(0, 100, ids[2], 10), &ids[2..]),
        (query(0, 100, MsgId(1), 1), &ids[1..2]),
    ] {
        let got = s
            .store
            .read(move |tx: &mut dyn Tx| tx.records(&AppId::new("wx1"), &q).map_err(E::from))
            .await
            .unwrap();
        assert_eq!(got.iter().map(|m| m.msgid).collect::<Vec<_>>(), want, "{q:?}");
    }
}

pub async fn a_followers_messages_page_by_msgid(s: Subject) {
    s.store
        .write(|tx: &mut dyn Tx| {
            for t in 0..5 {
                tx.insert_message(&msg("o1", None, t))?;
                tx.insert_message(&msg("o2", Some("a@test"), t))?;
            }
            Ok::<_, E>(())
        })
        .await
        .unwrap();
    let (first, rest) = s
        .store
        .read(|tx: &mut dyn Tx| {
            let (appid, o1) = (AppId::new("wx1"), OpenId::new("o1"));
            let first = tx.messages(&appid, &o1, MsgId(1), 2)?;
            let rest = tx.messages(&appid, &o1, MsgId(first[1].msgid.0 + 1), 10)?;
            Ok::<_, E>((first, rest))
        })
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), 5);
    assert!(first.iter().chain(&rest).all(|m| m.openid.as_str() == "o1"));
    assert_eq!(rest.last().unwrap().time, Timestamp(4));
}

pub async fn fans_keep_their_contact_state(s: Subject) {
    let mut f = fan("wx1", "o1");
    f.ever_followed = false;
    f.subscribed = false;
    f.contact = Contact {
        message: Grant {
            left: 4,
            until: Timestamp(100),
        },
        event: Grant {
            left: 2,
            until: Timestamp(60),
        },
        last_contact: Some(Timestamp(7)),
        typing_until: Some(Timestamp(22)),
    };
    let stored = f.clone();
    s.store
        .write(move |tx: &mut dyn Tx| tx.put_fan(&stored).map_err(E::from))
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.fan(&AppId::new("wx1"), &OpenId::new("o1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, Some(f));
}

pub async fn only_live_sessions_count_as_accepted(s: Subject) {
    s.store
        .write(|tx: &mut dyn Tx| {
            tx.put_session(&session("wx1", "o1", "a@test", 10))?;
            tx.put_session(&session("wx1", "o2", "a@test", 20))?;
            let mut later = session("wx1", "o3", "b@test", 5);
            later.last_msg_at = Timestamp(30);
            tx.put_session(&later).map_err(E::from)
        })
        .await
        .unwrap();
    let cases = s
        .store
        .read(|tx: &mut dyn Tx| tx.accepted_cases(&AppId::new("wx1"), Timestamp(20)).map_err(E::from))
        .await
        .unwrap();
    let mut cases = cases;
    cases.sort();
    assert_eq!(
        cases,
        vec![(KfAccount::new("a@test"), 1), (KfAccount::new("b@test"), 1)]
    );
}

/// `accepted_case` as the sessions give it: the live ones per account.
fn counted(sessions: Vec<Session>, live_since: i64) -> Vec<(KfAccount, u32)> {
    let mut cases: Vec<(KfAccount, u32)> = Vec::new();
    for s in sessions.into_iter().filter(|s| s.last_msg_at.0 >= live_since) {
        match cases.iter_mut().find(|(k, _)| *k == s.kf_account) {
            Some(case) => case.1 += 1,
            None => cases.push((s.kf_account, 1)),
        }
    }
    cases.sort();
    cases
}

/// What `accepted_cases` answers for both apps, beside what counting the
/// sessions gives; the two must agree.
async fn cases_and_counts(s: &Subject, live_since: i64) -> Vec<(Vec<(KfAccount, u32)>, Vec<(KfAccount, u32)>)> {
    s.store
        .read(move |tx: &mut dyn Tx| {
            let mut both = Vec::new();
            for appid in ["wx1", "wx2"].map(AppId::new) {
                let mut cases = tx.accepted_cases(&appid, Timestamp(live_since))?;
                cases.sort();
                both.push((cases, counted(tx.sessions(&appid)?, live_since)));
            }
            Ok::<_, E>(both)
        })
        .await
        .unwrap()
}

async fn assert_cases(s: &Subject, live_since: i64, expected: &[&[(&str, u32)]]) {
    let got = cases_and_counts(s, live_since).await;
    for ((cases, counted), want) in got.into_iter().zip(expected) {
        let want: Vec<_> = want.iter().map(|(k, n)| (KfAccount::new(*k), *n)).collect();
        assert_eq!(cases, counted, "accepted_cases against the sessions");
        assert_eq!(cases, want);
    }
}

async fn change(s: &Subject, mut f: impl FnMut(&mut dyn Tx) -> Result<(), kefu_store::StoreError> + Send + 'static) {
    s.store
        .write(move |tx: &mut dyn Tx| f(tx).map_err(E::from))
        .await
        .unwrap();
}

/// Opens, moves, refreshes and closes sessions, deletes an account, and
/// restores, wipes and imports: after each, every account's
/// `accepted_case` equals its live sessions (however a backend keeps it).
pub async fn accepted_cases_follow_every_change_of_the_sessions(s: Subject) {
    change(&s, |tx| {
        for (openid, kf, at) in [
            ("o1", "a@t", 100),
            ("o2", "a@t", 100),
            ("o3", "b@t", 100),
            ("o4", "b@t", 10),
        ] {
            tx.put_session(&session("wx1", openid, kf, at))?;
        }
        tx.put_session(&session("wx2", "o1", "a@t", 100))
    })
    .await;
    // o4 went idle at 50: counted nowhere, though its row is there.
    assert_cases(&s, 50, &[&[("a@t", 2), ("b@t", 1)], &[("a@t", 1)]]).await;
    change(&s, |tx| tx.save_snapshot("before", Timestamp(1)).map(drop)).await;
    let doc = s
        .store
        .write(|tx: &mut dyn Tx| tx.export_state().map_err(E::from))
        .await
        .unwrap();

    change(&s, |tx| {
        tx.put_session(&session("wx1", "o1", "b@t", 100))?; // transferred
        let mut fresh = session("wx1", "o4", "b@t", 10);
        fresh.last_msg_at = Timestamp(60); // a message made it live again
        tx.put_session(&fresh)?;
        tx.delete_session(&AppId::new("wx1"), &OpenId::new("o2"))
    })
    .await;
    assert_cases(&s, 50, &[&[("b@t", 3)], &[("a@t", 1)]]).await;
    change(&s, |tx| tx.delete_kf(&AppId::new("wx1"), &KfAccount::new("b@t"))).await;
    assert_cases(&s, 50, &[&[], &[("a@t", 1)]]).await;

    change(&s, |tx| tx.restore_snapshot("before").map(drop)).await;
    assert_cases(&s, 50, &[&[("a@t", 2), ("b@t", 1)], &[("a@t", 1)]]).await;
    assert_cases(&s, 5, &[&[("a@t", 2), ("b@t", 2)], &[("a@t", 1)]]).await;
    change(&s, |tx| tx.wipe()).await;
    assert_cases(&s, 0, &[&[], &[]]).await;
    change(&s, move |tx| tx.import_state(&doc)).await;
    assert_cases(&s, 50, &[&[("a@t", 2), ("b@t", 1)], &[("a@t", 1)]]).await;
}

/// `online_kfs`: bound accounts whose worker is online, by `kf_id`; an
/// offline one, an unbound one (even marked online) and another app's are
/// left out.
pub async fn online_kfs_are_the_bound_online_accounts_by_kf_id(s: Subject) {
    change(&s, |tx| {
        let mut late = kf("wx1", "z@test", Some("worker_1"));
        late.kf_id = 1003;
        let mut offline = kf("wx1", "b@test", Some("worker_2"));
        (offline.kf_id, offline.online) = (1002, false);
        let mut unbound = kf("wx1", "c@test", None);
        (unbound.kf_id, unbound.online) = (1004, true);
        for k in [
            late,
            offline,
            unbound,
            kf("wx1", "a@test", Some("worker_3")),
            kf("wx2", "d@test", Some("w")),
        ] {
            tx.put_kf(&k)?;
        }
        Ok(())
    })
    .await;
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.online_kfs(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![(KfAccount::new("a@test"), 1001), (KfAccount::new("z@test"), 1003)]
    );
}
