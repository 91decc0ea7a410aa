//! Conformance for the whole state at once: an export is exactly what an
//! import wrote, on every backend and across them; an import replaces
//! everything but the snapshots and restarts generated ids; snapshots are
//! saved, listed and deleted.

use super::callback::{enqueue, subscribe, write};
use super::{app, put_app, Subject};
use kefu_core::ids::{AppId, MsgId, OpenId};
use kefu_core::message::{Message, Opercode};
use kefu_core::push::PushId;
use kefu_core::Timestamp;
use kefu_store::{Document, SnapshotInfo, Store, StoreError};
use serde_json::{json, Value};

/// A document with a row in every table, and every type's edge values
/// (nulls, negative and large integers, non-ASCII text, every byte).
pub fn fixture() -> Value {
    let every_byte: Vec<u8> = (0..=255).collect();
    let every_byte = base64_of(&every_byte);
    json!({"format": "kefu-export", "version": 1, "tables": {
        "meta": [{"key": "clock_offset", "value": "3600"}, {"key": "demo_appid", "value": "wx1"}],
        "apps": [app_row("wx1"), app_row("wx2")],
        "tokens": [
            {"token": "t1", "appid": "wx1", "kind": "plain", "issued_at": 10, "expires_at": 7210, "invalid_after": null, "via": null},
            {"token": "t2", "appid": "wx2", "kind": "authorizer", "issued_at": 11, "expires_at": 7211, "invalid_after": 311, "via": "wxc1"}],
        "current_tokens": [{"appid": "wx1", "kind": "plain", "token": "t1"}],
        "counters": [{"appid": "wx1", "key": "day:/cgi-bin/token", "window_start": 0, "count": 3, "last_at": 12}],
        "kf_accounts": [
            {"appid": "wx1", "kf_account": "kf1001@test", "kf_id": 1001, "nickname": "客服一号 🎧", "headimg_version": 2,
             "worker": "alice", "online": true, "invite_wx": null, "invite_expire_time": null, "invite_rejected": false},
            {"appid": "wx1", "kf_account": "kf1002@test", "kf_id": 1002, "nickname": "two", "headimg_version": 0,
             "worker": null, "online": false, "invite_wx": "bob", "invite_expire_time": 604810, "invite_rejected": true}],
        "headimgs": [{"appid": "wx1", "kf_account": "kf1001@test", "content_type": "image/png", "data": every_byte}],
        "wechat_users": [{"wx": "ghost", "invalid": true}],
        "fans": [{"appid": "wx1", "openid": "o1", "subscribed": true, "followed_at": 5, "ever_followed": true,
                  "msg_left": 4, "msg_until": 172805, "evt_left": 0, "evt_until": 0, "last_contact": 5, "typing_until": null}],
        "sessions": [{"appid": "wx1", "openid": "o1", "kf_account": "kf1001@test", "created_at": 6, "last_msg_at": 7}],
        "waitcases": [{"seq": 41, "appid": "wx1", "openid": "o2", "kf_account": null, "arrived_at": 8, "latest_time": 8}],
        "messages": [
            {"msgid": 7, "appid": "wx1", "openid": "o1", "worker": null, "opercode": 2003, "msgtype": "text",
             "text": "你好\n\"quoted\"", "detail": "{}", "time": 5},
            {"msgid": 9, "appid": "wx1", "openid": "o1", "worker": "alice", "opercode": 2002, "msgtype": "text",
             "text": "hi", "detail": "{}", "time": 7}],
        "components": [{"component_appid": "wxc1", "secret": "cs", "ip_whitelist": "", "created_at": 1}],
        "tickets": [{"ticket": "ticket@@@1", "component_appid": "wxc1", "issued_at": 600}],
        "authorizations": [{"component_appid": "wxc1", "appid": "wx2", "perm_sets": "1,2", "authorized_at": 3,
            "refresh_token": "r1", "previous_refresh": null, "previous_until": null, "current_token": "t2"}],
        "callbacks": [{"appid": "wx1", "url": "https://dev.example/wx1", "token": "tok", "encoding_aes_key": null,
                       "mode": "plaintext", "format": "xml", "updated_at": 2}],
        "outbox": [{"id": 12, "appid": "wx1", "openid": "o1", "created_at": 7, "nonce": i64::MIN, "event": "text",
                    "msgid": 7, "a": "你好", "b": "", "attempts": 1}],
        "deliveries": [{"id": 30, "push_id": 11, "appid": "wx1", "openid": "o1", "event": "message", "attempt": 1,
            "at": 6, "url": "https://dev.example/wx1", "request": "<xml/>", "status": null, "response": "",
            "latency_ms": 5000, "outcome": "timeout", "detail": "", "last": false}]
    }})
}

fn app_row(appid: &str) -> Value {
    json!({"appid": appid, "secret": "s".repeat(32), "account_type": "service_account", "certified": true,
           "wechat_id": "test", "original_id": "gh_000000000000", "kf_enabled": false, "next_kf_id": 1003,
           "created_at": 1, "ip_whitelist": "127.0.0.1", "quotas": ""})
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub async fn import(st: &dyn Store, doc: &Value) {
    let doc = Document::from_json(doc).unwrap();
    write(st, move |tx| tx.import_state(&doc)).await;
}

pub async fn export(st: &dyn Store) -> Value {
    write(st, |tx| tx.export_state()).await.to_json()
}

pub async fn export_import_export_gives_the_same_document(s: Subject) {
    let st = &*s.store;
    import(st, &fixture()).await;
    let first = export(st).await;
    assert_eq!(first, fixture());
    write(st, |tx| tx.check_state()).await;
    import(st, &first).await;
    assert_eq!(export(st).await, first);
    let reopened = (s.reopen)();
    assert_eq!(export(&*reopened).await, first);
}

pub async fn a_row_out_of_its_domain_fails_the_check(s: Subject) {
    let st = &*s.store;
    let mut doc = fixture();
    doc["tables"]["kf_accounts"][1]["invite_rejected"] = json!(false);
    doc["tables"]["outbox"][0]["event"] = json!("teleport");
    import(st, &doc).await;
    let checked = st.write(|tx: &mut dyn kefu_store::Tx| tx.check_state()).await;
    assert_eq!(
        checked,
        Err(StoreError::Corrupt("tables.outbox: push event teleport".into()))
    );
}

pub async fn import_replaces_everything_but_snapshots_and_restarts_ids(s: Subject) {
    // Past the outbox's largest imported id when that is the largest.
    import(s.store.as_ref(), &fixture()).await;
    assert_eq!(enqueue(s.store.as_ref(), vec![subscribe("wx1")]).await, [PushId(13)]);
    write(s.store.as_ref(), |tx| tx.wipe()).await;

    let st = &*s.store;
    put_app(st, app("wx_old")).await;
    enqueue(st, (0..20).map(|_| subscribe("wx_old")).collect()).await;
    write(st, |tx| tx.save_snapshot("kept", Timestamp(1))).await;
    import(st, &fixture()).await;
    let apps = write(st, |tx| tx.apps()).await;
    let appids: Vec<&str> = apps.iter().map(|a| a.appid.as_str()).collect();
    assert_eq!(appids, ["wx1", "wx2"]);
    let kept: Vec<String> = write(st, |tx| tx.snapshots())
        .await
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(kept, ["kept"]);
    let msg = Message {
        msgid: MsgId(0),
        appid: AppId::new("wx1"),
        openid: OpenId::new("o1"),
        worker: None,
        opercode: Opercode::Received,
        msgtype: "text".into(),
        text: "x".into(),
        detail: "{}".into(),
        time: Timestamp(9),
    };
    assert_eq!(write(st, move |tx| tx.insert_message(&msg)).await, MsgId(10));
    // Push ids never go back: past the 33 handed out before this import.
    assert_eq!(enqueue(st, vec![subscribe("wx1")]).await, [PushId(34)]);
}

pub async fn snapshots_are_saved_listed_restored_and_deleted(s: Subject) {
    let st = &*s.store;
    import(st, &fixture()).await;
    let a = write(st, |tx| tx.save_snapshot("a", Timestamp(6))).await;
    let rows = Document::from_json(&fixture()).unwrap().rows() as u64;
    assert_eq!(a, info("a", 6, rows));
    write(st, |tx| tx.wipe()).await;
    write(st, |tx| tx.save_snapshot("b", Timestamp(7))).await;
    // Saving under a taken name replaces it.
    put_app(st, app("wx9")).await;
    write(st, |tx| tx.save_snapshot("b", Timestamp(8))).await;
    let listed = write(st, |tx| tx.snapshots()).await;
    assert_eq!(listed, [info("a", 6, rows), info("b", 8, 1)]);

    assert_eq!(write(st, |tx| tx.restore_snapshot("a")).await, Some(rows));
    assert_eq!(export(st).await, fixture());
    assert_eq!(write(st, |tx| tx.restore_snapshot("b")).await, Some(1));
    let apps = write(st, |tx| tx.apps()).await;
    assert_eq!(apps.iter().map(|a| a.appid.as_str()).collect::<Vec<_>>(), ["wx9"]);
    assert_eq!(write(st, |tx| tx.restore_snapshot("a")).await, Some(rows));
    assert_eq!(export(st).await, fixture());

    assert!(write(st, |tx| tx.delete_snapshot("b")).await);
    assert!(!write(st, |tx| tx.delete_snapshot("b")).await);
    assert_eq!(write(st, |tx| tx.restore_snapshot("b")).await, None);
    assert_eq!(
        export(st).await,
        fixture(),
        "restoring a missing snapshot changes nothing"
    );
    // A wipe (`/_kefu/reset`) keeps them.
    write(st, |tx| tx.wipe()).await;
    assert_eq!(write(st, |tx| tx.snapshots()).await, [info("a", 6, rows)]);
}

fn info(name: &str, at: i64, rows: u64) -> SnapshotInfo {
    SnapshotInfo {
        name: name.into(),
        created_at: Timestamp(at),
        rows,
    }
}

/// SQLite's export imported into PostgreSQL exports the same document, and
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_moves_between_backends_unchanged() {
    let (Some(lite), Some(pg)) = (super::sqlite(), super::postgres()) else {
        return;
    };
    import(&*lite.store, &fixture()).await;
    let from_sqlite = export(&*lite.store).await;
    import(&*pg.store, &from_sqlite).await;
    let from_postgres = export(&*pg.store).await;
    assert_eq!(from_postgres, from_sqlite);
    import(&*lite.store, &from_postgres).await;
    assert_eq!(export(&*lite.store).await, from_sqlite);
}
