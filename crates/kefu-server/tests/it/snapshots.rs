//! The whole state at once through the control API: export, import (all or
//! nothing, 400 naming what is wrong), and named snapshots; after a
//! replacement no cached credential or clock offset of the old state is
//! used.

use crate::support::TestApp;
use serde_json::{json, Value};

async fn export(app: &TestApp) -> String {
    let r = app.get("/_kefu/export").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn import(app: &TestApp, doc: &str) -> (u16, Value) {
    let r = app
        .send("POST", "/_kefu/import", doc.to_owned(), Some("application/json"))
        .await;
    (r.status, r.json())
}

/// A state with a bound, online kf account, a follower in a session with
/// messages, and a moved clock.
async fn busy(app: &TestApp) {
    let kf = app.online_kf("kf1", "worker_1").await;
    let openid = app.follow().await;
    app.writes(&openid, "hi").await;
    let create = json!({"kf_account": kf, "openid": openid});
    app.wx("/customservice/kfsession/create", create).await.assert_ok();
    app.advance(90).await;
}

#[tokio::test]
async fn export_import_export_gives_the_same_bytes_and_the_state_back() {
    let app = TestApp::new().await;
    busy(&app).await;
    let before = export(&app).await;
    let doc: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(
        (doc["format"].as_str(), doc["version"].as_u64()),
        (Some("kefu-export"), Some(1))
    );
    assert_eq!(doc["tables"]["sessions"].as_array().map(Vec::len), Some(1));
    let state = app.snapshot().await;

    app.add_kf("kf2").await;
    app.follow().await;
    app.advance(600).await;
    let (status, answer) = import(&app, &before).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["rows"].as_u64() > Some(5), "{answer}");
    assert_eq!(export(&app).await, before);
    assert_eq!(app.snapshot().await, state);
    let clock = app.control("GET", "/_kefu/clock", Value::Null).await;
    assert_eq!(clock["offset"], 90);
}

#[tokio::test]
async fn an_import_drops_the_cached_credentials_of_the_old_state() {
    let app = TestApp::new().await;
    app.add_kf("kf1").await; // the token is now cached
    let mut doc: Value = serde_json::from_str(&export(&app).await).unwrap();
    doc["tables"]["tokens"] = json!([]);
    doc["tables"]["current_tokens"] = json!([]);
    let (status, answer) = import(&app, &doc.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let r = app
        .wx(
            "/customservice/kfaccount/add",
            json!({"kf_account": "x@test", "nickname": "x"}),
        )
        .await;
    assert_eq!(r.json()["errcode"], 40014, "{}", r.body);
}

#[tokio::test]
async fn a_malformed_import_is_refused_naming_the_place_and_changes_nothing() {
    let app = TestApp::new().await;
    busy(&app).await;
    let before = export(&app).await;
    let mut doc: Value = serde_json::from_str(&before).unwrap();
    doc["tables"]["apps"][0]["certified"] = json!("yes");
    doc["tables"]["fans"] = json!([]);
    let (status, answer) = import(&app, &doc.to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"error": "bad_request", "message": "tables.apps[0].certified: expected a boolean"})
    );
    let mut doc: Value = serde_json::from_str(&before).unwrap();
    doc["tables"]["apps"][0]["account_type"] = json!("robot");
    doc["tables"]["fans"] = json!([]);
    let (status, answer) = import(&app, &doc.to_string()).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (400, Some("tables.apps: account_type robot"))
    );
    let (status, answer) = import(&app, r#"{"format": "kefu-export", "version": 9, "tables": {}}"#).await;
    assert_eq!((status, answer["message"].as_str()), (400, Some("version: expected 1")));
    let (status, answer) = import(&app, "").await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (400, Some("format: expected \"kefu-export\""))
    );
    assert_eq!(export(&app).await, before);
}

#[tokio::test]
async fn snapshots_are_saved_listed_restored_and_deleted() {
    let app = TestApp::new().await;
    busy(&app).await;
    let saved = export(&app).await;
    let doc: Value = serde_json::from_str(&saved).unwrap();
    let rows: usize = doc["tables"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_array)
        .map(Vec::len)
        .sum();
    let info = app.control("POST", "/_kefu/snapshots", json!({"name": "base-1"})).await;
    assert_eq!(info["name"], "base-1");
    assert_eq!(info["rows"].as_u64(), Some(rows as u64));

    app.add_kf("kf2").await;
    app.advance(60).await;
    app.control("POST", "/_kefu/snapshots", json!({"name": "later"})).await;
    let listed = app.control("GET", "/_kefu/snapshots", Value::Null).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["base-1", "later"]);

    let restored = app
        .control("POST", "/_kefu/snapshots/base-1/restore", Value::Null)
        .await;
    assert!(restored["rows"].as_u64() > Some(5), "{restored}");
    assert_eq!(export(&app).await, saved);
    assert_eq!(app.control("GET", "/_kefu/clock", Value::Null).await["offset"], 90);
    // Restoring keeps every snapshot, the later one too.
    app.control("POST", "/_kefu/snapshots/later/restore", Value::Null).await;
    assert_eq!(app.control("GET", "/_kefu/clock", Value::Null).await["offset"], 150);

    app.control("DELETE", "/_kefu/snapshots/later", Value::Null).await;
    let not_found = json!({"error": "snapshot_not_found", "message": "snapshot not found"});
    for (method, path) in [
        ("DELETE", "/_kefu/snapshots/later"),
        ("POST", "/_kefu/snapshots/later/restore"),
    ] {
        let r = app.send(method, path, "", None).await;
        assert_eq!((r.status, r.json()), (404, not_found.clone()), "{method} {path}");
    }
}

#[tokio::test]
async fn a_snapshot_name_is_checked() {
    let app = TestApp::new().await;
    let long = "x".repeat(65);
    for name in ["", "a/b", "ä", long.as_str()] {
        let r = app
            .send(
                "POST",
                "/_kefu/snapshots",
                json!({"name": name}).to_string(),
                Some("application/json"),
            )
            .await;
        assert_eq!(r.status, 400, "{name}");
        assert_eq!(r.json()["message"], "name: 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    assert_eq!(app.control("GET", "/_kefu/snapshots", Value::Null).await, json!([]));
}

#[tokio::test]
async fn a_document_larger_than_the_usual_body_limit_imports() {
    let app = TestApp::new().await;
    let mut doc: Value = serde_json::from_str(&export(&app).await).unwrap();
    let fans: Vec<Value> = (0..12_000)
        .map(|i| {
            json!({"appid": app.appid, "openid": format!("o{i:027}"), "subscribed": true, "followed_at": 1,
                   "ever_followed": true, "msg_left": 0, "msg_until": 0, "evt_left": 3, "evt_until": 60,
                   "last_contact": null, "typing_until": null})
        })
        .collect();
    doc["tables"]["fans"] = Value::Array(fans);
    let text = doc.to_string();
    assert!(text.len() > 2 << 20, "{} bytes", text.len());
    let (status, answer) = import(&app, &text).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(export(&app).await, text);
}
