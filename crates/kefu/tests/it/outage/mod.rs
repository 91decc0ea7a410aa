//! A PostgreSQL outage seen by a running `kefu serve`: the database is
//! reached through a TCP relay (`relay.rs`) that can cut every connection
//! and turn new ones away, hold them all silent, or swallow them for good,
//! then let new ones through again. During the outage calls fail fast with
//! `-1 system error` and health says `unavailable`; afterwards kefu serves
//! again by itself, without a restart, and nothing answered as failed is
//! committed later (`deadline.rs`). The connection password never shows in
//! what kefu prints, even with debug logging.
//!
//! Without a reachable PostgreSQL server the test prints a `SKIPPED` line
//! and passes, unless `KEFU_REQUIRE_POSTGRES=1` makes it fail.

mod deadline;
mod relay;
mod rig;

use crate::support::strip_rid;
use relay::Mode;
use rig::{assert_unavailable, get, Rig};
use std::time::Duration;

const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];
/// The password put in kefu's URL when the test server's URL has none (the
/// test server trusts local connections and ignores it).
const PASSWORD: &str = "hunter2";
/// Longest a call may take to fail while the database is cut off.
const FAIL_FAST: Duration = Duration::from_secs(8);
/// Longest kefu may take to serve again once the database is back.
const RECOVERY: Duration = Duration::from_secs(20);
/// The longest the store makes a caller wait for the database, documented.
const CALLER_DEADLINE: Duration = Duration::from_secs(11);
/// What an HTTP answer may take beyond it.
const GRACE: Duration = Duration::from_secs(5);
const SYSTEM_ERROR: &str = r#"{"errcode":-1,"errmsg":"system error rid: RID"}"#;

/// Cut off from its database, kefu answers `-1 system error` within a few
/// seconds and health answers 503 `unavailable`; with the database back it
/// serves again, reads and writes, without a restart. The URL's password is
/// never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_database_fails_fast_and_kefu_recovers_by_itself() {
    // Arrange
    let Some(rig) = Rig::start().await else { return };

    // Act: every connection to the database is closed, new ones too.
    rig.relay.set(Mode::Cut);
    let (read_status, read, read_took) = get(&rig.http, &rig.kf_list).await;
    let (write, write_took) = rig.add("b").await;
    let (health_status, unhealthy, health_took) = get(&rig.http, &rig.health).await;

    // Assert
    assert_eq!((read_status, strip_rid(&read).as_str()), (200, SYSTEM_ERROR));
    assert!(read_took < FAIL_FAST, "getkflist took {read_took:?}");
    assert_eq!(strip_rid(&write), SYSTEM_ERROR);
    assert!(write_took < FAIL_FAST, "kfaccount/add took {write_took:?}");
    assert_unavailable(health_status, &unhealthy, health_took);

    // Act: the database is back.
    rig.relay.set(Mode::Open);
    rig.wait_for_recovery().await;

    // Assert: the write tried during the outage left nothing; writes work again.
    let (_, healthy, _) = get(&rig.http, &rig.health).await;
    assert_eq!(healthy, r#"{"status":"ok","store":"postgres"}"#);
    assert_eq!(rig.add("c").await.0, r#"{"errcode":0,"errmsg":"ok"}"#);
    let wechat_id = &rig.kefu.demo.wechat_id;
    assert_eq!(
        rig.accounts().await,
        [format!("a@{wechat_id}"), format!("c@{wechat_id}")]
    );
    rig.assert_password_never_printed();
}

/// A database that stops answering without closing anything (a hung server
/// whose host still acknowledges packets): health answers 503 within a few
/// seconds (its probe waits 3 s), a WeChat call answers `-1 system error`
/// within the store's documented 10 s caller deadline (plus the clock re-read's 1 s), and kefu serves
/// again once the database does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_database_fails_within_the_caller_deadline() {
    // Arrange
    let Some(rig) = Rig::start().await else { return };

    // Act: connections stay open but nothing passes; new ones are never answered.
    rig.relay.set(Mode::Stall);
    let health = tokio::time::timeout(FAIL_FAST, get(&rig.http, &rig.health)).await.ok();
    let read = tokio::time::timeout(CALLER_DEADLINE + GRACE, get(&rig.http, &rig.kf_list))
        .await
        .ok();

    // Assert (`None`: no answer in time)
    let health = health.map(|(status, body, _)| (status, body));
    let read = read.map(|(status, body, _)| (status, strip_rid(&body)));
    let unavailable = r#"{"status":"unavailable","store":"postgres"}"#.to_owned();
    assert_eq!(
        (health, read),
        (Some((503, unavailable)), Some((200, SYSTEM_ERROR.to_owned()))),
        "health within {FAIL_FAST:?}, then getkflist within {:?}",
        CALLER_DEADLINE + GRACE
    );

    // Act: the database answers again.
    rig.relay.set(Mode::Open);

    // Assert
    rig.wait_for_recovery().await;
    rig.assert_password_never_printed();
}
