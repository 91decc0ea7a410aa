//! Conformance for pushes to the developer's server: settings, the outbox
//! and what dispatchers do with it (claims are in `claims.rs`), the delivery
//! log, and idle sessions.

use super::{session, Subject, E};
use kefu_core::callback::{CallbackConfig, Format, Mode};
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::message::FollowerMsgType;
use kefu_core::push::{Delivery, Outcome, Pending, Push, PushEvent, PushId};
use kefu_core::Timestamp;
use kefu_store::{Store, StoreError, Tx};

/// Runs a write job and unwraps its value.
pub(crate) async fn write<T, F>(s: &dyn Store, mut f: F) -> T
where
    T: Send + 'static,
    F: FnMut(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
{
    s.write(move |tx: &mut dyn Tx| f(tx).map_err(E::from)).await.unwrap()
}

/// Runs a read job and unwraps its value.
async fn read<T, F>(s: &dyn Store, mut f: F) -> T
where
    T: Send + 'static,
    F: FnMut(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
{
    s.read(move |tx: &mut dyn Tx| f(tx).map_err(E::from)).await.unwrap()
}

fn config(appid: &str, mode: Mode, format: Format, at: i64) -> CallbackConfig {
    CallbackConfig {
        appid: AppId::new(appid),
        url: format!("https://dev.example/{appid}"),
        token: "token1".into(),
        encoding_aes_key: mode.encrypts().then(|| "k".repeat(43)),
        mode,
        format,
        updated_at: Timestamp(at),
    }
}

pub(crate) fn push(appid: &str, event: PushEvent) -> Push {
    Push {
        id: PushId(0),
        appid: AppId::new(appid),
        openid: OpenId::new("o1"),
        created_at: Timestamp(100),
        // Past i64::MAX: the bit-cast must survive.
        nonce: u64::MAX - 7,
        event,
    }
}

pub(crate) fn subscribe(appid: &str) -> Push {
    push(appid, PushEvent::Subscribe)
}

/// Enqueues the pushes, one transaction, and returns their ids.
pub(crate) async fn enqueue(s: &dyn Store, pushes: Vec<Push>) -> Vec<PushId> {
    write(s, move |tx| pushes.iter().map(|p| tx.enqueue_push(p)).collect()).await
}

/// A claim by `owner`, whose heartbeat and every live one are at 1000 and
/// later: 500 is the staleness limit.
pub(crate) async fn claim(s: &dyn Store, owner: &'static str, per_app: u32, limit: u32, skip: &[&str]) -> Vec<Pending> {
    let skip: Vec<AppId> = skip.iter().map(|a| AppId::new(*a)).collect();
    write(s, move |tx| tx.claim_pushes(owner, 500, per_app, limit, &skip)).await
}

pub(crate) async fn heartbeat(s: &dyn Store, owner: &'static str, now_ms: i64) {
    write(s, move |tx| tx.heartbeat(owner, now_ms)).await;
}

pub(crate) fn ids(claimed: &[Pending]) -> Vec<PushId> {
    claimed.iter().map(|p| p.push.id).collect()
}

pub(crate) async fn pending(s: &dyn Store, appid: &'static str) -> u64 {
    read(s, move |tx| tx.pending_pushes(&AppId::new(appid))).await
}

fn delivery(push_id: PushId, appid: &str, attempt: u32, last: bool) -> Delivery {
    Delivery {
        id: 0,
        push_id,
        appid: AppId::new(appid),
        openid: OpenId::new("o1"),
        event: "subscribe".into(),
        attempt,
        at: Timestamp(200 + i64::from(attempt)),
        url: "https://dev.example/cb?nonce=1".into(),
        request: "<xml/>".into(),
        status: (attempt % 2 == 1).then_some(502),
        response: "bad gateway".into(),
        latency_ms: u64::from(attempt) * 1000,
        outcome: if last { Outcome::Ok } else { Outcome::HttpStatus },
        detail: format!("try {attempt}"),
        last,
    }
}

pub async fn push_settings_are_saved_replaced_and_deleted_with_their_pushes(s: Subject) {
    let st = &*s.store;
    let first = config("wx1", Mode::Plaintext, Format::Xml, 1);
    let second = config("wx1", Mode::Safe, Format::Json, 2);
    let (f, o) = (first.clone(), config("wx2", Mode::Compatible, Format::Xml, 3));
    write(st, move |tx| {
        tx.put_callback(&f)?;
        tx.put_callback(&o)
    })
    .await;
    assert_eq!(read(st, |tx| tx.callback(&AppId::new("wx1"))).await, Some(first));
    let sc = second.clone();
    write(st, move |tx| tx.put_callback(&sc)).await;
    assert_eq!(read(st, |tx| tx.callback(&AppId::new("wx1"))).await, Some(second));
    enqueue(st, vec![subscribe("wx1"), subscribe("wx2"), subscribe("wx1")]).await;
    assert_eq!((pending(st, "wx1").await, pending(st, "wx2").await), (2, 1));

    write(st, |tx| tx.delete_callback(&AppId::new("wx1"))).await;
    assert_eq!(read(st, |tx| tx.callback(&AppId::new("wx1"))).await, None);
    assert!(read(st, |tx| tx.callback(&AppId::new("wx2"))).await.is_some());
    assert_eq!((pending(st, "wx1").await, pending(st, "wx2").await), (0, 1));
    let left = claim(st, "a", 10, 10, &[]).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].push.appid, AppId::new("wx2"));
}

pub async fn push_ids_ascend_and_every_event_survives_the_outbox(s: Subject) {
    let st = &*s.store;
    let kf = KfAccount::new("a@test");
    let events = vec![
        PushEvent::Message {
            msgid: MsgId(42),
            msgtype: FollowerMsgType::Text,
            content: "你好".into(),
        },
        PushEvent::Message {
            msgid: MsgId(43),
            msgtype: FollowerMsgType::Image,
            content: "media_1".into(),
        },
        PushEvent::Subscribe,
        PushEvent::Unsubscribe,
        PushEvent::Scan { key: "scene_1".into() },
        PushEvent::Click { key: "menu_1".into() },
        PushEvent::KfCreateSession { kf: kf.clone() },
        PushEvent::KfCloseSession { kf: kf.clone() },
        PushEvent::KfSwitchSession {
            from: kf,
            to: KfAccount::new("b@test"),
        },
    ];
    let mut pushes: Vec<Push> = events.into_iter().map(|e| push("wx1", e)).collect();
    let mut got = enqueue(st, pushes[..5].to_vec()).await;
    got.extend(enqueue(st, pushes[5..].to_vec()).await);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
    for (p, id) in pushes.iter_mut().zip(&got) {
        p.id = *id;
    }
    let claimed = claim(st, "a", 100, 100, &[]).await;
    let expected: Vec<Pending> = pushes.into_iter().map(|push| Pending { push, attempts: 0 }).collect();
    assert_eq!(claimed, expected);

    // The newest push leaving the outbox does not free its id.
    let newest = *got.last().unwrap();
    write(st, move |tx| tx.drop_push(newest)).await;
    let next = enqueue(st, vec![subscribe("wx1")]).await;
    assert!(next[0] > newest, "{next:?} after {newest:?}");
}

pub async fn tries_count_until_the_last_removes_the_push(s: Subject) {
    let st = &*s.store;
    let e = enqueue(st, vec![subscribe("wx1"), subscribe("wx1")]).await;
    heartbeat(st, "a", 1000).await;
    assert_eq!(claim(st, "a", 10, 10, &[]).await.len(), 2);
    let (first, second) = (delivery(e[0], "wx1", 1, false), delivery(e[0], "wx1", 2, false));
    let logged = write(st, move |tx| {
        Ok((tx.record_delivery(&first)?, tx.record_delivery(&second)?))
    })
    .await;
    assert!(logged.0 < logged.1, "{logged:?}");

    // Handed to another dispatcher, the push carries its tries along.
    write(st, |tx| tx.release_pushes("b")).await;
    heartbeat(st, "b", 1000).await;
    let again = claim(st, "b", 10, 10, &[]).await;
    let attempts: Vec<(PushId, u32)> = again.iter().map(|p| (p.push.id, p.attempts)).collect();
    assert_eq!(attempts, [(e[0], 2), (e[1], 0)]);

    let last = delivery(e[0], "wx1", 3, true);
    write(st, move |tx| tx.record_delivery(&last)).await;
    assert_eq!(pending(st, "wx1").await, 1);
    write(st, |tx| tx.release_pushes("c")).await;
    assert_eq!(ids(&claim(st, "c", 10, 10, &[]).await), [e[1]]);
    let log = read(st, |tx| tx.deliveries(&AppId::new("wx1"), None, 10)).await;
    let tries: Vec<(u32, bool)> = log.iter().map(|d| (d.attempt, d.last)).collect();
    assert_eq!(tries, [(3, true), (2, false), (1, false)]);
}

pub async fn the_delivery_log_pages_newest_first_and_prunes_the_oldest(s: Subject) {
    let st = &*s.store;
    let mut entries: Vec<Delivery> = (1..=5).map(|n| delivery(PushId(n), "wx1", n as u32, n == 5)).collect();
    entries[4].latency_ms = u64::from(u32::MAX) * 10;
    let other = vec![delivery(PushId(9), "wx2", 1, true), delivery(PushId(9), "wx2", 2, true)];
    let all: Vec<Delivery> = entries.iter().chain(&other).cloned().collect();
    let logged = write(st, move |tx| {
        all.iter().map(|d| tx.record_delivery(d)).collect::<Result<Vec<_>, _>>()
    })
    .await;
    for (d, id) in entries.iter_mut().zip(&logged) {
        d.id = *id;
    }
    entries.reverse();
    let wx1 = || AppId::new("wx1");
    assert_eq!(read(st, move |tx| tx.deliveries(&wx1(), None, 10)).await, entries);
    let page = read(st, move |tx| tx.deliveries(&wx1(), None, 2)).await;
    assert_eq!(page, entries[..2]);
    let before = page[1].id;
    let next = read(st, move |tx| tx.deliveries(&wx1(), Some(before), 2)).await;
    assert_eq!(next, entries[2..4]);

    write(st, move |tx| tx.prune_deliveries(&wx1(), 10)).await;
    assert_eq!(read(st, move |tx| tx.deliveries(&wx1(), None, 10)).await.len(), 5);
    write(st, move |tx| tx.prune_deliveries(&wx1(), 2)).await;
    assert_eq!(read(st, move |tx| tx.deliveries(&wx1(), None, 10)).await, entries[..2]);
    let wx2 = read(st, |tx| tx.deliveries(&AppId::new("wx2"), None, 10)).await;
    assert_eq!(wx2.len(), 2);
    write(st, move |tx| tx.prune_deliveries(&wx1(), 0)).await;
    assert!(read(st, move |tx| tx.deliveries(&wx1(), None, 10)).await.is_empty());
}

pub async fn idle_sessions_are_the_quietest_of_every_app(s: Subject) {
    let st = &*s.store;
    let quiet = |appid: &str, openid: &str, created: i64, last: i64| {
        let mut quiet = session(appid, openid, "a@test", created);
        quiet.last_msg_at = Timestamp(last);
        quiet
    };
    let sessions = vec![
        quiet("wx2", "o1", 1, 5),
        quiet("wx1", "o3", 2, 9),
        quiet("wx1", "o2", 3, 5),
        quiet("wx1", "o1", 4, 3),
    ];
    let all = sessions.clone();
    write(st, move |tx| all.iter().try_for_each(|s| tx.put_session(s))).await;
    let idle = read(st, |tx| tx.idle_sessions(Timestamp(9), 10)).await;
    assert_eq!(idle, [sessions[3].clone(), sessions[2].clone(), sessions[0].clone()]);
    let two = read(st, |tx| tx.idle_sessions(Timestamp(100), 2)).await;
    assert_eq!(two, [sessions[3].clone(), sessions[2].clone()]);
    assert!(read(st, |tx| tx.idle_sessions(Timestamp(3), 10)).await.is_empty());
}

pub async fn the_outbox_survives_reopening(s: Subject) {
    let cfg = config("wx1", Mode::Compatible, Format::Xml, 1);
    let c = cfg.clone();
    write(&*s.store, move |tx| tx.put_callback(&c)).await;
    let e = enqueue(&*s.store, vec![subscribe("wx1"), subscribe("wx1")]).await;
    heartbeat(&*s.store, "a", 1000).await;
    assert_eq!(claim(&*s.store, "a", 10, 10, &[]).await.len(), 2);
    let tried = delivery(e[1], "wx1", 1, false);
    write(&*s.store, move |tx| tx.record_delivery(&tried)).await;
    drop(s.store);

    let again = (s.reopen)();
    assert_eq!(read(&*again, |tx| tx.callback(&AppId::new("wx1"))).await, Some(cfg));
    write(&*again, |tx| tx.release_pushes("b")).await;
    let claimed = claim(&*again, "b", 10, 10, &[]).await;
    let attempts: Vec<(PushId, u32)> = claimed.iter().map(|p| (p.push.id, p.attempts)).collect();
    assert_eq!(attempts, [(e[0], 0), (e[1], 1)]);
    assert_eq!(
        read(&*again, |tx| tx.deliveries(&AppId::new("wx1"), None, 10))
            .await
            .len(),
        1
    );
}

pub async fn a_rejected_write_enqueues_nothing(s: Subject) {
    let rejected = s.store.write(|tx: &mut dyn Tx| {
        tx.enqueue_push(&subscribe("wx1"))?;
        Err::<(), E>(E::Rejected)
    });
    let accepted = s
        .store
        .write(|tx: &mut dyn Tx| tx.enqueue_push(&subscribe("wx2")).map_err(E::from));
    let (rejected, accepted) = tokio::join!(rejected, accepted);
    assert_eq!(rejected, Err(E::Rejected));
    let kept = accepted.unwrap();
    assert_eq!(
        (pending(&*s.store, "wx1").await, pending(&*s.store, "wx2").await),
        (0, 1)
    );
    assert_eq!(ids(&claim(&*s.store, "a", 10, 10, &[]).await), [kept]);
}

pub async fn wipe_empties_the_push_tables_but_keeps_heartbeats(s: Subject) {
    let st = &*s.store;
    let c = config("wx1", Mode::Plaintext, Format::Xml, 1);
    write(st, move |tx| tx.put_callback(&c)).await;
    let e = enqueue(st, vec![subscribe("wx1")]).await;
    let d = delivery(e[0], "wx1", 1, false);
    write(st, move |tx| tx.record_delivery(&d)).await;
    heartbeat(st, "a", 1000).await;
    write(st, |tx| tx.wipe()).await;
    let wx1 = || AppId::new("wx1");
    assert_eq!(read(st, move |tx| tx.callback(&wx1())).await, None);
    assert_eq!(pending(st, "wx1").await, 0);
    assert!(read(st, move |tx| tx.deliveries(&wx1(), None, 10)).await.is_empty());

    // `a` is still known to be alive: what it claims next stays its own.
    let next = enqueue(st, vec![subscribe("wx1")]).await;
    assert!(next[0] > e[0], "{next:?} after {e:?}");
    assert_eq!(ids(&claim(st, "a", 10, 10, &[]).await), next);
    assert!(claim(st, "b", 10, 10, &[]).await.is_empty());
}
