//! IP whitelists (40164) and per-endpoint quotas (45009, 45011) with their
//! resets: the virtual day and `clear_quota`.

use crate::support::{Reply, TestApp, T0};
use kefu_server::ServerConfig;
use serde_json::json;

async fn behind_proxy() -> TestApp {
    TestApp::with_config(ServerConfig {
        trust_proxy: true,
        ..ServerConfig::default()
    })
    .await
}

async fn token_from(app: &TestApp, ip: &str) -> Reply {
    let uri = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    );
    let req = axum::http::Request::get(uri).header("x-forwarded-for", format!("{ip}, 10.9.9.9"));
    app.send_request(req, String::new()).await
}

#[tokio::test]
async fn a_whitelist_refuses_other_addresses_with_40164_naming_them() {
    let app = behind_proxy().await;
    app.patch(json!({"ip_whitelist": ["1.2.3.4", "10.0.0.0/8"]})).await;
    token_from(&app, "5.6.7.8")
        .await
        .assert_err(40164, "invalid ip 5.6.7.8 ipv6 ::ffff:5.6.7.8, not in whitelist");
    assert!(token_from(&app, "1.2.3.4").await.body.contains("access_token"));
    assert!(token_from(&app, "10.20.30.40").await.body.contains("access_token"));
    let stable = json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret}).to_string();
    let req = axum::http::Request::post("/cgi-bin/stable_token").header("x-forwarded-for", "9.9.9.9");
    app.send_request(req, stable)
        .await
        .assert_err(40164, "invalid ip 9.9.9.9 ipv6 ::ffff:9.9.9.9, not in whitelist");
    // Wrong secrets are still 40125: the whitelist comes after the credentials.
    let bad = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret=x",
        app.appid
    );
    let req = axum::http::Request::get(bad).header("x-forwarded-for", "5.6.7.8");
    app.send_request(req, String::new())
        .await
        .assert_err(40125, "invalid appsecret");
    app.patch(json!({"ip_whitelist": []})).await;
    assert!(token_from(&app, "5.6.7.8").await.body.contains("access_token"));
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let app = TestApp::new().await;
    app.patch(json!({"ip_whitelist": ["1.2.3.4"]})).await;
    token_from(&app, "1.2.3.4")
        .await
        .assert_err(40164, "invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist");
    let path = format!("/_kefu/apps/{}", app.appid);
    assert_eq!(
        app.control_err("PATCH", &path, json!({"ip_whitelist": ["x.y"]}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn endpoint_quotas_answer_45009_and_reset_at_beijing_midnight() {
    let mut app = TestApp::new().await;
    app.patch(json!({"quotas": {"/customservice/kfsession/getwaitcase": {"daily": 2}}}))
        .await;
    for _ in 0..2 {
        assert_eq!(app.wait_cases().await["count"], 0);
    }
    let reached = "reach max api daily quota limit";
    app.wx_get("/customservice/kfsession/getwaitcase")
        .await
        .assert_err(45009, reached);
    // The quota is checked before the body: an empty body still counts as over quota.
    app.patch(json!({"quotas": {"/customservice/kfsession/close": {"daily": 0}}}))
        .await;
    app.wx_raw("/customservice/kfsession/close", "")
        .await
        .assert_err(45009, reached);
    // T0 is 16:00 Beijing time; the day turns 8 hours later.
    app.advance(8 * 3600 - 1).await;
    app.relogin().await;
    app.wx_get("/customservice/kfsession/getwaitcase")
        .await
        .assert_err(45009, reached);
    app.advance(1).await;
    assert_eq!(app.wait_cases().await["count"], 0);
    assert_eq!(app.state.now().0, T0 + 8 * 3600);
}

#[tokio::test]
async fn per_minute_quotas_answer_45011() {
    let app = TestApp::new().await;
    app.patch(json!({"quotas": {"/cgi-bin/customservice/getkflist": {"per_minute": 1}}}))
        .await;
    app.wx_get("/cgi-bin/customservice/getkflist").await;
    app.wx_get("/cgi-bin/customservice/getkflist")
        .await
        .assert_err(45011, "api minute-quota reach limit, must slower, retry next minute");
    app.advance(60).await;
    assert_eq!(
        app.wx_get("/cgi-bin/customservice/getkflist").await.body,
        r#"{"kf_list":[]}"#
    );
}

#[tokio::test]
async fn clear_quota_resets_endpoint_quotas_and_null_removes_them() {
    let app = TestApp::new().await;
    app.patch(json!({"quotas": {"/customservice/kfsession/getwaitcase": {"daily": 1}}}))
        .await;
    app.wait_cases().await;
    app.wx_get("/customservice/kfsession/getwaitcase")
        .await
        .assert_err(45009, "reach max api daily quota limit");
    app.wx("/cgi-bin/clear_quota", json!({"appid": app.appid}))
        .await
        .assert_ok();
    assert_eq!(app.wait_cases().await["count"], 0);
    app.patch(json!({"quotas": {"/customservice/kfsession/getwaitcase": null}}))
        .await;
    for _ in 0..3 {
        assert_eq!(app.wait_cases().await["count"], 0);
    }
    let shown = app.snapshot().await;
    assert_eq!(shown["app"]["quotas"], json!({}));
}

#[tokio::test]
async fn the_token_quota_can_be_tightened_per_app() {
    let app = TestApp::new().await;
    app.patch(json!({"quotas": {"/cgi-bin/token": {"daily": 2}}})).await;
    // The app's own token from TestApp::new was the first call of the day.
    app.token_for(&app.appid, &app.secret).await;
    let uri = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    );
    app.get(&uri).await.assert_err(45009, "reach max api daily quota limit");
    let path = format!("/_kefu/apps/{}", app.appid);
    let unknown = json!({"quotas": {"/not/an/endpoint": {"daily": 1}}});
    assert_eq!(app.control_err("PATCH", &path, unknown).await.0, 400);
}
