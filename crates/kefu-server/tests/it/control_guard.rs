//! Other web sites cannot use the control API: a cross-site form post is
//! refused by its content type and its `Origin`, a DNS-rebinding page by
//! its `Host`; a refused call changes nothing. The admin token tells a
//! missing token from a wrong one. A callback URL's answer is never quoted
//! back (it may be an internal service's).

use crate::support::TestApp;
use crate::support::T0;
use http_body_util::BodyExt;
use kefu_server::{AppState, ServerConfig, VirtualClock};
use reqwest::header::{CONTENT_TYPE, HOST, ORIGIN};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The apps kefu has: what a refused reset must leave alone.
async fn apps(app: &TestApp) -> Value {
    app.control("GET", "/_kefu/apps", Value::Null).await
}

async fn refused(res: reqwest::Response, status: u16, error: &str, message: &str) {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.expect("a JSON refusal");
    assert_eq!(body, json!({"error": error, "message": message}));
}

#[tokio::test]
async fn a_cross_site_form_post_cannot_reset() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let before = apps(&app).await;
    let http = reqwest::Client::new();
    let reset = format!("{base}/_kefu/reset");
    let media = "control calls that change state take Content-Type: application/json";

    // A form post as a page sends it: text/plain, with its Origin.
    let page = http
        .post(&reset)
        .header(CONTENT_TYPE, "text/plain")
        .header(ORIGIN, "http://evil.example")
        .body("x=1");
    let origin = "the control API does not answer calls from web pages of other origins (http://evil.example)";
    refused(page.send().await.unwrap(), 403, "forbidden_origin", origin).await;
    // The same without an Origin (an old browser, a plugin): its type.
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
    ] {
        let form = http.post(&reset).header(CONTENT_TYPE, ct).body("x=1");
        refused(form.send().await.unwrap(), 415, "unsupported_media_type", media).await;
    }
    // A bodiless no-cors fetch carries its Origin.
    let bare = http.post(&reset).header(ORIGIN, "http://evil.example");
    refused(bare.send().await.unwrap(), 403, "forbidden_origin", origin).await;
    // `null` origins (sandboxed frames, local files) are foreign too.
    let null = http.post(&reset).header(ORIGIN, "null");
    let why = "the control API does not answer calls from web pages of other origins (null)";
    refused(null.send().await.unwrap(), 403, "forbidden_origin", why).await;
    assert_eq!(apps(&app).await, before, "a refused call changed the state");
}

#[tokio::test]
async fn a_page_of_kefus_own_origin_and_scripts_are_served() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let authority = base.trim_start_matches("http://").to_owned();
    let http = reqwest::Client::new();
    let advance = format!("{base}/_kefu/clock/advance");
    let same = http
        .post(&advance)
        .header(ORIGIN, format!("http://{authority}"))
        .json(&json!({"seconds": 1}));
    assert_eq!(same.send().await.unwrap().status(), 200);
    // curl -X POST without a body, and a JSON body with a charset.
    let reset = http.post(format!("{base}/_kefu/reset")).send().await.unwrap();
    assert!(reset.status().is_success(), "{}", reset.status());
    let charset = http
        .post(&advance)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"seconds":1}"#);
    assert_eq!(charset.send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_rebound_host_name_cannot_read_secrets() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}/_kefu/apps"))
        .header(HOST, "evil.example:8080")
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(!text.contains(&app.secret), "a secret leaked: {text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({
            "error": "forbidden_host",
            "message": "the control API does not answer for the host \"evil.example:8080\"; start kefu with --allowed-host evil.example (KEFU_ALLOWED_HOSTS) to allow it"
        })
    );
    for host in ["localhost:8080", "127.0.0.1", "[::1]:1", "api.weixin.qq.com"] {
        let ok = http
            .get(format!("{base}/_kefu/apps"))
            .header(HOST, host)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{host}");
    }
    // The WeChat side answers for any host (SDKs name WeChat's, or a proxy's).
    let wx = http
        .get(format!(
            "{base}/cgi-bin/customservice/getkflist?access_token={}",
            app.token
        ))
        .header(HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(wx.text().await.unwrap(), r#"{"kf_list":[]}"#);
}

#[tokio::test]
async fn allowed_hosts_are_served() {
    let app = TestApp::with_config(ServerConfig {
        allowed_hosts: vec!["kefu.internal".into()],
        ..ServerConfig::default()
    })
    .await;
    let base = app.serve().await;
    let http = reqwest::Client::new();
    let get = |host: &'static str| http.get(format!("{base}/_kefu/apps")).header(HOST, host).send();
    assert_eq!(get("KEFU.internal:8080").await.unwrap().status(), 200);
    assert_eq!(get("other.internal").await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_missing_admin_token_is_told_from_a_wrong_one() {
    let app = TestApp::new().await;
    let config = ServerConfig {
        admin_token: Some("admin-0123456789abcdef".into()),
        ..ServerConfig::default()
    };
    let state = AppState::new(app.state.store.clone(), VirtualClock::frozen(T0, 0), config);
    let guarded = kefu_server::router(state);
    let call = |token: Option<&str>| {
        let mut req = axum::http::Request::get("/_kefu/apps");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(axum::body::Body::empty()).unwrap();
        let guarded = guarded.clone();
        async move {
            let res = guarded.oneshot(req).await.unwrap();
            let status = res.status().as_u16();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&body).unwrap())
        }
    };
    let unauthorized = |m: &str| (401, json!({"error": "unauthorized", "message": m}));
    assert_eq!(call(None).await, unauthorized("admin token required"));
    assert_eq!(
        call(Some("admin-0123456789abcdeX")).await,
        unauthorized("the admin token is wrong")
    );
    assert_eq!(call(Some("admin-0123456789abcdef")).await.0, 200);
}

#[tokio::test]
async fn a_callback_urls_answer_is_never_quoted_back() {
    let app = TestApp::new().await;
    // An "internal service" that answers every GET with something private.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let internal = axum::Router::new().fallback(|| async { "INTERNAL-ONLY db_password=hunter2" });
    tokio::spawn(async move { axum::serve(listener, internal).await });
    let r = app
        .send(
            "PUT",
            &format!("/_kefu/apps/{}/callback", app.appid),
            json!({"url": format!("http://{addr}/admin"), "token": "myToken"}).to_string(),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        !r.body.contains("INTERNAL") && !r.body.contains("hunter2"),
        "{}",
        r.body
    );
    assert_eq!(
        r.json(),
        json!({"error": "verification_failed", "message": "the verification was answered, but not with the echostr alone (check the Token and that the answer's body is the echostr, nothing else)"})
    );
}
