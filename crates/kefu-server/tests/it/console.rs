//! The console: its page and assets (served without the admin token, while
//! no data is), the live event stream it follows, and the fields of the
//! control API it shows (typing, session close, token lifetimes, the
//! frozen clock, opened push bodies).

use crate::pushes::{configure, drained, follow, write};
use crate::support::{TestApp, T0};
use kefu_api::callback::Format;
use kefu_server::{AppState, ServerConfig, VirtualClock};
use serde_json::{json, Value};
use std::time::Duration;

const ADMIN: &str = "console-admin-0123456789";

/// A server over a socket whose control API needs [`ADMIN`]; its base URL.
async fn guarded(app: &TestApp) -> String {
    let config = ServerConfig {
        admin_token: Some(ADMIN.into()),
        ..ServerConfig::default()
    };
    let state = AppState::new(app.state.store.clone(), VirtualClock::frozen(T0, 0), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(kefu_server::serve(listener, state, std::future::pending()));
    base
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_console_path_answers_the_page_and_only_the_page_without_the_admin_token() {
    let app = TestApp::new().await;
    let base = guarded(&app).await;
    let http = no_redirects();
    let page = http.get(format!("{base}/_kefu/console/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| page.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let policy = header("content-security-policy");
    for rule in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(rule), "{policy}");
    }
    assert_eq!(header("x-content-type-options"), "nosniff");
    let body = page.text().await.unwrap();
    assert!(
        body.contains(r#"<script type="module" src="/_kefu/console/assets/main.js">"#),
        "{body}"
    );
    assert!(!body.contains(&app.appid) && !body.contains(&app.secret));
    // Deep links answer the same page, so they survive a reload.
    for deep in [
        format!("apps/{}", app.appid),
        format!("apps/{}/fans/o_someone", app.appid),
    ] {
        let r = http.get(format!("{base}/_kefu/console/{deep}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{deep}");
        assert_eq!(r.text().await.unwrap(), body, "{deep}");
    }
    let bare = http.get(format!("{base}/_kefu/console")).send().await.unwrap();
    assert_eq!(
        (bare.status().as_u16(), bare.headers()["location"].to_str().unwrap()),
        (308, "/_kefu/console/")
    );
    // The data the page reads is the control API's, and needs the token.
    for path in ["/_kefu/apps", "/_kefu/events", "/_kefu/clock"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    let r = http
        .get(format!("{base}/_kefu/apps"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// The names a page or script loads: `assets/NAME` and `from './NAME'`.
fn loads(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (marker, end) in [("/_kefu/console/assets/", '"'), ("from './", '\'')] {
        for piece in text.split(marker).skip(1) {
            names.push(piece.split(end).next().unwrap().to_owned());
        }
    }
    names
}

#[tokio::test]
async fn every_asset_the_page_loads_is_served_with_its_type() {
    let app = TestApp::new().await;
    let mut queue = loads(&app.get("/_kefu/console/").await.body);
    let mut seen = Vec::new();
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        let r = app.get(&format!("/_kefu/console/assets/{name}")).await;
        assert_eq!(r.status, 200, "{name}");
        let expected = if name.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert_eq!(r.content_type, format!("{expected}; charset=utf-8"), "{name}");
        queue.extend(loads(&r.body));
        seen.push(name);
    }
    assert!(seen.len() >= 9, "{seen:?}");
    let missing = app.get("/_kefu/console/assets/nothing.js").await;
    assert_eq!(missing.status, 404);
}

/// The next Server-Sent Event of a stream: (name, data).
async fn next_event(stream: &mut reqwest::Response, buffer: &mut String) -> (String, Value) {
    while !buffer.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await;
        let chunk = chunk
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream is open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
    let end = buffer.find("\n\n").unwrap();
    let block: String = buffer.drain(..end + 2).collect();
    let field = |name: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or("")
            .to_owned()
    };
    (
        field("event: "),
        serde_json::from_str(&field("data: ")).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn events_tell_of_every_commit_and_of_journal_entries() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let http = reqwest::Client::new();
    let mut stream = http.get(format!("{base}/_kefu/events")).send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let (name, first) = next_event(&mut stream, &mut buffer).await;
    assert_eq!(name, "state");
    let seq = first["seq"].as_u64().unwrap();
    // A follower made through the control API is a commit.
    let fans = format!("{base}/_kefu/apps/{}/fans", app.appid);
    http.post(&fans).send().await.unwrap();
    let (name, next) = next_event(&mut stream, &mut buffer).await;
    assert_eq!(name, "state");
    assert!(next["seq"].as_u64().unwrap() > seq, "{next}");
    // A WeChat-side request is journaled.
    http.get(format!("{base}/cgi-bin/token")).send().await.unwrap();
    let newest = app.control("GET", "/_kefu/journal?limit=1", json!({})).await[0]["id"].clone();
    loop {
        let (name, data) = next_event(&mut stream, &mut buffer).await;
        if name == "journal" {
            assert_eq!(data, json!({"id": newest}));
            break;
        }
    }
}

#[tokio::test]
async fn event_and_journal_streams_end_when_the_server_stops() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kefu_server::serve(listener, app.state.clone(), async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let mut events = http.get(format!("{base}/_kefu/events")).send().await.unwrap();
    let mut journal = http.get(format!("{base}/_kefu/journal/stream")).send().await.unwrap();
    let mut buffer = String::new();
    assert_eq!(next_event(&mut events, &mut buffer).await.0, "state");
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), server).await;
    ended
        .expect("the server stops within 5 s with two streams open")
        .unwrap()
        .unwrap();
    for stream in [&mut events, &mut journal] {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            assert!(
                !String::from_utf8_lossy(&chunk).contains("event:"),
                "only keep-alives remained"
            );
        }
    }
}

#[tokio::test]
async fn the_state_shows_typing_the_idle_close_token_lifetimes_and_the_frozen_clock() {
    let app = TestApp::new().await;
    assert_eq!(
        app.control("GET", "/_kefu/clock", json!({})).await,
        json!({"now": T0, "offset": 0, "frozen": true})
    );
    let kf = app.online_kf("alice", "worker_alice").await;
    let openid = app.follow().await;
    app.writes(&openid, "hi").await;
    let create = json!({"kf_account": kf, "openid": openid});
    app.wx("/customservice/kfsession/create", create).await.assert_ok();
    app.advance(20).await;
    let typing = json!({"touser": openid, "command": "Typing"});
    app.wx("/cgi-bin/message/custom/typing", typing).await.assert_ok();
    let state = app
        .control("GET", &format!("/_kefu/apps/{}", app.appid), json!({}))
        .await;
    assert_eq!(state["followers"][0]["typing_until"], T0 + 20 + 15);
    let one = app.get(&format!("/_kefu/apps/{}/fans/{openid}", app.appid)).await;
    assert_eq!((one.status, one.json()), (200, state["followers"][0].clone()));
    let unknown = app.get(&format!("/_kefu/apps/{}/fans/o_nobody", app.appid)).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (
            404,
            json!({"error": "follower_not_found", "message": "follower not found"})
        )
    );
    let session = &state["sessions"][0];
    assert_eq!(
        (session["createtime"].as_i64(), session["closes_at"].as_i64()),
        (Some(T0), Some(T0 + 1800))
    );
    assert_eq!(
        state["tokens"],
        json!([{"endpoint": "token", "issued_at": T0, "expires_at": T0 + 7200}])
    );
}

#[tokio::test]
async fn deliveries_show_encrypted_bodies_opened() {
    let app = TestApp::new().await;
    let receiver = configure(&app, &app.appid, "safe", Format::Xml).await;
    let openid = follow(&app, &app.appid).await;
    write(
        &app,
        &app.appid,
        &openid,
        json!({"msgtype": "text", "content": "打开看看"}),
    )
    .await;
    receiver.wait_for(2, 10).await;
    drained(&app, &app.appid).await;
    let log = app
        .control("GET", &format!("/_kefu/apps/{}/deliveries", app.appid), json!({}))
        .await;
    let text = log.as_array().unwrap().iter().find(|d| d["event"] == "text").unwrap();
    assert!(text["request"].as_str().unwrap().contains("<Encrypt>"), "{text}");
    assert!(!text["request"].as_str().unwrap().contains("打开看看"), "{text}");
    let plain = text["request_plain"].as_str().unwrap();
    assert!(plain.starts_with("<xml><ToUserName>"), "{plain}");
    assert!(plain.contains("<Content><![CDATA[打开看看]]></Content>"), "{plain}");
    assert_eq!(text["response"], "success");
    assert_eq!(text["response_plain"], Value::Null);
}
