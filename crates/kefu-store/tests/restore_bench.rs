//! How long restoring a snapshot takes on SQLite, for the size the
//! snapshots promise to restore fast: 10 apps, 1 000 kf accounts, 10 000
//! followers and 10 000 chat records. Ignored by default; run with
//! `cargo test --release -p kefu-store --test restore_bench -- --ignored --nocapture`.

use kefu_store::{Document, Store, Tx};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn app(i: usize) -> Value {
    json!({"appid": format!("wx{i:02}"), "secret": "s".repeat(32), "account_type": "service_account",
           "certified": true, "wechat_id": "test", "original_id": "gh_000000000000", "kf_enabled": true,
           "next_kf_id": 1101, "created_at": 1, "ip_whitelist": "", "quotas": ""})
}

fn kf(i: usize) -> Value {
    json!({"appid": format!("wx{:02}", i % 10), "kf_account": format!("kf{}@test", 1001 + i / 10),
           "kf_id": 1001 + i / 10, "nickname": format!("客服{i}"), "headimg_version": 0, "worker": format!("w{i}"),
           "online": true, "invite_wx": null, "invite_expire_time": null, "invite_rejected": false})
}

fn fan(i: usize) -> Value {
    json!({"appid": format!("wx{:02}", i % 10), "openid": format!("o{i:028}"), "subscribed": true,
           "followed_at": 5, "ever_followed": true, "msg_left": 5, "msg_until": 172805, "evt_left": 3,
           "evt_until": 172805, "last_contact": 5, "typing_until": null})
}

fn record(i: usize) -> Value {
    json!({"msgid": i + 1, "appid": format!("wx{:02}", i % 10), "openid": format!("o{i:028}"),
           "worker": format!("kf{}@test", 1001 + i % 100), "opercode": 2002, "msgtype": "text",
           "text": format!("reply number {i}"), "detail": format!("{{\"content\":\"reply number {i}\"}}"), "time": 6})
}

/// `big()` after a test: two followers gone, one added, a record changed.
fn changed() -> Value {
    let mut doc = big();
    let fans = doc["tables"]["fans"].as_array_mut().unwrap();
    fans.truncate(9_998);
    fans.push(fan(20_000));
    doc["tables"]["messages"][5]["text"] = json!("changed");
    doc
}

fn big() -> Value {
    json!({"format": "kefu-export", "version": 1, "tables": {
        "apps": (0..10).map(app).collect::<Vec<_>>(),
        "kf_accounts": (0..1000).map(kf).collect::<Vec<_>>(),
        "fans": (0..10_000).map(fan).collect::<Vec<_>>(),
        "messages": (0..10_000).map(record).collect::<Vec<_>>(),
    }})
}

async fn restore(store: &dyn Store, name: &'static str) -> Option<u64> {
    store
        .write(move |tx: &mut dyn Tx| tx.restore_snapshot(name))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: prints how long a restore takes"]
async fn restoring_a_large_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::new(kefu_store::sqlite::SqliteStore::open(&dir.path().join("kefu.db")).unwrap());
    let doc = Document::from_json(&big()).unwrap();
    store
        .write(move |tx: &mut dyn Tx| {
            tx.import_state(&doc)?;
            tx.save_snapshot("big", kefu_core::Timestamp(1))
        })
        .await
        .unwrap();
    let changed = Document::from_json(&changed()).unwrap();
    let mut times: Vec<Duration> = Vec::new();
    let mut unchanged: Vec<Duration> = Vec::new();
    for _ in 0..10 {
        // What a test might have done: a few rows changed, added, deleted.
        let doc = changed.clone();
        store.write(move |tx: &mut dyn Tx| tx.import_state(&doc)).await.unwrap();
        let start = Instant::now();
        let rows = restore(&*store, "big").await;
        times.push(start.elapsed());
        assert_eq!(rows, Some(21_010));
        let start = Instant::now();
        restore(&*store, "big").await;
        unchanged.push(start.elapsed());
    }
    times.sort();
    unchanged.sort();
    let text = big().to_string();
    let bytes = text.len();
    let start = Instant::now();
    let value: Value = serde_json::from_str(&text).unwrap();
    let doc = Document::from_json(&value).unwrap();
    println!("parse alone: {:?}", start.elapsed());
    let start = Instant::now();
    store.write(move |tx: &mut dyn Tx| tx.import_state(&doc)).await.unwrap();
    println!("import alone: {:?}", start.elapsed());
    let start = Instant::now();
    store.write(move |tx: &mut dyn Tx| tx.wipe()).await.unwrap();
    println!("wipe alone: {:?}", start.elapsed());
    println!(
        "restore of 21 010 rows ({bytes} bytes as JSON) after a test's changes: median {:?}, min {:?}, max {:?}",
        times[5], times[0], times[9]
    );
    println!("restore when nothing changed: median {:?}", unchanged[5]);
    let start = Instant::now();
    store.write(|tx: &mut dyn Tx| tx.wipe()).await.unwrap();
    restore(&*store, "big").await;
    println!("restore into an empty state: {:?}", start.elapsed());
}
