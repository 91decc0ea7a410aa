//! Characters no WeChat message can carry (NUL and the other C0 controls
//! but tab, line feed and carriage return; U+FFFE, U+FFFF) are refused
//! where the follower's side comes in, with 400 naming the field, and
//! nothing changes: a push of them could not be well-formed XML.

use crate::support::TestApp;
use serde_json::{json, Value};

async fn refused(app: &TestApp, path: &str, body: Value, message: &str) {
    let before = app.snapshot().await;
    let r = app.send("POST", path, body.to_string(), Some("application/json")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json(), json!({"error": "bad_request", "message": message}));
    assert_eq!(app.snapshot().await, before, "a refused call changed the state");
}

#[tokio::test]
async fn control_characters_from_the_follower_are_refused() {
    let app = TestApp::new().await;
    let openid = app.follow().await;
    let fans = format!("/_kefu/apps/{}/fans", app.appid);
    let messages = format!("{fans}/{openid}/messages");
    let events = format!("{fans}/{openid}/events");
    refused(
        &app,
        &messages,
        json!({"msgtype": "text", "content": "hi\u{1}there"}),
        "content: U+0001 is a control character no WeChat message can carry",
    )
    .await;
    refused(
        &app,
        &messages,
        json!({"msgtype": "image", "media_id": "m\u{1b}"}),
        "media_id: U+001B is a control character no WeChat message can carry",
    )
    .await;
    refused(
        &app,
        &events,
        json!({"event": "CLICK", "event_key": "K\u{FFFF}"}),
        "event_key: U+FFFF is a control character no WeChat message can carry",
    )
    .await;
    refused(
        &app,
        &fans,
        json!({"openid": "o\u{7}"}),
        "openid: U+0007 is a control character no WeChat message can carry",
    )
    .await;
    // U+0000 anywhere in a control body is refused before any field is read.
    refused(
        &app,
        &messages,
        json!({"msgtype": "text", "content": "hi\u{0}there"}),
        "body: U+0000 is a character kefu does not accept",
    )
    .await;
    // Whitespace controls are text.
    let ok = app
        .send(
            "POST",
            &messages,
            json!({"msgtype": "text", "content": "a\tb\r\nc"}).to_string(),
            Some("application/json"),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

/// U+0000 cannot be stored (PostgreSQL refuses it in text): anywhere in a
/// WeChat-side request it is 47001, in a control path or query 400, and
/// nothing changes.
#[tokio::test]
async fn nul_is_refused_at_the_edges() {
    let app = TestApp::new().await;
    let before = app.snapshot().await;
    app.wx(
        "/customservice/kfaccount/add",
        json!({"kf_account": "a@test", "nickname": "n\u{0}"}),
    )
    .await
    .assert_err(47001, "data format error");
    app.wx_get("/customservice/kfaccount/del?kf_account=a%00b@test")
        .await
        .assert_err(47001, "data format error");
    app.get("/cgi-bin/token?grant_type=client_credential&appid=wx%00&secret=s")
        .await
        .assert_err(47001, "data format error");
    let r = app.get(&format!("/_kefu/apps/{}/fans/o%00x/messages", app.appid)).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "bad_request", "message": "path or query: U+0000 is a character kefu does not accept"})
    );
    assert_eq!(app.get("/_kefu/media/headimg/wx%00/k").await.status, 400);
    assert_eq!(app.snapshot().await, before);
}
