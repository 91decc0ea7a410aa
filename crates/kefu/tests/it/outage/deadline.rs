//! The store's caller deadline under a database that stops answering: a
//! connection whose job passes it is given up (so writes recover within
//! seconds of the path's return, even when the old connections never close),
//! and a write answered as failed is never committed afterwards.

use super::relay::Mode;
use super::rig::{assert_unavailable, get, post_any, Rig};
use super::{CALLER_DEADLINE, GRACE, SYSTEM_ERROR};
use crate::support::strip_rid;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Longest writes may keep failing once a black hole lets connections
/// through again: connection attempts made into it give up within 5 s
/// (2 s to connect, 3 s more for the handshake), and the next ones pass.
const BLACK_HOLE_RECOVERY: Duration = Duration::from_secs(8);
/// Longest health may take to answer 503 (it waits 3 s for the store).
const HEALTH_WITHIN: Duration = Duration::from_secs(4);
/// Writes kept in flight during the black hole.
const LOAD: usize = 12;
const OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;
/// What the control API answers when the store failed.
const INTERNAL: &str = r#"{"error":"internal","message":"internal error"}"#;

/// A path that swallows kefu's connections for good (they stay open and
/// silent even after new ones pass again): meanwhile a write answers
/// `-1 system error` within the caller deadline and health 503; once new
/// connections get through, writes succeed again within a few seconds,
/// although the swallowed connections never answer or close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_black_hole_writes_recover_within_seconds() {
    // Arrange
    let Some(rig) = Rig::start().await else { return };

    // Act: every open connection goes silent for good; new ones too. Writes
    // keep every worker busy meanwhile.
    rig.relay.set(Mode::BlackHole);
    let mut load = load(&rig);
    let (write, write_took) = rig.add("b").await;
    let (health_status, unhealthy, health_took) = get(&rig.http, &rig.health).await;

    // Assert
    assert_eq!(strip_rid(&write), SYSTEM_ERROR);
    assert!(
        write_took < CALLER_DEADLINE + GRACE,
        "kfaccount/add took {write_took:?}"
    );
    assert_unavailable(health_status, &unhealthy, health_took);
    assert!(health_took < HEALTH_WITHIN, "health took {health_took:?}");

    // Act: new connections pass again; the swallowed ones stay silent.
    rig.relay.set(Mode::Open);
    let back = Instant::now();
    let mut tries = 0;
    let recovered = loop {
        tries += 1;
        let (answer, _) = rig.add(&format!("r{tries}")).await;
        if answer == OK {
            break back.elapsed();
        }
        assert_eq!(strip_rid(&answer), SYSTEM_ERROR);
        assert!(
            back.elapsed() < BLACK_HOLE_RECOVERY,
            "writes still fail {:?} after the path came back",
            back.elapsed()
        );
    };
    load.abort_all();

    // Assert
    eprintln!("writes recovered {recovered:?} after the black hole ended ({tries} tries)");
    assert!(recovered < BLACK_HOLE_RECOVERY, "writes recovered after {recovered:?}");
    let (status, healthy, _) = get(&rig.http, &rig.health).await;
    assert_eq!(
        (status, healthy.as_str()),
        (200, r#"{"status":"ok","store":"postgres"}"#)
    );
}

/// Writes in flight while the database stalls past the caller deadline are
/// answered as failed; when it answers again none of them shows up, and
/// creating each again succeeds, so none can be committed later either (a
/// late commit of one would make its second creation a conflict, or fail
/// itself on the second's row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_answered_failed_during_a_stall_are_never_committed() {
    // Arrange
    let Some(rig) = Rig::start().await else { return };
    let appids: Vec<String> = (1..=6).map(|i| format!("wxstalled{i}")).collect();

    // Act: the database stalls; several creates are in flight or queued.
    rig.relay.set(Mode::Stall);
    let answers = create_apps(&rig, &appids).await;

    // Assert: each answered as failed, within the caller deadline.
    for (appid, status, body, took) in &answers {
        assert_eq!((*status, body.as_str()), (500, INTERNAL), "{appid}");
        assert!(*took < CALLER_DEADLINE + GRACE, "{appid} took {took:?}");
    }

    // Act: the stall ends (the stalled connections are closed).
    rig.relay.set(Mode::Open);
    rig.wait_for_recovery().await;

    // Assert: none of them was committed, and none can be any more.
    let listed = rig.appids().await;
    let committed: Vec<_> = appids.iter().filter(|a| listed.contains(a)).collect();
    assert!(committed.is_empty(), "answered failed, then committed: {committed:?}");
    for (appid, status, body, _) in create_apps(&rig, &appids).await {
        assert_eq!(status, 201, "{appid}: {body}");
    }
}

/// Writes that keep coming, several at a time, until aborted.
fn load(rig: &Rig) -> JoinSet<()> {
    let mut load = JoinSet::new();
    for writer in 0..LOAD {
        let (http, url) = (rig.http.clone(), rig.add.clone());
        let wechat_id = rig.kefu.demo.wechat_id.clone();
        load.spawn(async move {
            for n in 0.. {
                let account = format!("load{writer}x{n}@{wechat_id}");
                post_any(&http, &url, json!({"kf_account": account, "nickname": "load"})).await;
            }
        });
    }
    load
}

/// Creates the apps all at once: each appid with its HTTP status, raw body
/// and how long the answer took.
async fn create_apps(rig: &Rig, appids: &[String]) -> Vec<(String, u16, String, Duration)> {
    let url = format!("{}/_kefu/apps", rig.kefu.base);
    let mut calls = JoinSet::new();
    for appid in appids {
        let (http, url, appid) = (rig.http.clone(), url.clone(), appid.clone());
        calls.spawn(async move {
            let (status, body, took) = post_any(&http, &url, json!({"appid": appid})).await;
            (appid, status, body, took)
        });
    }
    let mut answers = calls.join_all().await;
    answers.sort();
    answers
}
