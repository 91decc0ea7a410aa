//! `msgrecord/getmsglist`: record shapes, parameter checks, and a `msgid`
//! cursor that pages over more than 10000 records exactly once.

use crate::support::{TestApp, T0};
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::message::{Message, Opercode};
use kefu_core::Timestamp;
use kefu_store::{StoreError, Tx};
use serde_json::{json, Value};
use std::collections::HashSet;

#[tokio::test]
async fn records_show_both_directions_and_media_placeholders() {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_a").await;
    let openid = app.follow().await;
    app.writes(&openid, "before the session").await;
    app.enqueue(&openid, None).await;
    app.accept(&a, None).await;
    app.writes(&openid, "hello").await;
    for media in ["image", "voice", "video"] {
        app.writes_media(&openid, media).await;
    }
    app.reply(&a, &openid, "how can I help?").await;
    let r = app
        .msg_list(json!({"starttime": T0, "endtime": T0 + 10, "msgid": 1, "number": 10}))
        .await;
    let record =
        |opercode, text: &str| json!({"openid": openid, "opercode": opercode, "text": text, "time": T0, "worker": a});
    let want = json!({
        "recordlist": [record(2003, "hello"), record(2003, "[image]"), record(2003, "[voice]"),
            record(2003, "[video]"), record(2002, "how can I help?")],
        "number": 5,
        "msgid": r.json()["msgid"],
    });
    assert_eq!(r.json(), want);
    assert!(r.body.starts_with(r#"{"recordlist":[{"openid":"#), "{}", r.body);
}

#[tokio::test]
async fn bad_parameters_get_65416_and_long_spans_65417() {
    let app = TestApp::new().await;
    let before = app.snapshot().await;
    let invalid = "param invalid, please check";
    for body in [
        json!({"starttime": T0, "endtime": T0 - 1, "msgid": 1, "number": 10}),
        json!({"starttime": T0, "endtime": T0 + 10, "msgid": 1, "number": 0}),
        json!({"starttime": T0, "endtime": T0 + 10, "msgid": 1, "number": 10001}),
        json!({"starttime": T0, "endtime": T0 + 10, "msgid": -1, "number": 10}),
        json!({"starttime": T0, "endtime": T0 + 10, "msgid": 1}),
    ] {
        app.assert_rejected(app.msg_list(body), 65416, invalid, &before).await;
    }
    let long = json!({"starttime": T0, "endtime": T0 + 86401, "msgid": 1, "number": 10});
    let too_long = "it is too long from the starttime to endtime";
    app.assert_rejected(app.msg_list(long), 65417, too_long, &before).await;
    let day = json!({"starttime": T0, "endtime": T0 + 86400, "msgid": 1, "number": 10});
    assert_eq!(
        app.msg_list(day).await.body,
        r#"{"recordlist":[],"number":0,"msgid":1}"#
    );
    let wrong_type = json!({"starttime": "today", "endtime": T0, "msgid": 1, "number": 10});
    app.assert_rejected(app.msg_list(wrong_type), 47001, "data format error", &before)
        .await;
}

/// Keeps `n` chat records (and some that are not records) spread over one day.
async fn seed_records(app: &TestApp, n: i64) {
    let appid = AppId::new(app.appid.clone());
    app.state
        .store
        .write(move |tx: &mut dyn Tx| {
            for i in 0..n {
                let worker = (i % 7 != 3).then(|| KfAccount::new("a@test"));
                tx.insert_message(&Message {
                    msgid: MsgId(0),
                    appid: appid.clone(),
                    openid: OpenId::new(format!("o{}", i % 50)),
                    worker,
                    opercode: if i % 2 == 0 { Opercode::Received } else { Opercode::Sent },
                    msgtype: "text".into(),
                    text: format!("m{i}"),
                    detail: "{}".into(),
                    time: Timestamp(T0 + i * 86_000 / n),
                })?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn paging_with_the_returned_msgid_sees_every_record_exactly_once() {
    let app = TestApp::new().await;
    let n = 12_000;
    seed_records(&app, n).await;
    let want = (0..n).filter(|i| i % 7 != 3).count();
    let (mut msgid, mut seen, mut pages) = (1, Vec::new(), 0);
    loop {
        let body = json!({"starttime": T0, "endtime": T0 + 86_400, "msgid": msgid, "number": 10_000});
        let page = app.msg_list(body).await.json();
        let list = page["recordlist"].as_array().unwrap().clone();
        assert_eq!(page["number"], list.len());
        pages += 1;
        seen.extend(list.iter().map(|r| r["text"].as_str().unwrap().to_owned()));
        if list.len() < 10_000 {
            break;
        }
        msgid = page["msgid"].as_i64().unwrap();
    }
    assert_eq!(pages, 2);
    assert_eq!(seen.len(), want);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        want,
        "a record came back twice"
    );
}

#[tokio::test]
async fn the_time_range_bounds_the_records() {
    let app = TestApp::new().await;
    seed_records(&app, 100).await;
    let page =
        |start: i64, end: i64| app.msg_list(json!({"starttime": start, "endtime": end, "msgid": 1, "number": 100}));
    let first = page(T0, T0).await.json();
    assert_eq!(first["recordlist"][0]["text"], "m0");
    assert_eq!(first["number"], 1);
    let later = page(T0 + 86_000, T0 + 90_000).await.json();
    assert_eq!(later["number"], 0);
}

/// A kefu in lenient mode, where the retired `msgrecord/getrecord` answers.
async fn lenient_app() -> TestApp {
    TestApp::with_config(kefu_server::ServerConfig {
        lenient: true,
        ..kefu_server::ServerConfig::default()
    })
    .await
}

const GETRECORD: &str = "/customservice/msgrecord/getrecord";

#[tokio::test]
async fn getrecord_is_40066_in_strict_mode() {
    let app = TestApp::new().await;
    seed_records(&app, 10).await;
    let body = json!({"starttime": T0, "endtime": T0 + 86_400, "pageindex": 1, "pagesize": 10});
    app.wx(GETRECORD, body).await.assert_err(40066, "invalid url");
    app.wx_get(GETRECORD).await.assert_err(40066, "invalid url");
}

#[tokio::test]
async fn getrecord_answers_the_chat_records_in_its_old_shape_in_lenient_mode() {
    let app = lenient_app().await;
    let a = app.online_kf("a", "worker_a").await;
    let openid = app.follow().await;
    app.enqueue(&openid, None).await;
    app.accept(&a, None).await;
    app.writes(&openid, "hello").await;
    app.writes_media(&openid, "image").await;
    app.reply(&a, &openid, "how can I help?").await;
    let body = json!({"starttime": T0, "endtime": T0 + 10, "pageindex": 1, "pagesize": 10});
    let r = app.wx(GETRECORD, body).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/json; encoding=utf-8")
    );
    let record = |opercode: i64, text: &str| {
        format!(r#"{{"worker":"{a}","openid":"{openid}","opercode":{opercode},"time":{T0},"text":"{text}"}}"#)
    };
    let want = format!(
        r#"{{"recordlist":[{},{},{}]}}"#,
        record(2003, "hello"),
        record(2003, "[image]"),
        record(2002, "how can I help?")
    );
    assert_eq!(r.body, want);
    // The same records getmsglist reads.
    let list = app
        .msg_list(json!({"starttime": T0, "endtime": T0 + 10, "msgid": 1, "number": 10}))
        .await;
    assert_eq!(list.json()["number"], 3);
    // GET is refused as for every POST endpoint.
    app.wx_get(GETRECORD).await.assert_err(43002, "require POST method");
}

#[tokio::test]
async fn getrecord_pages_by_pageindex_and_filters_by_openid() {
    let app = lenient_app().await;
    seed_records(&app, 700).await;
    let all: Vec<String> = (0..700).filter(|i| i % 7 != 3).map(|i| format!("m{i}")).collect();
    let page = |index: i64, size: i64, openid: Option<&str>| {
        let mut body = json!({"starttime": T0, "endtime": T0 + 86_400, "pageindex": index, "pagesize": size});
        if let Some(o) = openid {
            body["openid"] = json!(o);
        }
        app.wx(GETRECORD, body)
    };
    let texts = |r: Value| -> Vec<String> {
        let list = r["recordlist"].as_array().unwrap().clone();
        list.iter().map(|r| r["text"].as_str().unwrap().to_owned()).collect()
    };
    let mut seen = Vec::new();
    for index in 1.. {
        let got = texts(page(index, 50, None).await.json());
        let short = got.len() < 50;
        seen.extend(got);
        if short {
            break;
        }
    }
    assert_eq!(seen, all, "the pages cover every record once, in order");
    assert_eq!(texts(page(2, 3, None).await.json()), ["m4", "m5", "m6"]);
    assert_eq!(page(99, 50, None).await.body, r#"{"recordlist":[]}"#);
    let mine: Vec<String> = (0..700)
        .filter(|i| i % 7 != 3 && i % 50 == 7)
        .map(|i| format!("m{i}"))
        .collect();
    assert_eq!(texts(page(1, 50, Some("o7")).await.json()), mine);
    assert_eq!(texts(page(2, 5, Some("o7")).await.json()), mine[5..10]);
    assert_eq!(texts(page(1, 5, Some("")).await.json()), ["m0", "m1", "m2", "m4", "m5"]);
    assert_eq!(page(1, 50, Some("nobody")).await.body, r#"{"recordlist":[]}"#);
}

#[tokio::test]
async fn getrecord_checks_its_body_and_pages() {
    let app = lenient_app().await;
    let before = app.snapshot().await;
    let invalid = "param invalid, please check";
    for body in [
        json!({"starttime": T0, "endtime": T0 - 1, "pageindex": 1, "pagesize": 10}),
        json!({"starttime": -1, "endtime": T0, "pageindex": 1, "pagesize": 10}),
        json!({"starttime": T0, "endtime": T0 + 10, "pageindex": 0, "pagesize": 10}),
        json!({"starttime": T0, "endtime": T0 + 10, "pageindex": -1, "pagesize": 10}),
        json!({"starttime": T0, "endtime": T0 + 10, "pageindex": 1, "pagesize": 0}),
        json!({"starttime": T0, "endtime": T0 + 10, "pageindex": 1, "pagesize": 51}),
        json!({"starttime": T0, "endtime": T0 + 10, "pageindex": 1}),
        json!({"starttime": T0, "endtime": T0 + 10, "msgid": 1, "number": 10}),
    ] {
        app.assert_rejected(app.wx(GETRECORD, body), 65416, invalid, &before)
            .await;
    }
    let long = json!({"starttime": T0, "endtime": T0 + 86_401, "pageindex": 1, "pagesize": 10});
    let too_long = "it is too long from the starttime to endtime";
    app.assert_rejected(app.wx(GETRECORD, long), 65417, too_long, &before)
        .await;
    let biggest = json!({"starttime": T0, "endtime": T0 + 86_400, "pageindex": 1, "pagesize": 50});
    assert_eq!(app.wx(GETRECORD, biggest).await.body, r#"{"recordlist":[]}"#);
    app.assert_rejected(app.wx_raw(GETRECORD, ""), 44002, "empty post data", &before)
        .await;
    app.assert_rejected(app.wx_raw(GETRECORD, "{not json"), 47001, "data format error", &before)
        .await;
    let wrong_type = json!({"starttime": T0, "endtime": T0, "pageindex": "1", "pagesize": 10});
    app.assert_rejected(app.wx(GETRECORD, wrong_type), 47001, "data format error", &before)
        .await;
    let no_token = app.post(GETRECORD, "{}").await;
    no_token.assert_err(41001, "access_token missing");
}
