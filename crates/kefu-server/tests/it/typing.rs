//! `message/custom/typing` and `business/typing`: commands, the 30-second
//! contact rule, the 15-second indicator, and a message cancelling it.

use crate::support::TestApp;
use serde_json::json;

const TYPING: &str = "/cgi-bin/message/custom/typing";

async fn typing(app: &TestApp, openid: &str, command: &str) -> crate::support::Reply {
    app.wx(TYPING, json!({"touser": openid, "command": command})).await
}

#[tokio::test]
async fn typing_errors_with_exact_bodies() {
    let app = TestApp::new().await;
    let openid = app.follow().await;
    app.writes(&openid, "hi").await;
    let before = app.snapshot().await;
    app.assert_rejected(typing(&app, &openid, "typing"), 45072, "invalid command", &before)
        .await;
    app.assert_rejected(typing(&app, &openid, ""), 45072, "invalid command", &before)
        .await;
    app.assert_rejected(typing(&app, "o_unknown", "Typing"), 40003, "invalid openid", &before)
        .await;
    typing(&app, &openid, "Typing").await.assert_ok();
    let before = app.snapshot().await;
    let again = typing(&app, &openid, "Typing");
    app.assert_rejected(again, 45081, "已经在输入状态,不可重复下发 ", &before)
        .await;
}

#[tokio::test]
async fn typing_needs_contact_within_30_seconds() {
    let app = TestApp::new().await;
    let openid = app.follow().await;
    // A follow opens a window but is not a message between the two sides.
    typing(&app, &openid, "Typing")
        .await
        .assert_err(45080, "need sending message to user");
    app.writes(&openid, "hi").await;
    app.advance(30).await;
    typing(&app, &openid, "Typing")
        .await
        .assert_err(45080, "need sending message to user");
    app.send_text(&openid, "still here").await.assert_ok();
    app.advance(29).await;
    typing(&app, &openid, "Typing").await.assert_ok();
}

#[tokio::test]
async fn typing_lasts_15_seconds_and_a_message_or_cancel_ends_it() {
    let app = TestApp::new().await;
    let openid = app.follow().await;
    app.writes(&openid, "hi").await;
    typing(&app, &openid, "Typing").await.assert_ok();
    app.advance(14).await;
    typing(&app, &openid, "Typing")
        .await
        .assert_err(45081, "已经在输入状态,不可重复下发 ");
    app.advance(1).await;
    typing(&app, &openid, "Typing").await.assert_ok();
    app.send_text(&openid, "done typing").await.assert_ok();
    typing(&app, &openid, "Typing").await.assert_ok();
    typing(&app, &openid, "CancelTyping").await.assert_ok();
    typing(&app, &openid, "CancelTyping").await.assert_ok();
    typing(&app, &openid, "Typing").await.assert_ok();
}

#[tokio::test]
async fn typing_needs_an_open_window() {
    let app = TestApp::new().await;
    let openid = app.follow().await;
    app.advance(60).await; // the follow's own window ends
    app.writes(&openid, "hi").await;
    for _ in 0..5 {
        app.send_text(&openid, "x").await.assert_ok();
    }
    typing(&app, &openid, "Typing")
        .await
        .assert_err(45047, "out of response count limit");
    app.event(&openid, "unsubscribe").await;
    typing(&app, &openid, "Typing")
        .await
        .assert_err(45015, "response out of time limit or subscription is canceled");
}

#[tokio::test]
async fn mini_programs_use_the_business_path() {
    let app = TestApp::new().await;
    let (appid, _, token) = app.other_app(json!({"account_type": "mini_program"})).await;
    let openid = app
        .control("POST", &format!("/_kefu/apps/{appid}/fans"), json!({}))
        .await["openid"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/_kefu/apps/{appid}/fans/{openid}/messages");
    app.control("POST", &path, json!({"msgtype": "text", "content": "hi"}))
        .await;
    let body = json!({"touser": openid, "command": "Typing"}).to_string();
    let business = app.with_token("/cgi-bin/message/custom/business/typing", &token);
    app.post(&business, &body).await.assert_ok();
    // A Service Account may not use the Mini Program path.
    app.wx(
        "/cgi-bin/message/custom/business/typing",
        json!({"touser": "x", "command": "Typing"}),
    )
    .await
    .assert_err(48001, "api unauthorized");
}
