//! Pushes to the developer's server: every follower action and kf session
//! event in every mode and format, checked by a real receiver (signatures
//! verified, envelopes opened), the transfer flow end to end, and what the
//! developer's answers do.

use crate::receiver::{Answer, Arrival, Receiver};
use crate::support::{TestApp, T0};
use kefu_api::callback::Format;
use serde_json::{json, Value};
use std::time::Duration;

pub const TOKEN: &str = "kefuToken1";
pub const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// Starts a receiver for `appid`, saves the settings, starts delivery.
pub async fn configure(app: &TestApp, appid: &str, mode: &str, format: Format) -> Receiver {
    let r = Receiver::start(TOKEN, Some(KEY), appid, format).await;
    let fmt = if format == Format::Json { "json" } else { "xml" };
    app.control(
        "PUT",
        &format!("/_kefu/apps/{appid}/callback"),
        json!({"url": r.url, "token": TOKEN, "encoding_aes_key": KEY, "mode": mode, "format": fmt}),
    )
    .await;
    kefu_server::start_pushes(&app.state);
    r
}

pub async fn follow(app: &TestApp, appid: &str) -> String {
    let r = app
        .control("POST", &format!("/_kefu/apps/{appid}/fans"), json!({}))
        .await;
    r["openid"].as_str().unwrap().to_owned()
}

pub async fn write(app: &TestApp, appid: &str, openid: &str, msg: Value) -> i64 {
    let path = format!("/_kefu/apps/{appid}/fans/{openid}/messages");
    app.control("POST", &path, msg).await["msgid"].as_i64().unwrap()
}

pub async fn event(app: &TestApp, appid: &str, openid: &str, event: &str, key: &str) {
    let path = format!("/_kefu/apps/{appid}/fans/{openid}/events");
    app.control("POST", &path, json!({"event": event, "event_key": key}))
        .await;
}

pub async fn deliveries(app: &TestApp, appid: &str) -> Vec<Value> {
    let log = app
        .control("GET", &format!("/_kefu/apps/{appid}/deliveries"), json!({}))
        .await;
    log.as_array().unwrap().clone()
}

pub fn kind(a: &Arrival) -> String {
    match a.get("MsgType") {
        Some("event") => a.get("Event").unwrap_or_default().to_owned(),
        other => other.unwrap_or_default().to_owned(),
    }
}

async fn original_id(app: &TestApp, appid: &str) -> String {
    let state = app.control("GET", &format!("/_kefu/apps/{appid}"), json!({})).await;
    state["app"]["original_id"].as_str().unwrap().to_owned()
}

/// Resolves once the app's (or component's) outbox is empty: every push
/// has had its last try logged, so none is in flight or still to come.
pub async fn drained(app: &TestApp, appid: &str) {
    let path = format!("/_kefu/apps/{appid}/callback");
    for _ in 0..500 {
        if app.control("GET", &path, json!({})).await["pending"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the outbox of {appid} never emptied");
}

/// Polls the control state until `f` holds (pushes act in the background).
pub async fn until(app: &TestApp, appid: &str, f: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..250 {
        let state = app.control("GET", &format!("/_kefu/apps/{appid}"), json!({})).await;
        if f(&state) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the state never changed as expected");
}

#[tokio::test]
async fn a_plaintext_text_push_is_byte_exact() {
    let app = TestApp::new().await;
    let r = configure(&app, &app.appid, "plaintext", Format::Xml).await;
    let openid = follow(&app, &app.appid).await;
    let msgid = write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "hi <b>]]>你好"}),
    )
    .await;
    let got = r.exactly(2, 10, drained(&app, &app.appid)).await;
    let gh = original_id(&app, &app.appid).await;
    assert_eq!(
        got[0].body,
        format!(
            "<xml><ToUserName><![CDATA[{gh}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
             <CreateTime>{T0}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>"
        )
    );
    assert_eq!(
        got[1].body,
        format!(
            "<xml><ToUserName><![CDATA[{gh}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
             <CreateTime>{T0}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
             <Content><![CDATA[hi <b>]]]]><![CDATA[>你好]]></Content><MsgId>{msgid}</MsgId></xml>"
        )
    );
    let a = &got[1];
    assert_eq!(a.param("timestamp"), Some(T0.to_string()));
    assert_eq!(a.param("openid"), Some(openid));
    assert_eq!((a.param("encrypt_type"), a.param("msg_signature")), (None, None));
}

/// Every follower action, in order, with the fields WeChat gives it.
async fn every_action(mode: &str, format: Format, account_type: &str) {
    let app = TestApp::new().await;
    let (appid, _, _) = app.other_app(json!({"account_type": account_type})).await;
    let r = configure(&app, &appid, mode, format).await;
    let openid = follow(&app, &appid).await;
    let text = write(&app, &appid, &openid, json!({"msgtype": "text", "content": "hello"})).await;
    let image = write(&app, &appid, &openid, json!({"msgtype": "image", "media_id": "IMG"})).await;
    let voice = write(&app, &appid, &openid, json!({"msgtype": "voice", "media_id": "VOI"})).await;
    let video = write(&app, &appid, &openid, json!({"msgtype": "video", "media_id": "VID"})).await;
    event(&app, &appid, &openid, "SCAN", "scene_1").await;
    event(&app, &appid, &openid, "CLICK", "menu_1").await;
    event(&app, &appid, &openid, "unsubscribe", "").await;
    let got = r.exactly(8, 10, drained(&app, &appid)).await;
    let kinds: Vec<String> = got.iter().map(kind).collect();
    let expected = [
        "subscribe",
        "text",
        "image",
        "voice",
        "video",
        "SCAN",
        "CLICK",
        "unsubscribe",
    ];
    assert_eq!(kinds, expected, "{mode} {format:?}");
    for a in &got {
        assert_eq!(a.get("FromUserName"), Some(openid.as_str()));
        assert_eq!(a.get("CreateTime"), Some(T0.to_string().as_str()));
        let encrypted = a.param("encrypt_type").as_deref() == Some("aes");
        assert_eq!(encrypted, mode != "plaintext", "{mode}: {}", a.query);
        assert_eq!(
            a.body.contains("<MsgType>") || a.body.contains("\"MsgType\""),
            mode != "safe"
        );
    }
    let id = |a: &Arrival| a.get("MsgId").map(str::to_owned);
    assert_eq!(got[1].get("Content"), Some("hello"));
    assert_eq!(id(&got[1]), Some(text.to_string()));
    assert_eq!(
        (got[2].get("MediaId"), id(&got[2])),
        (Some("IMG"), Some(image.to_string()))
    );
    assert!(got[2].get("PicUrl").is_some());
    assert_eq!(
        (got[3].get("Format"), id(&got[3])),
        (Some("amr"), Some(voice.to_string()))
    );
    assert_eq!(
        (got[4].get("MediaId"), id(&got[4])),
        (Some("VID"), Some(video.to_string()))
    );
    assert!(got[4].get("ThumbMediaId").is_some());
    assert_eq!(got[5].get("EventKey"), Some("scene_1"));
    assert_eq!(got[6].get("EventKey"), Some("menu_1"));
    let log = deliveries(&app, &appid).await;
    assert_eq!(log.len(), 8);
    assert!(log
        .iter()
        .all(|d| d["outcome"] == "ok" && d["attempt"] == 1 && d["last"] == true));
}

#[tokio::test]
async fn every_follower_action_is_pushed_in_plaintext() {
    every_action("plaintext", Format::Xml, "service_account").await;
}

#[tokio::test]
async fn every_follower_action_is_pushed_in_compatible_mode() {
    every_action("compatible", Format::Xml, "official_account").await;
}

#[tokio::test]
async fn every_follower_action_is_pushed_in_safe_mode() {
    every_action("safe", Format::Xml, "service_account").await;
}

#[tokio::test]
async fn mini_programs_get_json_in_every_mode() {
    every_action("plaintext", Format::Json, "mini_program").await;
    every_action("compatible", Format::Json, "mini_game").await;
    every_action("safe", Format::Json, "mini_program").await;
}

const TRANSFER: &str = "<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>\
    <CreateTime>1</CreateTime><MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>";

async fn transfer_flow(mode: &str) {
    let app = TestApp::new().await;
    let kf = app.online_kf("alice", "worker_alice").await;
    let r = configure(&app, &app.appid, mode, Format::Xml).await;
    let transfer = if mode == "safe" {
        Answer::Sealed(TRANSFER.into())
    } else {
        Answer::Raw(TRANSFER.into())
    };
    r.script([Answer::Success, transfer]);
    let openid = follow(&app, &app.appid).await;
    write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "a person, please"}),
    )
    .await;
    // Drained: the transfer answer was acted on before its try was logged.
    r.wait_for(2, 10).await;
    drained(&app, &app.appid).await;
    let waiting = app.wx_get("/customservice/kfsession/getwaitcase").await.json();
    assert_eq!(waiting["count"], 1, "{mode}: {waiting}");
    assert_eq!(waiting["waitcaselist"][0]["openid"], openid.as_str());
    // While waiting, the follower's messages are still pushed.
    write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "anyone?"}),
    )
    .await;
    r.wait_for(3, 10).await;
    let path = format!("/_kefu/apps/{}/kf/{kf}/accept", app.appid);
    app.control("POST", &path, json!({})).await;
    let got = r.wait_for(4, 10).await;
    assert_eq!(
        (kind(&got[3]).as_str(), got[3].get("KfAccount")),
        ("kf_create_session", Some(kf.as_str()))
    );
    // In the session, messages go to the kf (2003) and are not pushed.
    let inside = write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "thanks"}),
    )
    .await;
    let path = format!("/_kefu/apps/{}/kf/{kf}/close", app.appid);
    app.control("POST", &path, json!({"openid": openid})).await;
    let got = r.exactly(5, 10, drained(&app, &app.appid)).await;
    assert_eq!(
        (kind(&got[4]).as_str(), got[4].get("KfAccount")),
        ("kf_close_session", Some(kf.as_str()))
    );
    assert!(got.iter().all(|a| a.get("MsgId") != Some(inside.to_string().as_str())));
    let records = app
        .wx(
            "/customservice/msgrecord/getmsglist",
            json!({"starttime": T0 - 10, "endtime": T0 + 10, "msgid": 1, "number": 100}),
        )
        .await
        .json();
    let rec = &records["recordlist"][0];
    assert_eq!(
        (rec["opercode"].as_i64(), rec["text"].as_str()),
        (Some(2003), Some("thanks"))
    );
    let log = deliveries(&app, &app.appid).await;
    let detail: Vec<&str> = log.iter().rev().map(|d| d["detail"].as_str().unwrap()).collect();
    assert_eq!(detail[1], "the follower waits for customer service", "{mode}");
}

#[tokio::test]
async fn transfer_flow_end_to_end_in_plaintext() {
    transfer_flow("plaintext").await;
}

#[tokio::test]
async fn transfer_flow_end_to_end_in_compatible_mode() {
    transfer_flow("compatible").await;
}

#[tokio::test]
async fn transfer_flow_end_to_end_in_safe_mode() {
    transfer_flow("safe").await;
}
