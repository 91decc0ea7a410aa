//! `message/custom/send`: every message type, the per-type checks, and the
//! send windows at their edges on the virtual clock.

use crate::support::TestApp;
use serde_json::{json, Value};

const SEND: &str = "/cgi-bin/message/custom/send";

/// A follower who just wrote (5 messages within 48 hours).
async fn after_message(app: &TestApp) -> String {
    let openid = app.follow().await;
    app.advance(61).await; // let the follow's own window end
    app.writes(&openid, "hello").await;
    openid
}

fn msg(openid: &str, msgtype: &str, body: Value) -> Value {
    let mut m = json!({"touser": openid, "msgtype": msgtype});
    m[msgtype] = body;
    m
}

#[tokio::test]
async fn every_official_account_type_is_sent_and_kept() {
    let app = TestApp::new().await;
    let cases = [
        ("text", json!({"content": "Hello World"})),
        ("image", json!({"media_id": "MEDIA_ID"})),
        ("voice", json!({"media_id": "MEDIA_ID"})),
        (
            "video",
            json!({"media_id": "MEDIA_ID", "thumb_media_id": "T", "title": "t", "description": "d"}),
        ),
        (
            "music",
            json!({"title": "t", "description": "d", "musicurl": "u", "hqmusicurl": "h", "thumb_media_id": "T"}),
        ),
        (
            "news",
            json!({"articles": [{"title": "t", "description": "d", "url": "u", "picurl": "p"}]}),
        ),
        ("mpnews", json!({"media_id": "MEDIA_ID"})),
        ("mpnewsarticle", json!({"article_id": "ARTICLE_ID"})),
        (
            "msgmenu",
            json!({"head_content": "h", "list": [{"id": "101", "content": "yes"}], "tail_content": "t"}),
        ),
        ("wxcard", json!({"card_id": "CARD"})),
        (
            "miniprogrampage",
            json!({"title": "t", "appid": "wx1", "pagepath": "p", "thumb_media_id": "T"}),
        ),
    ];
    for (msgtype, body) in &cases {
        let openid = app.follow().await;
        app.wx(SEND, msg(&openid, msgtype, body.clone())).await.assert_ok();
        let path = format!("/_kefu/apps/{}/fans/{openid}/messages", app.appid);
        let kept = app.control("GET", &path, Value::Null).await;
        assert_eq!(kept[0]["msgtype"], *msgtype);
        assert_eq!(kept[0]["opercode"], 2002);
        assert_eq!(&kept[0]["detail"], body);
    }
}

#[tokio::test]
async fn mini_programs_send_their_four_types_and_get_45162_for_others() {
    let app = TestApp::new().await;
    let (appid, _, token) = app
        .other_app(json!({"account_type": "mini_program", "certified": false}))
        .await;
    let openid = app
        .control("POST", &format!("/_kefu/apps/{appid}/fans"), json!({}))
        .await["openid"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = app.with_token(SEND, &token);
    let link = json!({"title": "t", "description": "d", "url": "https://x", "thumb_url": "https://y"});
    for (t, body) in [("text", json!({"content": "hi"})), ("link", link)] {
        app.post(&url, &msg(&openid, t, body).to_string()).await.assert_ok();
    }
    let news = msg(&openid, "news", json!({"articles": [{"title": "t"}]}));
    app.post(&url, &news.to_string())
        .await
        .assert_err(45162, "invalid type");
    // ...and an Official Account may not send `link`.
    let oa = app.follow().await;
    app.wx(SEND, msg(&oa, "link", json!({"title": "t", "url": "u"})))
        .await
        .assert_err(45162, "invalid type");
}

#[tokio::test]
async fn bad_messages_get_the_documented_error_and_change_nothing() {
    let app = TestApp::new().await;
    let openid = after_message(&app).await;
    let before = app.snapshot().await;
    let long = "a".repeat(2049);
    let two = json!({"articles": [{"title": "1"}, {"title": "2"}]});
    let cases: Vec<(Value, i64, &str)> = vec![
        (
            msg(&openid, "textt", json!({"content": "x"})),
            40008,
            "invalid message type",
        ),
        (json!({"touser": openid}), 40008, "invalid message type"),
        (msg(&openid, "text", json!({"content": ""})), 44004, "empty content"),
        (json!({"touser": openid, "msgtype": "text"}), 44004, "empty content"),
        (
            msg(&openid, "text", json!({"content": long})),
            45002,
            "content size out of limit",
        ),
        (msg(&openid, "text", json!({"content": 5})), 47001, "data format error"),
        (msg(&openid, "image", json!({})), 40007, "invalid media_id"),
        (
            msg(&openid, "voice", json!({"media_id": ""})),
            40007,
            "invalid media_id",
        ),
        (msg(&openid, "video", json!({"title": "t"})), 40007, "invalid media_id"),
        (msg(&openid, "music", json!({"title": "t"})), 40007, "invalid media_id"),
        (msg(&openid, "mpnews", json!({})), 40007, "invalid media_id"),
        (msg(&openid, "news", json!({"articles": []})), 44003, "empty news data"),
        (msg(&openid, "news", two), 45008, "article size out of limit"),
        (msg(&openid, "mpnewsarticle", json!({})), 47001, "data format error"),
        (msg(&openid, "msgmenu", json!({"list": []})), 47001, "data format error"),
        (msg(&openid, "wxcard", json!({})), 47001, "data format error"),
        (
            msg(&openid, "miniprogrampage", json!({"pagepath": "p"})),
            40007,
            "invalid media_id",
        ),
        (
            msg("o_unknown", "text", json!({"content": "x"})),
            40003,
            "invalid openid",
        ),
    ];
    for (body, code, errmsg) in cases {
        app.assert_rejected(app.wx(SEND, body), code, errmsg, &before).await;
    }
    let as_kf = json!({"touser": openid, "msgtype": "text", "text": {"content": "x"},
        "customservice": {"kf_account": "nobody@test"}});
    app.assert_rejected(app.wx(SEND, as_kf), 65401, "invalid custom service account", &before)
        .await;
}

#[tokio::test]
async fn the_longest_text_is_2048_bytes() {
    let app = TestApp::new().await;
    let openid = after_message(&app).await;
    let max = "字".repeat(682) + "ab";
    app.send_text(&openid, &max).await.assert_ok();
}

#[tokio::test]
async fn five_messages_within_48_hours_after_the_follower_writes() {
    let app = TestApp::new().await;
    let openid = after_message(&app).await;
    for i in 0..5 {
        app.send_text(&openid, &format!("reply {i}")).await.assert_ok();
    }
    let before = app.snapshot().await;
    let sixth = app.send_text(&openid, "sixth");
    app.assert_rejected(sixth, 45047, "out of response count limit", &before)
        .await;
    // The follower writes again: the count is back to five, not added up.
    app.writes(&openid, "again").await;
    for _ in 0..5 {
        app.send_text(&openid, "more").await.assert_ok();
    }
    app.send_text(&openid, "too many")
        .await
        .assert_err(45047, "out of response count limit");
}

#[tokio::test]
async fn the_48_hour_edge() {
    let mut app = TestApp::new().await;
    let openid = after_message(&app).await;
    for _ in 0..24 {
        app.advance(7200).await;
    }
    app.relogin().await;
    // Exactly 48 hours after the message: closed.
    let before = app.snapshot().await;
    let late = app.send_text(&openid, "late");
    app.assert_rejected(
        late,
        45015,
        "response out of time limit or subscription is canceled",
        &before,
    )
    .await;
    let again = after_message(&app).await;
    for _ in 0..23 {
        app.advance(7200).await;
    }
    app.advance(7199).await;
    app.relogin().await;
    app.send_text(&again, "just in time").await.assert_ok();
}

#[tokio::test]
async fn a_follow_click_or_scan_allows_three_within_a_minute() {
    let app = TestApp::new().await;
    let openid = app.follow().await;
    for _ in 0..3 {
        app.send_text(&openid, "welcome").await.assert_ok();
    }
    app.send_text(&openid, "fourth")
        .await
        .assert_err(45047, "out of response count limit");
    app.advance(60).await;
    app.send_text(&openid, "late")
        .await
        .assert_err(45015, "response out of time limit or subscription is canceled");
    for event in ["CLICK", "SCAN"] {
        app.event(&openid, event).await;
        app.advance(59).await;
        app.send_text(&openid, "in time").await.assert_ok();
        app.advance(1).await;
        app.send_text(&openid, "late")
            .await
            .assert_err(45015, "response out of time limit or subscription is canceled");
    }
}

#[tokio::test]
async fn a_follow_after_a_message_adds_its_own_three() {
    let app = TestApp::new().await;
    let openid = after_message(&app).await;
    for _ in 0..5 {
        app.send_text(&openid, "x").await.assert_ok();
    }
    app.event(&openid, "subscribe").await;
    for _ in 0..3 {
        app.send_text(&openid, "after follow").await.assert_ok();
    }
    app.send_text(&openid, "x")
        .await
        .assert_err(45047, "out of response count limit");
    // The follow's minute ends; the message window is still open but spent.
    app.advance(60).await;
    app.send_text(&openid, "x")
        .await
        .assert_err(45047, "out of response count limit");
}

#[tokio::test]
async fn unfollowed_users_get_45015_and_visitors_43004() {
    let app = TestApp::new().await;
    let openid = after_message(&app).await;
    app.event(&openid, "unsubscribe").await;
    let before = app.snapshot().await;
    let gone = app.send_text(&openid, "x");
    app.assert_rejected(
        gone,
        45015,
        "response out of time limit or subscription is canceled",
        &before,
    )
    .await;
    let path = format!("/_kefu/apps/{}/fans", app.appid);
    let visitor = app.control("POST", &path, json!({"subscribed": false})).await["openid"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.snapshot().await;
    app.assert_rejected(app.send_text(&visitor, "x"), 43004, "require subscribe", &before)
        .await;
}

#[tokio::test]
async fn messages_inside_a_session_are_chat_records() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_a").await;
    let b = app.online_kf("b", "worker_b").await;
    let openid = after_message(&app).await;
    app.create_session(&a, &openid).await.assert_ok();
    app.send_text(&openid, "from the api").await.assert_ok();
    let as_b = json!({"touser": openid, "msgtype": "image", "image": {"media_id": "M"},
        "customservice": {"kf_account": b}});
    app.wx(SEND, as_b).await.assert_ok();
    let end = app.state.now().0;
    let r = app
        .msg_list(json!({"starttime": end - 100, "endtime": end, "msgid": 1, "number": 10}))
        .await
        .json();
    let records = r["recordlist"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0],
        json!({"openid": openid, "opercode": 2002, "text": "from the api", "time": end, "worker": a})
    );
    assert_eq!(records[1]["text"], "[image]");
    assert_eq!(records[1]["worker"], b.as_str());
}

#[tokio::test]
async fn send_is_post_only_and_needs_the_feature() {
    let app = TestApp::new().await;
    let openid = after_message(&app).await;
    app.wx_get(SEND).await.assert_err(43002, "require POST method");
    app.wx_raw(SEND, "").await.assert_err(44002, "empty post data");
    app.patch(json!({"kf_enabled": false})).await;
    app.send_text(&openid, "x").await.assert_err(
        65400,
        "please enable new custom service or wait for a while if you have enabled",
    );
}
