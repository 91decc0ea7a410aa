//! The request journal: what it keeps of each WeChat-side request, how it
//! masks tokens and secrets, its bound, its filters and its live stream;
//! the compatibility report; `/metrics`; and the control API's own 404.

use crate::support::{TestApp, T0};
use kefu_server::{AppState, ServerConfig, VirtualClock};
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

async fn journal(app: &TestApp, query: &str) -> Vec<Value> {
    let entries = app.control("GET", &format!("/_kefu/journal{query}"), json!({})).await;
    entries.as_array().unwrap().clone()
}

#[tokio::test]
async fn an_entry_holds_the_request_and_its_answer_with_the_token_cut() {
    let app = TestApp::new().await;
    let path = "/customservice/kfsession/create";
    let answer = app.wx(path, json!({"kf_account": "nobody@test", "openid": "o1"})).await;
    let e = &journal(&app, "?limit=1").await[0];
    let rid = answer.json()["errmsg"]
        .as_str()
        .unwrap()
        .rsplit("rid: ")
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(e["method"], "POST");
    assert_eq!(e["path"], path);
    assert_eq!(e["query"], format!("access_token={}…", &app.token[..8]));
    assert_eq!(e["request_body"], r#"{"kf_account":"nobody@test","openid":"o1"}"#);
    assert_eq!((e["status"].as_u64(), e["errcode"].as_i64()), (Some(200), Some(65401)));
    assert_eq!(e["response_body"], answer.body);
    assert_eq!(
        (e["appid"].as_str(), e["rid"].as_str()),
        (Some(app.appid.as_str()), Some(rid.as_str()))
    );
    assert_eq!((e["virtual_time"].as_i64(), e["fault"].as_u64()), (Some(T0), None));
    assert!(e["time_ms"].as_i64().unwrap() > 1_600_000_000_000);
    assert_eq!(e["compat"], json!([]));
    assert!(!e.to_string().contains(&app.token), "{e}");
}

#[tokio::test]
async fn every_token_and_secret_form_is_masked() {
    let app = TestApp::new().await;
    let stable = json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret});
    let issued = app.post("/cgi-bin/stable_token", &stable.to_string()).await.json();
    let stable_token = issued["access_token"].as_str().unwrap().to_owned();
    let c = crate::platform::component(&app).await;
    let (secret, ticket) = (c.1.clone(), c.2.clone());
    let ctoken = crate::platform::component_token(&app, &c).await;
    let refresh = crate::platform::authorize(&app, &c.0, json!([1])).await;
    let a = crate::platform::authorizer_call(&app, &ctoken, &c.0, &app.appid, &refresh)
        .await
        .json();
    let atoken = a["authorizer_access_token"].as_str().unwrap().to_owned();
    let refresh = a["authorizer_refresh_token"].as_str().unwrap().to_owned();
    let listed = app
        .get(&format!("/cgi-bin/customservice/getkflist?access_token={atoken}"))
        .await;
    assert_eq!(listed.body, r#"{"kf_list":[]}"#);

    let all = journal(&app, "?limit=1000")
        .await
        .iter()
        .map(Value::to_string)
        .collect::<String>();
    for secret_value in [
        &app.secret,
        &secret,
        &app.token,
        &stable_token,
        &ctoken,
        &atoken,
        &refresh,
        &ticket,
    ] {
        assert!(
            !all.contains(secret_value.as_str()),
            "{secret_value} in the journal: {all}"
        );
    }
    assert!(all.contains(&format!("{}…", &atoken[..8])), "{all}");
    assert!(all.contains(r#"\"secret\":\"***\""#), "{all}");
}

#[tokio::test]
async fn the_journal_keeps_its_size_under_three_times_as_many_requests() {
    let app = TestApp::with_config(ServerConfig {
        journal_size: 20,
        ..ServerConfig::default()
    })
    .await;
    for _ in 0..60 {
        app.wx_get("/cgi-bin/customservice/getkflist").await;
    }
    let kept = journal(&app, "?limit=1000").await;
    assert_eq!(kept.len(), 20);
    let ids: Vec<u64> = kept.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1] + 1),
        "newest first, no gaps: {ids:?}"
    );
    let metrics = app.get("/metrics").await.body;
    assert!(metrics.contains("kefu_journal_dropped_total"), "{metrics}");
}

#[tokio::test]
async fn filters_narrow_the_journal_and_bad_ones_name_their_field() {
    let app = TestApp::new().await;
    let (other, _, token) = app.other_app(json!({})).await;
    app.wx_get("/cgi-bin/customservice/getkflist").await;
    app.get(&app.with_token("/cgi-bin/customservice/getonlinekflist", &token))
        .await;
    app.wx(
        "/customservice/kfsession/create",
        json!({"kf_account": "x@test", "openid": "o"}),
    )
    .await;
    let first = journal(&app, "?limit=1000").await.last().unwrap()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        journal(&app, &format!("?appid={other}")).await.len(),
        2,
        "its token request too"
    );
    assert_eq!(journal(&app, "?errcode=65401").await.len(), 1);
    assert_eq!(journal(&app, "?path=/cgi-bin/customservice/getkflist").await.len(), 1);
    let newer = journal(&app, &format!("?since_id={first}&limit=2")).await;
    assert_eq!(newer.len(), 2);
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?errcode=x", "errcode"),
    ] {
        let r = app.get(&format!("/_kefu/journal{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        assert!(r.json()["message"].as_str().unwrap().starts_with(field), "{}", r.body);
    }
    assert_eq!(app.send("DELETE", "/_kefu/journal", "", None).await.status, 204);
    assert_eq!(journal(&app, "").await.len(), 0);
}

#[tokio::test]
async fn the_stream_sends_each_entry_as_it_completes() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let http = reqwest::Client::new();
    let mut stream = http
        .get(format!(
            "{base}/_kefu/journal/stream?path=/cgi-bin/customservice/getkflist"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // The stream is open once its headers came; a request now is sent on it.
    http.get(format!("{base}/cgi-bin/token")).send().await.unwrap();
    let url = format!(
        "{base}{}",
        app.with_token("/cgi-bin/customservice/getkflist", &app.token)
    );
    http.get(url).send().await.unwrap();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await;
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap().unwrap()));
    }
    assert!(text.starts_with("event: entry\n"), "{text}");
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let entry: Value = serde_json::from_str(data).unwrap();
    assert_eq!(
        (entry["path"].as_str(), entry["errcode"].as_i64()),
        (Some("/cgi-bin/customservice/getkflist"), Some(0))
    );
    assert!(entry["client"].as_str().unwrap().starts_with("127.0.0.1:"));
}

/// One request for each compatibility rule; the report's (rule, count,
/// refused) lines, sorted.
async fn compat_lines(app: &TestApp, lenient: bool) -> (Vec<(String, u64, u64)>, Value) {
    let add = json!({"kf_account": "a@test", "nickname": "A"});
    app.wx("/cgi-bin/customservice/kfaccount/add", add).await;
    let page = json!({"starttime": T0, "endtime": T0, "pageindex": 1, "pagesize": 10});
    let legacy = app.wx("/customservice/msgrecord/getrecord", page).await;
    if lenient {
        assert_eq!(legacy.body, r#"{"recordlist":[]}"#);
    } else {
        legacy.assert_err(40066, "invalid url");
    }
    let kf = app.add_kf("b").await;
    let encoded = kf.replace('@', "%40");
    let path = format!("/customservice/kfsession/getsessionlist?kf_account={encoded}");
    app.get(&app.with_token(&path, &app.token)).await;
    let in_body = json!({"access_token": app.token, "kf_account": kf, "openid": "o"});
    app.post("/customservice/kfsession/create", &in_body.to_string())
        .await
        .assert_err(41001, "access_token missing");
    let req = axum::http::Request::get(app.with_token("/cgi-bin/customservice/getkflist", &app.token))
        .header("host", "api.weixin.qq.com");
    app.send_request(req, String::new()).await;
    let report = app.control("GET", "/_kefu/compat", json!({})).await;
    let mut lines: Vec<(String, u64, u64)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let n = |k: &str| l[k].as_u64().unwrap();
            (l["rule"].as_str().unwrap().to_owned(), n("count"), n("refused"))
        })
        .collect();
    lines.sort();
    (lines, report)
}

/// `refused`: 1 in strict mode, where path variants and retired endpoints
/// are 40066; 0 in lenient mode, where they are answered.
fn expected(refused: u64) -> Vec<(String, u64, u64)> {
    [
        ("http_not_https", 1, 0),
        ("kf_account_percent_encoded", 1, 0),
        ("legacy_endpoint", 1, refused),
        ("path_variant", 1, refused),
        ("token_in_body", 1, 1),
    ]
    .map(|(r, c, f)| (r.to_owned(), c, f))
    .to_vec()
}

#[tokio::test]
async fn the_compat_report_notes_each_rule_in_strict_mode() {
    let app = TestApp::new().await;
    let (lines, report) = compat_lines(&app, false).await;
    assert_eq!(lines, expected(1), "{report}");
    let example = report
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rule"] == "path_variant")
        .unwrap();
    let entry = app
        .control("GET", &format!("/_kefu/journal/{}", example["example"]), json!({}))
        .await;
    assert_eq!(entry["compat"][0]["refused"], true);
    assert_eq!(entry["errcode"], 40066);
    assert!(example["explanation"]
        .as_str()
        .unwrap()
        .contains("/customservice/kfaccount/add"));
}

#[tokio::test]
async fn lenient_mode_answers_what_it_notes() {
    let app = TestApp::with_config(ServerConfig {
        lenient: true,
        ..ServerConfig::default()
    })
    .await;
    let (lines, report) = compat_lines(&app, true).await;
    assert_eq!(lines, expected(0), "{report}");
    let listed = app.wx_get("/cgi-bin/customservice/getkflist").await.json();
    assert_eq!(
        listed["kf_list"][0]["kf_account"], "a@test",
        "the variant path added the account"
    );
    let mine = app
        .control("GET", &format!("/_kefu/compat?appid={}", app.appid), json!({}))
        .await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        4,
        "a token in the body resolves to no app; the answered legacy call does: {mine}"
    );
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_open_without_the_admin_token() {
    let app = TestApp::new().await;
    app.wx_get("/cgi-bin/customservice/getkflist").await;
    app.wx("/customservice/kfsession/create", json!({})).await;
    // The same data behind an admin token.
    let config = ServerConfig {
        admin_token: Some("admin-s3cret".into()),
        ..ServerConfig::default()
    };
    let state = AppState::new(app.state.store.clone(), VirtualClock::frozen(T0, 0), config);
    let guarded = kefu_server::router(state);
    let get = |path: &str| {
        let req = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
        guarded.clone().oneshot(req)
    };
    for path in [
        "/_kefu/journal",
        "/_kefu/faults",
        "/_kefu/compat",
        "/_kefu/journal/stream",
    ] {
        assert_eq!(get(path).await.unwrap().status(), 401, "{path}");
    }
    assert_eq!(get("/_kefu/health").await.unwrap().status(), 200);
    let res = get("/metrics").await.unwrap();
    assert_eq!(res.status(), 200);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let body = String::from_utf8(bytes.to_vec()).unwrap();
    let lines: Vec<String> = body.lines().map(str::to_owned).collect();
    let scrape = prometheus_parse::Scrape::parse(lines.into_iter().map(Ok)).unwrap();
    let requests = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "kefu_requests_total")
        .find(|s| {
            s.labels.get("endpoint") == Some("/cgi-bin/customservice/getkflist") && s.labels.get("errcode") == Some("0")
        })
        .expect("the getkflist counter");
    assert!(matches!(requests.value, prometheus_parse::Value::Counter(n) if n >= 1.0));
    for name in [
        "kefu_request_duration_seconds",
        "kefu_outbox_depth",
        "kefu_journal_entries",
        "kefu_store_commits_total",
        "kefu_store_commit_batch_size",
    ] {
        assert!(scrape.samples.iter().any(|s| s.metric.starts_with(name)), "{name}");
    }
    for secret in ["admin-s3cret", app.secret.as_str(), app.token.as_str()] {
        assert!(!body.contains(secret), "{secret} in /metrics");
    }
}

#[tokio::test]
async fn a_typo_under_the_control_api_answers_its_own_404() {
    let app = TestApp::new().await;
    let r = app.get("/_kefu/jurnal").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"error": "route_not_found", "message": "route not found"})
    );
    let r = app
        .send("POST", "/_kefu/apps/x/y/z", "{}", Some("application/json"))
        .await;
    assert_eq!(r.status, 404);
}
