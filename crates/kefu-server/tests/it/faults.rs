//! Fault rules, observed by a real HTTP client on a real socket: each
//! action, how often rules apply, that a faulted request changes nothing
//! and spends no quota, refusals of malformed rules, and faults on pushes.

use crate::pushes::{configure, deliveries, drained, follow, write};
use crate::support::{strip_rid, TestApp};
use kefu_api::callback::Format;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn add(app: &TestApp, rule: Value) -> u64 {
    app.control("POST", "/_kefu/faults", rule).await["id"].as_u64().unwrap()
}

#[tokio::test]
async fn an_errcode_fault_answers_wechats_body_and_changes_nothing() {
    let app = TestApp::new().await;
    app.patch(json!({"quotas": {"/customservice/kfaccount/add": {"daily": 1}}}))
        .await;
    let id = add(
        &app,
        json!({"path": "/customservice/kfaccount/add", "errcode": 45009, "times": 1}),
    )
    .await;
    let base = app.serve().await;
    let url = format!("{base}{}", app.with_token("/customservice/kfaccount/add", &app.token));
    let http = reqwest::Client::new();
    let body = json!({"kf_account": "a@test", "nickname": "A"}).to_string();

    let faulted = http.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(faulted.status(), 200);
    assert_eq!(faulted.headers()["content-type"], "application/json; encoding=utf-8");
    let text = faulted.text().await.unwrap();
    assert_eq!(
        strip_rid(&text),
        r#"{"errcode":45009,"errmsg":"reach max api daily quota limit rid: RID"}"#
    );
    assert_eq!(
        app.wx_get("/cgi-bin/customservice/getkflist").await.body,
        r#"{"kf_list":[]}"#
    );
    // The rule expired; the day's one call is still there to spend.
    let real = http.post(&url).body(body).send().await.unwrap().text().await.unwrap();
    assert_eq!(real, r#"{"errcode":0,"errmsg":"ok"}"#);
    let entries = app
        .control("GET", "/_kefu/journal?path=/customservice/kfaccount/add", json!({}))
        .await;
    let faults: Vec<Value> = entries.as_array().unwrap().iter().map(|e| e["fault"].clone()).collect();
    assert_eq!(faults, [Value::Null, json!(id)]);
    assert_eq!(app.control("GET", "/_kefu/faults", json!({})).await, json!([]));
}

#[tokio::test]
async fn delay_status_and_drop_are_seen_by_a_real_client() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let http = reqwest::Client::new();
    let list = format!(
        "{base}{}",
        app.with_token("/cgi-bin/customservice/getkflist", &app.token)
    );
    add(
        &app,
        json!({"path": "/cgi-bin/customservice/*", "delay_ms": 300, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let slow = http.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow, r#"{"kf_list":[]}"#);

    add(
        &app,
        json!({"path": "/cgi-bin/customservice/getkflist", "status": 502, "body": "Bad Gateway", "times": 1}),
    )
    .await;
    let gateway = http.get(&list).send().await.unwrap();
    assert_eq!(gateway.status(), 502);
    assert_eq!(gateway.text().await.unwrap(), "Bad Gateway");

    add(
        &app,
        json!({"path": "/cgi-bin/customservice/getkflist", "drop": true, "times": 1}),
    )
    .await;
    let mut tcp = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    let path = app.with_token("/cgi-bin/customservice/getkflist", &app.token);
    tcp.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got))
        .await
        .unwrap();
    assert!(
        read.is_err() || got.is_empty(),
        "an answer came: {:?}",
        String::from_utf8_lossy(&got)
    );
    // The rules are spent: the real answer again.
    assert_eq!(
        http.get(&list).send().await.unwrap().text().await.unwrap(),
        r#"{"kf_list":[]}"#
    );
    let dropped = app.control("GET", "/_kefu/journal?limit=2", json!({})).await;
    assert_eq!(dropped[1]["status"], 0);
}

/// Which of `n` requests a seeded `probability` rule answers.
async fn seeded_draws(seed: u64, n: usize) -> Vec<bool> {
    let app = TestApp::new().await;
    add(&app, json!({"path": "/cgi-bin/customservice/getkflist", "errcode": -1, "probability": 0.5, "seed": seed, "after": 2})).await;
    let mut fired = Vec::new();
    for _ in 0..n {
        fired.push(app.wx_get("/cgi-bin/customservice/getkflist").await.json()["errcode"] == -1);
    }
    let rules = app.control("GET", "/_kefu/faults", json!({})).await;
    let applied = rules[0]["applied"].as_u64().unwrap() as usize;
    assert_eq!(applied, fired.iter().filter(|f| **f).count());
    assert_eq!(rules[0]["matched"].as_u64(), Some(n as u64));
    fired
}

#[tokio::test]
async fn a_seeded_probability_and_after_are_honoured() {
    let first = seeded_draws(42, 40).await;
    assert_eq!(first, seeded_draws(42, 40).await, "the same seed, the same draws");
    assert!(!first[0] && !first[1], "the first two go through");
    let share = first.iter().filter(|f| **f).count();
    assert!((8..=30).contains(&share), "{share} of 38");
}

#[tokio::test]
async fn a_rule_for_one_app_leaves_the_others_alone() {
    let app = TestApp::new().await;
    let (other, _, token) = app.other_app(json!({})).await;
    add(
        &app,
        json!({"path": "/cgi-bin/customservice/getkflist", "appid": other, "errcode": 40001}),
    )
    .await;
    assert_eq!(
        app.wx_get("/cgi-bin/customservice/getkflist").await.body,
        r#"{"kf_list":[]}"#
    );
    let theirs = app
        .get(&app.with_token("/cgi-bin/customservice/getkflist", &token))
        .await;
    theirs.assert_err(40001, "invalid credential, access_token is invalid or not latest");
}

#[tokio::test]
async fn malformed_rules_are_refused_by_field_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let cases = [
        (json!({"path": "/a", "errcode": -1, "colour": "red"}), "colour"),
        (json!({"path": "/a", "errcode": -1, "probability": 2}), "probability"),
        (json!({"path": "/a", "errcode": -1, "times": 0}), "times"),
        (json!({"path": "/a", "errcode": 99999}), "errcode"),
        (json!({"path": "/a"}), "exactly one"),
        (json!({"path": "push", "errcode": -1}), "errcode"),
    ];
    for (rule, field) in cases {
        let r = app
            .send("POST", "/_kefu/faults", rule.to_string(), Some("application/json"))
            .await;
        assert_eq!(r.status, 400, "{rule}");
        assert!(
            r.json()["message"].as_str().unwrap().contains(field),
            "{rule}: {}",
            r.body
        );
    }
    assert_eq!(app.control("GET", "/_kefu/faults", json!({})).await, json!([]));
    let id = add(&app, json!({"path": "/a", "drop": true})).await;
    add(&app, json!({"path": "/b", "drop": true})).await;
    assert_eq!(
        app.send("DELETE", &format!("/_kefu/faults/{id}"), "", None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.send("DELETE", &format!("/_kefu/faults/{id}"), "", None)
            .await
            .status,
        404
    );
    assert_eq!(app.send("DELETE", "/_kefu/faults", "", None).await.status, 204);
    assert_eq!(app.control("GET", "/_kefu/faults", json!({})).await, json!([]));
}

#[tokio::test]
async fn a_push_fault_fails_a_try_without_reaching_the_server() {
    let app = TestApp::new().await;
    let r = configure(&app, &app.appid, "plaintext", Format::Xml).await;
    let id = add(
        &app,
        json!({"path": "push", "appid": app.appid, "status": 503, "times": 1}),
    )
    .await;
    let openid = follow(&app, &app.appid).await;
    write(&app, &app.appid, &openid, json!({"msgtype": "text", "content": "hi"})).await;
    // The subscribe push meets the fault, is tried again and arrives; then the message.
    let got = r.exactly(2, 10, drained(&app, &app.appid)).await;
    assert_eq!(got.len(), 2);
    let log = deliveries(&app, &app.appid).await;
    let tries: Vec<(u64, &str, &str)> = log
        .iter()
        .rev()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap(),
                d["outcome"].as_str().unwrap(),
                d["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tries[0],
        (1, "http_status", format!("HTTP 503 (fault rule {id})").as_str())
    );
    assert_eq!((tries[1].0, tries[1].1), (2, "ok"));
    assert_eq!(tries.len(), 3);
}
