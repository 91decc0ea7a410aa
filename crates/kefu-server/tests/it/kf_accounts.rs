//! `kfaccount/add|update|del|uploadheadimg`, `getkflist`, `getonlinekflist`.

use crate::support::TestApp;
use serde_json::json;

const ADD: &str = "/customservice/kfaccount/add";
const UPDATE: &str = "/customservice/kfaccount/update";
const DEL: &str = "/customservice/kfaccount/del";
const LIST: &str = "/cgi-bin/customservice/getkflist";
const ONLINE: &str = "/cgi-bin/customservice/getonlinekflist";

/// New accounts get kf_id 1001, 1002... as JSON numbers, and list in that order.
#[tokio::test]
async fn added_accounts_list_with_numeric_kf_ids() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    app.wx(ADD, json!({"kf_account": "b_2@test", "nickname": "客服小王"}))
        .await
        .assert_ok();
    assert_eq!(
        app.wx_get(LIST).await.body,
        r#"{"kf_list":[{"kf_account":"a@test","kf_headimgurl":"","kf_id":1001,"kf_nick":"a"},{"kf_account":"b_2@test","kf_headimgurl":"","kf_id":1002,"kf_nick":"客服小王"}]}"#
    );
}

/// 65404 for malformed accounts, 65403 for bad nicknames, 65406 for
/// duplicates, each changing nothing; 65404 is checked before 65403.
#[tokio::test]
async fn add_rejects_bad_accounts_nicknames_and_duplicates() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    let before = app.snapshot().await;
    let add = |account: &str, nick: &str| app.wx(ADD, json!({"kf_account": account, "nickname": nick}));
    for bad in ["a@other", "@test", "toolongprefix@test", "a-b@test", "nobody", ""] {
        app.assert_rejected(add(bad, "n"), 65404, "illegal custom service account", &before)
            .await;
    }
    app.assert_rejected(add("bad@wrong", ""), 65404, "illegal custom service account", &before)
        .await;
    for nick in ["", "   ", &"字".repeat(17)] {
        app.assert_rejected(add("b@test", nick), 65403, "illegal nickname", &before)
            .await;
    }
    app.assert_rejected(
        app.wx(ADD, json!({"kf_account": "b@test"})),
        65403,
        "illegal nickname",
        &before,
    )
    .await;
    app.assert_rejected(add("a@test", "again"), 65406, "custom service account exists", &before)
        .await;
}

/// An app holds at most 100 kf accounts: the 101st is 65405.
#[tokio::test]
async fn the_101st_account_is_65405() {
    let app = TestApp::new().await;
    for i in 0..100 {
        app.add_kf(&format!("k{i}")).await;
    }
    let before = app.snapshot().await;
    let r = app.wx(ADD, json!({"kf_account": "k100@test", "nickname": "n"}));
    app.assert_rejected(r, 65405, "custom service account number reach limit", &before)
        .await;
    // A duplicate at the limit is still 65406 (checked first).
    let dup = app.wx(ADD, json!({"kf_account": "k1@test", "nickname": "n"}));
    app.assert_rejected(dup, 65406, "custom service account exists", &before)
        .await;
}

/// `update` changes the nickname; 65401 for unknown accounts, 65403 for bad nicknames.
#[tokio::test]
async fn update_renames_or_answers_65401_and_65403() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    let before = app.snapshot().await;
    let upd = |account: &str, nick: &str| app.wx(UPDATE, json!({"kf_account": account, "nickname": nick}));
    app.assert_rejected(upd("zz@test", "n"), 65401, "invalid custom service account", &before)
        .await;
    app.assert_rejected(upd("a@other", "n"), 65401, "invalid custom service account", &before)
        .await;
    app.assert_rejected(upd("zz@test", ""), 65401, "invalid custom service account", &before)
        .await;
    app.assert_rejected(upd("a@test", ""), 65403, "illegal nickname", &before)
        .await;
    upd("a@test", "新名字").await.assert_ok();
    assert_eq!(app.wx_get(LIST).await.json()["kf_list"][0]["kf_nick"], "新名字");
}

/// `del` accepts GET with `?kf_account=` (raw `@` or `%40`), POST with the
/// account in the query and any body, and POST with a JSON body.
#[tokio::test]
async fn del_accepts_all_three_request_shapes() {
    let app = TestApp::new().await;
    for p in ["a", "b", "c", "d"] {
        app.add_kf(p).await;
    }
    app.get(&app.with_token(&format!("{DEL}?kf_account=a@test"), &app.token))
        .await
        .assert_ok();
    app.get(&app.with_token(&format!("{DEL}?kf_account=b%40test"), &app.token))
        .await
        .assert_ok();
    app.post(&app.with_token(&format!("{DEL}?kf_account=c@test"), &app.token), "[]")
        .await
        .assert_ok();
    app.wx(DEL, json!({"kf_account": "d@test"})).await.assert_ok();
    assert_eq!(app.wx_get(LIST).await.body, r#"{"kf_list":[]}"#);
}

/// `del` of an unknown account is 65401 and changes nothing; a body-less
/// POST is 44002.
#[tokio::test]
async fn del_of_an_unknown_account_is_65401() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    let before = app.snapshot().await;
    let msg = "invalid custom service account";
    app.assert_rejected(app.wx(DEL, json!({"kf_account": "zz@test"})), 65401, msg, &before)
        .await;
    app.assert_rejected(app.wx_get(DEL), 65401, msg, &before).await;
    app.assert_rejected(app.wx_get(&format!("{DEL}?kf_account=zz@test")), 65401, msg, &before)
        .await;
    app.assert_rejected(app.wx_raw(DEL, ""), 44002, "empty post data", &before)
        .await;
}

/// Deleting an account closes its sessions and cancels its invitation.
#[tokio::test]
async fn del_closes_the_accounts_sessions() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_1").await;
    let invited = app.add_kf("b").await;
    app.invite(&invited, "worker_2").await.assert_ok();
    let openid = app.follow().await;
    app.wx(
        "/customservice/kfsession/create",
        json!({"kf_account": a, "openid": openid}),
    )
    .await
    .assert_ok();
    app.wx(DEL, json!({"kf_account": a})).await.assert_ok();
    app.wx(DEL, json!({"kf_account": invited})).await.assert_ok();
    let state = app.snapshot().await;
    assert_eq!(state["sessions"], json!([]));
    assert_eq!(state["kf_accounts"], json!([]));
    // The invited user is free for another account of the app again.
    let c = app.add_kf("c").await;
    app.invite(&c, "worker_2").await.assert_ok();
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake png body";

/// An uploaded avatar is kept and served back at the URL `kf_headimgurl` names.
#[tokio::test]
async fn an_uploaded_avatar_is_served_back_through_kf_headimgurl() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    app.upload("a@test", "media", PNG).await.assert_ok();
    let list = app.wx_get(LIST).await.json();
    let head = list["kf_list"][0]["kf_headimgurl"].as_str().unwrap().to_owned();
    let path = head
        .strip_prefix("http://127.0.0.1:8080")
        .unwrap_or_else(|| panic!("{head}"));
    let img = app.get(path).await;
    assert_eq!(
        (img.status, img.content_type.as_str(), img.bytes.as_slice()),
        (200, "image/png", PNG)
    );
}

/// Upload errors: 65401 unknown account, 40005 not JPEG/PNG, 45002 over 5 MB,
/// 41005 no `media` part, 44002 empty; none changes anything.
#[tokio::test]
async fn upload_errors_change_nothing() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    let before = app.snapshot().await;
    let msg = "invalid custom service account";
    app.assert_rejected(app.upload("zz@test", "media", PNG), 65401, msg, &before)
        .await;
    app.assert_rejected(
        app.upload("a@test", "media", b"GIF89a not allowed"),
        40005,
        "invalid file type",
        &before,
    )
    .await;
    let mut big = PNG.to_vec();
    big.resize((5 << 20) + 1, 0);
    app.assert_rejected(
        app.upload("a@test", "media", &big),
        45002,
        "content size out of limit",
        &before,
    )
    .await;
    app.assert_rejected(app.upload("a@test", "file", PNG), 41005, "media data missing", &before)
        .await;
    let empty = app.wx_raw("/customservice/kfaccount/uploadheadimg?kf_account=a@test", "");
    app.assert_rejected(empty, 44002, "empty post data", &before).await;
}

/// getonlinekflist lists only bound accounts whose worker is online, with `status` 1.
#[tokio::test]
async fn the_online_list_holds_only_bound_online_workers() {
    let app = TestApp::new().await;
    app.add_kf("unbound").await;
    let offline = app.bound_kf("off", "worker_1").await;
    app.online_kf("on", "worker_2").await;
    assert_eq!(
        app.wx_get(ONLINE).await.body,
        r#"{"kf_online_list":[{"kf_account":"on@test","status":1,"kf_id":1003,"accepted_case":0}]}"#
    );
    app.set_online(&offline, true).await;
    app.set_online("on@test", false).await;
    assert_eq!(
        app.wx_get(ONLINE).await.body,
        r#"{"kf_online_list":[{"kf_account":"off@test","status":1,"kf_id":1002,"accepted_case":0}]}"#
    );
}
