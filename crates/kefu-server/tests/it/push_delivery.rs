//! Pushes, continued: kf session events from every cause, passive replies,
//! forged and unreadable answers, WeChat's tries and timeouts, one dead
//! server beside a live one, and the settings' handshake and checks.

use crate::pushes::{configure, deliveries, drained, event, follow, kind, until, write, KEY, TOKEN};
use crate::receiver::{Answer, Receiver};
use crate::support::{TestApp, T0};
use kefu_api::callback::Format;
use kefu_server::ServerConfig;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn session_events_follow_every_open_switch_and_close() {
    let mut app = TestApp::new().await;
    let a = app.online_kf("alice", "worker_alice").await;
    let b = app.online_kf("bob", "worker_bob").await;
    let r = configure(&app, &app.appid, "safe", Format::Xml).await;
    let openid = follow(&app, &app.appid).await;
    let session = json!({"kf_account": a, "openid": openid});
    app.wx("/customservice/kfsession/create", session.clone())
        .await
        .assert_ok();
    let path = format!("/_kefu/apps/{}/kf/{a}/transfer", app.appid);
    app.control("POST", &path, json!({"openid": openid, "to": b})).await;
    let got = r.wait_for(3, 10).await;
    assert_eq!(
        (kind(&got[1]).as_str(), got[1].get("KfAccount")),
        ("kf_create_session", Some(a.as_str()))
    );
    assert_eq!(kind(&got[2]), "kf_switch_session");
    assert_eq!(
        (got[2].get("FromKfAccount"), got[2].get("ToKfAccount")),
        (Some(a.as_str()), Some(b.as_str()))
    );
    // Thirty idle minutes close the session at the timeout.
    app.advance(1800).await;
    let got = r.wait_for(4, 10).await;
    assert_eq!(
        (kind(&got[3]).as_str(), got[3].get("KfAccount")),
        ("kf_close_session", Some(b.as_str()))
    );
    assert_eq!(got[3].get("CreateTime"), Some((T0 + 1800).to_string().as_str()));
    // The API opens and closes; deleting an account closes its sessions.
    app.relogin().await;
    app.wx("/customservice/kfsession/create", session.clone())
        .await
        .assert_ok();
    app.wx("/customservice/kfsession/close", session.clone())
        .await
        .assert_ok();
    app.wx("/customservice/kfsession/create", session).await.assert_ok();
    app.wx_get(&format!("/customservice/kfaccount/del?kf_account={a}"))
        .await
        .assert_ok();
    let got = r.exactly(8, 10, drained(&app, &app.appid)).await;
    let kinds: Vec<String> = got[4..].iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "kf_create_session",
            "kf_close_session",
            "kf_create_session",
            "kf_close_session"
        ]
    );
    assert!(got[4..].iter().all(|g| g.get("KfAccount") == Some(a.as_str())));
}

#[tokio::test]
async fn an_unfollow_in_a_session_is_pushed_before_the_session_closes() {
    let app = TestApp::new().await;
    let kf = app.online_kf("alice", "worker_alice").await;
    let r = configure(&app, &app.appid, "plaintext", Format::Xml).await;
    let openid = follow(&app, &app.appid).await;
    let body = json!({"kf_account": kf, "openid": openid});
    app.wx("/customservice/kfsession/create", body).await.assert_ok();
    event(&app, &app.appid, &openid, "unsubscribe", "").await;
    let kinds: Vec<String> = r
        .exactly(4, 10, drained(&app, &app.appid))
        .await
        .iter()
        .map(kind)
        .collect();
    assert_eq!(
        kinds,
        ["subscribe", "kf_create_session", "unsubscribe", "kf_close_session"]
    );
}

#[tokio::test]
async fn a_named_transfer_waits_for_that_kf_and_a_text_reply_is_kept() {
    let app = TestApp::new().await;
    let kf = app.online_kf("alice", "worker_alice").await;
    let r = configure(&app, &app.appid, "compatible", Format::Xml).await;
    let named = format!(
        "<xml><MsgType><![CDATA[transfer_customer_service]]></MsgType>\
         <TransInfo><KfAccount><![CDATA[{kf}]]></KfAccount></TransInfo></xml>"
    );
    let text = "<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[we are here]]></Content></xml>";
    r.script([Answer::Raw(text.into()), Answer::Sealed(named)]);
    let openid = follow(&app, &app.appid).await;
    write(&app, &app.appid, &openid, json!({"msgtype": "text", "content": "hi"})).await;
    let state = until(&app, &app.appid, |s| {
        s["waiting"].as_array().is_some_and(|w| !w.is_empty())
    })
    .await;
    assert_eq!(state["waiting"][0]["kf_account"], kf.as_str());
    let path = format!("/_kefu/apps/{}/fans/{openid}/messages", app.appid);
    let history = app.control("GET", &path, json!({})).await;
    let kept = history
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["text"] == "we are here")
        .unwrap();
    assert_eq!(
        (kept["opercode"].as_i64(), kept["text"].as_str()),
        (Some(2002), Some("we are here"))
    );
    assert_eq!(kept["worker"], serde_json::Value::Null);
}

#[tokio::test]
async fn forged_and_unreadable_answers_are_logged_and_change_nothing() {
    let app = TestApp::new().await;
    let r = configure(&app, &app.appid, "safe", Format::Xml).await;
    let transfer = "<xml><MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>";
    r.script([
        Answer::Forged(transfer.into()),
        Answer::Raw(transfer.into()),
        Answer::Raw("{\"MsgType\":\"text\"}".into()),
    ]);
    let openid = follow(&app, &app.appid).await;
    for n in 0..2 {
        write(
            &app,
            &app.appid,
            &openid,
            json!({"msgtype": "text", "content": format!("m{n}")}),
        )
        .await;
    }
    r.exactly(3, 10, drained(&app, &app.appid)).await;
    let log = deliveries(&app, &app.appid).await;
    let seen: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|d| (d["outcome"].as_str().unwrap(), d["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(seen[0].0, "bad_signature");
    assert!(seen[0].1.starts_with("MsgSignature 0000"), "{}", seen[0].1);
    assert_eq!(seen[1], ("bad_reply", "safe mode needs an encrypted answer"));
    assert_eq!(seen[2].0, "bad_reply");
    assert!(log.iter().all(|d| d["last"] == true && d["attempt"] == 1));
    let waiting = app.wx_get("/customservice/kfsession/getwaitcase").await.json();
    assert_eq!(waiting["count"], 0);
}

/// The push timeout of the tests that wait for it (WeChat's is 5 s).
const PUSH_TIMEOUT: Duration = Duration::from_millis(300);

/// An app whose server gives up on a try after [`PUSH_TIMEOUT`].
async fn quick_app() -> TestApp {
    TestApp::with_config(ServerConfig {
        push_timeout: PUSH_TIMEOUT,
        ..ServerConfig::default()
    })
    .await
}

#[tokio::test]
async fn a_server_that_times_out_twice_gets_three_identical_tries() {
    let app = quick_app().await;
    let openid = follow(&app, &app.appid).await;
    let r = configure(&app, &app.appid, "safe", Format::Xml).await;
    let stall = Answer::Stall(PUSH_TIMEOUT * 4);
    r.script([stall.clone(), stall, Answer::Success]);
    let msgid = write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "again"}),
    )
    .await;
    let got = r.exactly(3, 5, drained(&app, &app.appid)).await;
    assert!(got.iter().all(|a| a.query == got[0].query && a.body == got[0].body));
    assert_eq!(got[0].get("MsgId"), Some(msgid.to_string().as_str()));
    let log = deliveries(&app, &app.appid).await;
    let tries: Vec<(u64, &str, bool)> = log
        .iter()
        .rev()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap(),
                d["outcome"].as_str().unwrap(),
                d["last"] == true,
            )
        })
        .collect();
    assert_eq!(tries, [(1, "timeout", false), (2, "timeout", false), (3, "ok", true)]);
    assert!(log[1]["latency_ms"].as_u64().unwrap() >= PUSH_TIMEOUT.as_millis() as u64);
    assert!(log.iter().all(|d| d["push_id"] == log[0]["push_id"]));
}

#[tokio::test]
async fn a_server_that_never_answers_gets_three_tries_and_the_log_says_so() {
    let app = quick_app().await;
    let openid = follow(&app, &app.appid).await;
    let r = configure(&app, &app.appid, "plaintext", Format::Xml).await;
    r.fallback(Answer::Stall(Duration::from_secs(30)));
    write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "hello?"}),
    )
    .await;
    // Drained: the third try was logged when its own timeout was up.
    r.exactly(3, 5, drained(&app, &app.appid)).await;
    let log = deliveries(&app, &app.appid).await;
    assert_eq!(log.len(), 3);
    assert_eq!(
        (log[0]["attempt"].as_u64(), log[0]["last"].as_bool()),
        (Some(3), Some(true))
    );
    assert_eq!(log[0]["outcome"], "timeout");
    assert_eq!(log[0]["detail"], "no answer within 300 ms; gave up after 3 tries");
    assert_eq!(log[0]["status"], serde_json::Value::Null);
    let settings = app
        .control("GET", &format!("/_kefu/apps/{}/callback", app.appid), json!({}))
        .await;
    assert_eq!(settings["pending"], 0);
}

#[tokio::test]
async fn a_dead_server_does_not_hold_back_another_app() {
    let app = TestApp::new().await;
    let (other, _, _) = app.other_app(json!({})).await;
    let dead = configure(&app, &app.appid, "plaintext", Format::Xml).await;
    dead.fallback(Answer::Stall(Duration::from_secs(30)));
    let live = configure(&app, &other, "safe", Format::Xml).await;
    for _ in 0..40 {
        let openid = follow(&app, &app.appid).await;
        write(&app, &app.appid, &openid, json!({"msgtype": "text", "content": "x"})).await;
    }
    dead.wait_for(16, 10).await;
    let started = std::time::Instant::now();
    let openid = follow(&app, &other).await;
    write(&app, &other, &openid, json!({"msgtype": "text", "content": "fast"})).await;
    live.wait_for(2, 3).await;
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn settings_are_checked_and_saved_only_after_the_handshake() {
    let app = TestApp::new().await;
    let path = format!("/_kefu/apps/{}/callback", app.appid);
    let r = Receiver::start(TOKEN, Some(KEY), &app.appid, Format::Xml).await;
    let put = |body: serde_json::Value| app.send("PUT", &path, body.to_string(), Some("application/json"));
    let cases = [
        (
            json!({"url": r.url, "token": TOKEN, "encoding_aes_key": &KEY[1..], "mode": "safe"}),
            400,
            "bad_request",
        ),
        (
            json!({"url": r.url, "token": TOKEN, "mode": "safe"}),
            400,
            "bad_request",
        ),
        (
            json!({"url": r.url, "token": TOKEN, "format": "json"}),
            400,
            "bad_request",
        ),
        (json!({"url": "ftp://x", "token": TOKEN}), 400, "bad_request"),
        (json!({"url": r.url, "token": "otherToken"}), 422, "verification_failed"),
        (
            json!({"url": "http://127.0.0.1:9/cb", "token": TOKEN}),
            422,
            "verification_failed",
        ),
    ];
    for (body, status, code) in cases {
        let got = put(body.clone()).await;
        assert_eq!(
            (got.status, got.json()["error"].as_str()),
            (status, Some(code)),
            "{body} {}",
            got.body
        );
    }
    assert_eq!(app.get(&path).await.status, 404);
    let ok = put(json!({"url": r.url, "token": TOKEN, "encoding_aes_key": KEY, "mode": "compatible"})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let shown = app.get(&path).await.json();
    assert_eq!(shown["settings"]["mode"], "compatible");
    assert_eq!(
        (shown["settings"]["format"].as_str(), shown["pending"].as_u64()),
        (Some("xml"), Some(0))
    );
    // Without delivery running, pushes wait; removing the settings drops them.
    let dropped = follow(&app, &app.appid).await;
    assert_eq!(app.get(&path).await.json()["pending"], 1);
    assert_eq!(app.send("DELETE", &path, "", None).await.status, 204);
    assert_eq!(app.get(&path).await.status, 404);
    kefu_server::start_pushes(&app.state);
    // Saved again, the settings find an empty outbox, and the next push is
    // the only one the running dispatcher delivers.
    let again = put(json!({"url": r.url, "token": TOKEN, "encoding_aes_key": KEY, "mode": "compatible"})).await;
    assert_eq!(again.json()["pending"], 0, "{}", again.body);
    let next = follow(&app, &app.appid).await;
    let got = r.exactly(1, 5, drained(&app, &app.appid)).await;
    assert_eq!(got[0].get("FromUserName"), Some(next.as_str()));
    assert_ne!(next, dropped);
}
