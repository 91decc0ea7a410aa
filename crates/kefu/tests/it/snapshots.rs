//! Export, import and snapshots through the real binary: the CLI commands,
//! and SIGKILLs in the middle of saves and restores, after which the state
//! and every snapshot are exactly one of the saved states, never a mix.

use crate::support::{data_dir, Kefu};
use kefu_client::ControlClient;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];

/// `base` with `n` followers of the demo app whose openids start with
/// `prefix`, and the clock `offset` seconds ahead.
fn with_followers(base: &Value, prefix: &str, n: usize, offset: i64) -> String {
    let mut doc = base.clone();
    let appid = doc["tables"]["apps"][0]["appid"].clone();
    let fans: Vec<Value> = (0..n)
        .map(|i| {
            json!({"appid": appid, "openid": format!("{prefix}{i:027}"), "subscribed": true, "followed_at": 1,
                   "ever_followed": true, "msg_left": 0, "msg_until": 0, "evt_left": 3, "evt_until": 60,
                   "last_contact": null, "typing_until": null})
        })
        .collect();
    doc["tables"]["fans"] = Value::Array(fans);
    let mut meta: Vec<Value> = doc["tables"]["meta"].as_array().cloned().unwrap_or_default();
    meta.retain(|row| row["key"] != "clock_offset");
    meta.push(json!({"key": "clock_offset", "value": offset.to_string()}));
    doc["tables"]["meta"] = Value::Array(meta);
    doc.to_string()
}

/// Two states (their exports) saved as snapshots `p` and `q`; the server is
/// left in `q`.
async fn two_states(ctl: &ControlClient) -> (String, String) {
    let base: Value = serde_json::from_str(&ctl.export().await.expect("export")).expect("JSON");
    let mut exports = Vec::new();
    for (name, offset) in [("p", 100), ("q", 200)] {
        ctl.import(with_followers(&base, name, 2000, offset))
            .await
            .expect("import");
        ctl.save_snapshot(name).await.expect("save");
        exports.push(ctl.export().await.expect("export"));
    }
    let q = exports.pop().expect("q");
    let p = exports.pop().expect("p");
    (p, q)
}

#[derive(Clone, Copy)]
enum Op {
    Save(&'static str),
    Restore(&'static str),
}

/// Runs `ops` round and round until SIGKILLed after `answered` answers
/// (while the next call is in flight), then restarts on the same file.
async fn kill_during(db: &Path, kefu: Kefu, ops: &'static [Op], answered: usize) -> Kefu {
    let done = Arc::new(AtomicUsize::new(0));
    let (ctl, count) = (kefu.control(), Arc::clone(&done));
    let looping = tokio::spawn(async move {
        for op in ops.iter().cycle() {
            let answer = match *op {
                Op::Save(name) => ctl.save_snapshot(name).await.map(drop),
                Op::Restore(name) => ctl.restore_snapshot(name).await.map(drop),
            };
            if answer.is_err() {
                return;
            }
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while done.load(Ordering::SeqCst) < answered {
        assert!(Instant::now() < deadline, "the loop stalled at {:?}", done);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    kefu.kill();
    let _ = looping.await;
    Kefu::start_on(db, &FROZEN)
}

/// The state is `p` or `q` exactly; so is what each snapshot restores, and
/// `p` and `q` are still themselves.
async fn assert_whole(kefu: &Kefu, p: &str, q: &str, snapshots: &[&str]) {
    let ctl = kefu.control();
    let now = ctl.export().await.expect("export");
    assert!(now == p || now == q, "the state after the kill is neither saved state");
    for name in snapshots {
        ctl.restore_snapshot(name).await.expect("restore");
        let restored = ctl.export().await.expect("export");
        assert!(
            restored == p || restored == q,
            "snapshot {name} holds neither saved state"
        );
        if *name == "p" || *name == "q" {
            assert_eq!(restored, if *name == "p" { p } else { q }, "snapshot {name} changed");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_during_saves_leaves_every_snapshot_whole() {
    const OPS: &[Op] = &[Op::Restore("p"), Op::Save("s"), Op::Restore("q"), Op::Save("s")];
    let (_dir, db) = data_dir();
    let mut kefu = Kefu::start_on(&db, &FROZEN);
    let (p, q) = two_states(&kefu.control()).await;
    kefu.control().save_snapshot("s").await.expect("save");
    for answered in [1, 2, 5] {
        kefu = kill_during(&db, kefu, OPS, answered).await;
        assert_whole(&kefu, &p, &q, &["s", "p", "q"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_during_restores_leaves_one_whole_state() {
    const OPS: &[Op] = &[Op::Restore("p"), Op::Restore("q")];
    let (_dir, db) = data_dir();
    let mut kefu = Kefu::start_on(&db, &FROZEN);
    let (p, q) = two_states(&kefu.control()).await;
    for answered in [1, 2, 5] {
        kefu = kill_during(&db, kefu, OPS, answered).await;
        assert_whole(&kefu, &p, &q, &["p", "q"]).await;
    }
}

#[tokio::test]
async fn the_cli_exports_imports_and_keeps_snapshots() {
    let kefu = Kefu::start_with(&FROZEN);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state.json");
    let file = file.to_str().expect("UTF-8 path");
    let out = kefu.cli(&["export", "-o", file]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let exported = std::fs::read_to_string(file).expect("the export file");
    assert_eq!(exported, kefu.control().export().await.expect("export"));

    let saved: Value = kefu.cli(&["snapshot", "save", "clean"]).await.json();
    assert_eq!(saved["name"], "clean");
    kefu.cli(&["clock", "600"]).await.json::<Value>();
    kefu.cli(&["snapshot", "restore", "clean"]).await.json::<Value>();
    assert_eq!(kefu.control().export().await.expect("export"), exported);
    let listed: Value = kefu.cli(&["snapshot", "list"]).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    kefu.cli(&["clock", "600"]).await.json::<Value>();
    let imported: Value = kefu.cli(&["import", file]).await.json();
    assert!(imported["rows"].as_u64() > Some(0), "{imported}");
    assert_eq!(kefu.control().export().await.expect("export"), exported);

    let out = kefu.cli(&["snapshot", "rm", "clean"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = kefu.cli(&["snapshot", "rm", "clean"]).await;
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("404 snapshot_not_found: snapshot not found"),
        "{out:?}"
    );
    std::fs::write(file, "{\"format\": \"other\"}").expect("write");
    let out = kefu.cli(&["import", file]).await;
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("400 bad_request: format: expected \"kefu-export\""),
        "{out:?}"
    );
}
