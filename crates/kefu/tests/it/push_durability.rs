//! Pushes survive what kills processes: a push written before a SIGKILL
//! (in flight or not yet sent) is delivered after a restart on the same
//! SQLite file and logged as delivered once; and two `kefu serve` processes
//! on one PostgreSQL schema deliver every push once between them.
//!
//! Without a reachable PostgreSQL server the PostgreSQL test prints a
//! `SKIPPED` line and passes, unless `KEFU_REQUIRE_POSTGRES=1` makes it fail.

use crate::pg::PgSchema;
use crate::push_cli::{drained, KEY, TOKEN};
use crate::receiver::{Answer, Arrival, Receiver};
use crate::support::{data_dir, Kefu};
use kefu_api::callback::Format;
use kefu_api::control::FollowerMessage;
use kefu_api::control_push::{CallbackSettings, CallbackState, DeliveryState};
use kefu_client::ControlClient;
use std::collections::BTreeSet;
use std::time::Duration;

const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];
/// Long enough for a try never to be answered while the test runs.
const FOREVER: Duration = Duration::from_secs(3600);

/// Saves safe-mode settings pointing at `r`.
async fn configure(ctl: &ControlClient, appid: &str, r: &Receiver) -> CallbackState {
    let settings = CallbackSettings {
        url: r.url.clone(),
        token: TOKEN.into(),
        encoding_aes_key: Some(KEY.into()),
        mode: Some("safe".into()),
        format: None,
    };
    ctl.set_callback(appid, &settings).await.expect("set callback")
}

fn text(content: &str) -> FollowerMessage {
    FollowerMessage {
        msgtype: "text".into(),
        content: Some(content.into()),
        media_id: None,
    }
}

/// The follower writes `content`; the message's id.
async fn write(ctl: &ControlClient, appid: &str, openid: &str, content: &str) -> i64 {
    let sent = ctl.follower_writes(appid, openid, &text(content)).await;
    sent.expect("follower writes").msgid
}

/// The app's whole delivery log, polled until `done` holds.
async fn log_until(ctl: &ControlClient, appid: &str, done: impl Fn(&[DeliveryState]) -> bool) -> Vec<DeliveryState> {
    for _ in 0..300 {
        let log = ctl.deliveries(appid, None, Some(1000)).await.expect("deliveries");
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery log never got there");
}

fn msgid(a: &Arrival) -> i64 {
    let id = a.get("MsgId").unwrap_or_else(|| panic!("a push without MsgId: {a:?}"));
    id.parse().expect("a numeric MsgId")
}

/// kefu on a fresh SQLite file, its demo app pushing in safe mode to a
/// receiver that never answers this first process, and one follower.
struct Stalled {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    first: Kefu,
    appid: String,
    openid: String,
    r: Receiver,
}

async fn stalled() -> Stalled {
    let (_dir, db) = data_dir();
    let first = Kefu::start_on(&db, &FROZEN);
    let appid = first.demo.appid.clone();
    let ctl = first.control();
    let openid = ctl.follow(&appid, None).await.expect("follow").openid;
    let r = Receiver::start(TOKEN, Some(KEY), &appid, Format::Xml).await;
    r.fallback(Answer::Stall(FOREVER));
    configure(&ctl, &appid, &r).await;
    Stalled {
        _dir,
        db,
        first,
        appid,
        openid,
        r,
    }
}

/// The log holds one try of one push: its first, answered and final.
fn assert_delivered_once(log: &[DeliveryState], body: &str) {
    let tries: Vec<(u32, &str, bool, Option<u16>)> = log
        .iter()
        .map(|d| (d.attempt, d.outcome.as_str(), d.last, d.status))
        .collect();
    assert_eq!(tries, [(1, "ok", true, Some(200))], "{log:#?}");
    assert_eq!(log[0].request, body);
}

/// A push whose first try is in flight (the developer's server has it and
/// has not answered) when kefu is SIGKILLed goes out again after a restart
/// on the same file, byte for byte the same; that try is answered and
/// logged `ok` and final, nothing else with its MsgId arrives, and the
/// outbox is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_in_flight_at_sigkill_is_delivered_once_after_restart() {
    // Arrange: the developer's server holds on to what the first process sends.
    let Stalled {
        _dir,
        db,
        first,
        appid,
        openid,
        r,
    } = stalled().await;
    let sent = write(&first.control(), &appid, &openid, "are you there?").await;
    let in_flight = r.wait_for(1, 4).await.remove(0);

    // Act: kill during the try, answer from now on, start again.
    first.kill();
    r.fallback(Answer::Success);
    let second = Kefu::start_on(&db, &FROZEN);
    let ctl = second.control();
    log_until(&ctl, &appid, |log| !log.is_empty()).await;
    drained(&ctl, &appid).await;

    // Assert
    let got = r.arrivals();
    assert_eq!(
        got.len(),
        2,
        "the push once before and once after the restart: {got:#?}"
    );
    assert_eq!(
        (msgid(&in_flight), in_flight.get("Content")),
        (sent, Some("are you there?"))
    );
    assert_eq!(in_flight.param("openid"), Some(openid));
    assert_eq!((&got[1].query, &got[1].body), (&in_flight.query, &in_flight.body));
    let log = ctl.deliveries(&appid, None, None).await.expect("deliveries");
    assert_delivered_once(&log, &in_flight.body);
    assert_eq!(ctl.callback(&appid).await.expect("callback").pending, 0);
    assert_eq!(r.problems(), Vec::<String>::new());
}

/// A push written by a change answered right before a SIGKILL (before it
/// could be delivered, or while its first try was unanswered) is delivered
/// after a restart and logged `ok` once; at most one earlier, unanswered
/// copy arrived before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_written_right_before_sigkill_is_delivered_after_restart() {
    // Arrange: nothing the first process sends is ever answered to it.
    let Stalled {
        _dir,
        db,
        first,
        appid,
        openid,
        r,
    } = stalled().await;

    // Act: kill as soon as the write is answered.
    let sent = write(&first.control(), &appid, &openid, "hello").await;
    first.kill();
    r.fallback(Answer::Success);
    let second = Kefu::start_on(&db, &FROZEN);
    let ctl = second.control();
    log_until(&ctl, &appid, |log| !log.is_empty()).await;
    drained(&ctl, &appid).await;

    // Assert
    let got = r.arrivals();
    assert!((1..=2).contains(&got.len()), "{got:#?}");
    for a in &got {
        assert_eq!((msgid(a), a.get("Content")), (sent, Some("hello")));
        assert_eq!((&a.query, &a.body), (&got[0].query, &got[0].body));
    }
    let log = ctl.deliveries(&appid, None, None).await.expect("deliveries");
    assert_delivered_once(&log, &got[0].body);
    assert_eq!(ctl.callback(&appid).await.expect("callback").pending, 0);
    assert_eq!(r.problems(), Vec::<String>::new());
}

/// Followers of the app on both instances.
const FANS: usize = 10;
/// Messages written, `i` through instance `i % 2` by follower `i % FANS`.
const MESSAGES: usize = 100;

/// Two instances on one PostgreSQL schema: of ~100 messages written at once
/// through both, the developer's server gets every MsgId exactly once (each
/// push is delivered by one instance only), and the delivery log, read from
/// either instance, has exactly one try per push, answered `ok`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_schema_deliver_every_push_once() {
    // Arrange: the schema outlives both processes (dropped last).
    let Some(schema) = PgSchema::fresh() else { return };
    let url = schema.url("");
    let kefu = std::thread::scope(|s| {
        let a = s.spawn(|| Kefu::start_url(&url, &FROZEN, &[]));
        let b = s.spawn(|| Kefu::start_url(&url, &FROZEN, &[]));
        [a.join().expect("instance a"), b.join().expect("instance b")]
    });
    let appid = kefu[0].demo.appid.clone();
    let ctls = [kefu[0].control(), kefu[1].control()];
    let mut fans = Vec::new();
    for i in 0..FANS {
        fans.push(ctls[i % 2].follow(&appid, None).await.expect("follow").openid);
    }
    let r = Receiver::start(TOKEN, Some(KEY), &appid, Format::Xml).await;
    configure(&ctls[1], &appid, &r).await;

    // Act
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..MESSAGES {
        let (ctl, appid, fan) = (ctls[i % 2].clone(), appid.clone(), fans[i % FANS].clone());
        writes.spawn(async move { write(&ctl, &appid, &fan, &format!("message {i}")).await });
    }
    let sent: BTreeSet<i64> = writes.join_all().await.into_iter().collect();
    r.wait_for(MESSAGES, 60).await;
    log_until(&ctls[0], &appid, |log| log.len() >= MESSAGES).await;
    drained(&ctls[0], &appid).await;

    // Assert
    let got = r.arrivals();
    let mut ids: Vec<i64> = got.iter().map(msgid).collect();
    ids.sort_unstable();
    assert_eq!(sent.len(), MESSAGES);
    assert_eq!(
        ids,
        sent.iter().copied().collect::<Vec<_>>(),
        "every MsgId exactly once"
    );
    let bodies: BTreeSet<&str> = got.iter().map(|a| a.body.as_str()).collect();
    for (n, ctl) in ctls.iter().enumerate() {
        let log = ctl.deliveries(&appid, None, Some(1000)).await.expect("deliveries");
        assert_eq!(log.len(), MESSAGES, "instance {n}: {log:#?}");
        let pushes: BTreeSet<i64> = log.iter().map(|d| d.push_id).collect();
        assert_eq!(pushes.len(), MESSAGES, "instance {n}: one try per push");
        assert!(
            log.iter()
                .all(|d| (d.attempt, d.outcome.as_str(), d.last) == (1, "ok", true)),
            "instance {n}: {log:#?}"
        );
        let requests: BTreeSet<&str> = log.iter().map(|d| d.request.as_str()).collect();
        assert_eq!(requests, bodies, "instance {n}: the log shows what arrived");
        assert_eq!(ctl.callback(&appid).await.expect("callback").pending, 0, "instance {n}");
    }
    assert_eq!(r.problems(), Vec::<String>::new());
}
