//! `kfsession/create`: the contract's order of checks, idempotence, and
//! `accepted_case` in `getonlinekflist`.

use crate::support::TestApp;
use serde_json::json;

const CREATE: &str = "/customservice/kfsession/create";
const ONLINE: &str = "/cgi-bin/customservice/getonlinekflist";

fn body(account: &str, openid: &str) -> serde_json::Value {
    json!({"kf_account": account, "openid": openid})
}

/// A session opens, `accepted_case` counts it, and the control API shows it.
#[tokio::test]
async fn create_opens_a_session_counted_in_accepted_case() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_1").await;
    let (o1, o2) = (app.follow().await, app.follow().await);
    app.wx(CREATE, body(&a, &o1)).await.assert_ok();
    app.wx(CREATE, body(&a, &o2)).await.assert_ok();
    assert_eq!(
        app.wx_get(ONLINE).await.body,
        r#"{"kf_online_list":[{"kf_account":"a@test","status":1,"kf_id":1001,"accepted_case":2}]}"#
    );
    let sessions = app.snapshot().await["sessions"].clone();
    assert_eq!(sessions.as_array().unwrap().len(), 2);
    assert_eq!(sessions[0]["createtime"], crate::support::T0);
}

/// Creating an existing session again succeeds and changes nothing.
#[tokio::test]
async fn create_is_idempotent() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_1").await;
    let o = app.follow().await;
    app.wx(CREATE, body(&a, &o)).await.assert_ok();
    let before = app.snapshot().await;
    app.advance(60).await;
    app.wx(CREATE, body(&a, &o)).await.assert_ok();
    assert_eq!(app.snapshot().await["sessions"], before["sessions"]);
    assert_eq!(app.wx_get(ONLINE).await.json()["kf_online_list"][0]["accepted_case"], 1);
}

/// 65401 for malformed, unknown or missing accounts.
#[tokio::test]
async fn create_with_an_unknown_account_is_65401() {
    let app = TestApp::new().await;
    app.online_kf("a", "worker_1").await;
    let o = app.follow().await;
    let before = app.snapshot().await;
    for account in ["zz@test", "a@other", ""] {
        app.assert_rejected(
            app.wx(CREATE, body(account, &o)),
            65401,
            "invalid custom service account",
            &before,
        )
        .await;
    }
    let missing = app.wx(CREATE, json!({"openid": o}));
    app.assert_rejected(missing, 65401, "invalid custom service account", &before)
        .await;
}

/// 65402 for an unbound account, before the follower is looked at.
#[tokio::test]
async fn create_with_an_unbound_account_is_65402() {
    let app = TestApp::new().await;
    let a = app.add_kf("a").await;
    app.invite(&a, "worker_1").await.assert_ok();
    let before = app.snapshot().await;
    let msg = "the custom service account need to bind a wechat user";
    app.assert_rejected(app.wx(CREATE, body(&a, "not-a-follower")), 65402, msg, &before)
        .await;
}

/// 65415 when the worker is offline, before the follower is looked at.
#[tokio::test]
async fn create_with_an_offline_worker_is_65415() {
    let app = TestApp::new().await;
    let a = app.bound_kf("a", "worker_1").await;
    let o = app.follow().await;
    let before = app.snapshot().await;
    app.assert_rejected(app.wx(CREATE, body(&a, &o)), 65415, "the worker is not online", &before)
        .await;
    app.assert_rejected(
        app.wx(CREATE, body(&a, "nobody")),
        65415,
        "the worker is not online",
        &before,
    )
    .await;
}

/// 40003 for openids that are unknown, missing, or another app's follower.
#[tokio::test]
async fn create_for_a_non_follower_is_40003() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_1").await;
    let (other, _, _) = app.other_app(json!({})).await;
    let foreign = app
        .control("POST", &format!("/_kefu/apps/{other}/fans"), json!({}))
        .await["openid"]
        .clone();
    let before = app.snapshot().await;
    for openid in ["nobody", "", foreign.as_str().unwrap()] {
        app.assert_rejected(app.wx(CREATE, body(&a, openid)), 40003, "invalid openid", &before)
            .await;
    }
    app.assert_rejected(
        app.wx(CREATE, json!({"kf_account": a})),
        40003,
        "invalid openid",
        &before,
    )
    .await;
}

/// 65414 when another account serves the follower; nothing moves.
#[tokio::test]
async fn create_for_a_follower_served_by_another_is_65414() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_1").await;
    let b = app.online_kf("b", "worker_2").await;
    let o = app.follow().await;
    app.wx(CREATE, body(&a, &o)).await.assert_ok();
    let before = app.snapshot().await;
    app.assert_rejected(
        app.wx(CREATE, body(&b, &o)),
        65414,
        "another worker is serving the customer",
        &before,
    )
    .await;
}

/// Going offline keeps the sessions a worker holds; a new one needs them online.
#[tokio::test]
async fn an_offline_worker_keeps_its_sessions() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_1").await;
    let o = app.follow().await;
    app.wx(CREATE, body(&a, &o)).await.assert_ok();
    app.set_online(&a, false).await;
    assert_eq!(app.snapshot().await["kf_accounts"][0]["accepted_case"], 1);
    assert_eq!(app.wx_get(ONLINE).await.body, r#"{"kf_online_list":[]}"#);
}

/// Mini Programs and uncertified accounts cannot create sessions (48001).
#[tokio::test]
async fn create_is_48001_outside_its_scope() {
    let app = TestApp::new().await;
    app.patch(json!({"certified": false})).await;
    app.wx(CREATE, body("a@test", "o"))
        .await
        .assert_err(48001, "api unauthorized");
}
