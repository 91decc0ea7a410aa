//! `kfaccount/inviteworker`: every error of the seed document in the
//! contract's order, and invitations on the virtual clock.

use crate::support::{TestApp, T0};
use serde_json::json;

const LIST: &str = "/cgi-bin/customservice/getkflist";
const WEEK: i64 = 7 * 24 * 3600;

/// A sent invitation shows as `waiting` with `invite_wx` and a numeric
/// `invite_expire_time` seven days on.
#[tokio::test]
async fn an_invitation_shows_waiting_with_its_expiry() {
    let app = TestApp::new().await;
    let a = app.add_kf("a").await;
    app.invite(&a, "worker_1").await.assert_ok();
    let expected = format!(
        r#"{{"kf_list":[{{"kf_account":"a@test","kf_headimgurl":"","kf_id":1001,"kf_nick":"a","invite_wx":"worker_1","invite_expire_time":{},"invite_status":"waiting"}}]}}"#,
        T0 + WEEK
    );
    assert_eq!(app.wx_get(LIST).await.body, expected);
}

/// At `invite_expire_time` the invitation reads `expired`, can no longer be
/// accepted, and no longer blocks a new one.
#[tokio::test]
async fn invitations_expire_on_the_virtual_clock() {
    let mut app = TestApp::new().await;
    let a = app.add_kf("a").await;
    app.invite(&a, "worker_1").await.assert_ok();
    app.advance(WEEK - 1).await;
    app.relogin().await;
    assert_eq!(app.wx_get(LIST).await.json()["kf_list"][0]["invite_status"], "waiting");
    app.advance(1).await;
    assert_eq!(app.wx_get(LIST).await.json()["kf_list"][0]["invite_status"], "expired");
    let r = app
        .send(
            "POST",
            &format!("/_kefu/apps/{}/kf/{a}/invitation/accept", app.appid),
            "",
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (409, json!("invitation_expired"))
    );
    app.invite(&a, "worker_2").await.assert_ok();
    assert_eq!(app.wx_get(LIST).await.json()["kf_list"][0]["invite_wx"], "worker_2");
}

/// A rejected invitation reads `rejected` and does not block a new one.
#[tokio::test]
async fn a_rejected_invitation_can_be_followed_by_another() {
    let app = TestApp::new().await;
    let a = app.add_kf("a").await;
    app.invite(&a, "worker_1").await.assert_ok();
    app.control(
        "POST",
        &format!("/_kefu/apps/{}/kf/{a}/invitation/reject", app.appid),
        json!({}),
    )
    .await;
    assert_eq!(app.wx_get(LIST).await.json()["kf_list"][0]["invite_status"], "rejected");
    app.invite(&a, "worker_1").await.assert_ok();
    assert_eq!(app.wx_get(LIST).await.json()["kf_list"][0]["invite_status"], "waiting");
}

/// Accepting binds the account: `kf_wx` replaces the invitation fields.
#[tokio::test]
async fn accepting_binds_the_account() {
    let app = TestApp::new().await;
    app.bound_kf("a", "worker_1").await;
    assert_eq!(
        app.wx_get(LIST).await.body,
        r#"{"kf_list":[{"kf_account":"a@test","kf_headimgurl":"","kf_id":1001,"kf_nick":"a","kf_wx":"worker_1"}]}"#
    );
}

/// 65401 for accounts that are malformed, unknown or missing.
#[tokio::test]
async fn invite_to_an_unknown_account_is_65401() {
    let app = TestApp::new().await;
    app.add_kf("a").await;
    let before = app.snapshot().await;
    let msg = "invalid custom service account";
    for account in ["zz@test", "a@other", "", "a"] {
        app.assert_rejected(app.invite(account, "worker_1"), 65401, msg, &before)
            .await;
    }
    let missing = app.wx(
        "/customservice/kfaccount/inviteworker",
        json!({"invite_wx": "worker_1"}),
    );
    app.assert_rejected(missing, 65401, msg, &before).await;
}

/// 65409 for WeChat IDs that cannot exist, or that the control API marked non-existent.
#[tokio::test]
async fn invalid_wechat_ids_are_65409() {
    let app = TestApp::new().await;
    let a = app.add_kf("a").await;
    app.control("PUT", "/_kefu/wechat-users/ghost_user", json!({"exists": false}))
        .await;
    let before = app.snapshot().await;
    for wx in [
        "",
        "abc",
        "1worker",
        "worker name",
        "a_very_long_wechat_id_1",
        "ghost_user",
    ] {
        app.assert_rejected(app.invite(&a, wx), 65409, "wechat account invalid", &before)
            .await;
    }
    app.control("PUT", "/_kefu/wechat-users/ghost_user", json!({"exists": true}))
        .await;
    app.invite(&a, "ghost_user").await.assert_ok();
}

/// 65412 when the account is bound; it wins over the invitee's own state.
#[tokio::test]
async fn inviting_to_a_bound_account_is_65412() {
    let app = TestApp::new().await;
    let a = app.bound_kf("a", "worker_1").await;
    let before = app.snapshot().await;
    let msg = "the custom service account have been bound by a wechat user";
    app.assert_rejected(app.invite(&a, "worker_2"), 65412, msg, &before)
        .await;
    // worker_1 is also already a worker of the app (65407), but 65412 comes first.
    app.assert_rejected(app.invite(&a, "worker_1"), 65412, msg, &before)
        .await;
    // An invalid WeChat ID is checked before the binding.
    app.assert_rejected(app.invite(&a, "bad id"), 65409, "wechat account invalid", &before)
        .await;
}

/// 65411 while the account's invitation is waiting; it wins over 65408.
#[tokio::test]
async fn a_waiting_invitation_blocks_another_with_65411() {
    let app = TestApp::new().await;
    let a = app.add_kf("a").await;
    let b = app.add_kf("b").await;
    app.invite(&a, "worker_1").await.assert_ok();
    app.invite(&b, "worker_2").await.assert_ok();
    let before = app.snapshot().await;
    let msg = "a effective invitation to bind the custom service account exists";
    app.assert_rejected(app.invite(&a, "worker_3"), 65411, msg, &before)
        .await;
    app.assert_rejected(app.invite(&a, "worker_2"), 65411, msg, &before)
        .await;
}

/// 65407 when the user already works one of the app's accounts; it wins over 65408.
#[tokio::test]
async fn inviting_an_existing_worker_is_65407() {
    let app = TestApp::new().await;
    app.bound_kf("a", "worker_1").await;
    let b = app.add_kf("b").await;
    let before = app.snapshot().await;
    let msg = "the wechat user have been one of your workers";
    app.assert_rejected(app.invite(&b, "worker_1"), 65407, msg, &before)
        .await;
}

/// 65408 when the user holds a waiting invitation from this app for another account.
#[tokio::test]
async fn inviting_an_already_invited_user_is_65408() {
    let mut app = TestApp::new().await;
    let a = app.add_kf("a").await;
    let b = app.add_kf("b").await;
    app.invite(&a, "worker_1").await.assert_ok();
    let before = app.snapshot().await;
    app.assert_rejected(
        app.invite(&b, "worker_1"),
        65408,
        "you have already invited the wechat user",
        &before,
    )
    .await;
    // Once that invitation expires, the user may be invited again.
    app.advance(WEEK).await;
    app.relogin().await;
    app.invite(&b, "worker_1").await.assert_ok();
}

/// 65410 when the user is bound to 5 kf accounts across all apps.
#[tokio::test]
async fn a_worker_bound_five_times_is_65410() {
    let app = TestApp::new().await;
    for i in 0..5 {
        let (appid, _, token) = app.other_app(json!({"wechat_id": format!("shop{i}")})).await;
        let account = format!("k@shop{i}");
        let add = app.with_token("/customservice/kfaccount/add", &token);
        app.post(&add, &json!({"kf_account": account, "nickname": "n"}).to_string())
            .await
            .assert_ok();
        let inv = app.with_token("/customservice/kfaccount/inviteworker", &token);
        app.post(
            &inv,
            &json!({"kf_account": account, "invite_wx": "busy_worker"}).to_string(),
        )
        .await
        .assert_ok();
        app.control(
            "POST",
            &format!("/_kefu/apps/{appid}/kf/{account}/invitation/accept"),
            json!({}),
        )
        .await;
    }
    let a = app.add_kf("a").await;
    let before = app.snapshot().await;
    let msg = "too many custom service accounts bound by the worker";
    app.assert_rejected(app.invite(&a, "busy_worker"), 65410, msg, &before)
        .await;
}

/// 65400 comes before 65401.
#[tokio::test]
async fn switched_off_customer_service_wins_over_65401() {
    let app = TestApp::new().await;
    app.patch(json!({"kf_enabled": false})).await;
    app.invite("zz@test", "worker_1").await.assert_err(
        65400,
        "please enable new custom service or wait for a while if you have enabled",
    );
}
