//! `cgi-bin/token`, `stable_token`, `clear_quota`: errors, lifecycle on the
//! virtual clock (no sleeping), and the daily limit.

use crate::support::{TestApp, T0};
use kefu_core::limits::Limits;
use serde_json::json;

const KFLIST: &str = "/cgi-bin/customservice/getkflist";

fn token_url(app: &TestApp, grant: &str, appid: &str, secret: &str) -> String {
    let _ = app;
    format!("/cgi-bin/token?grant_type={grant}&appid={appid}&secret={secret}")
}

/// A token is a long URL-safe string that lives 7200 s, as a JSON number.
#[tokio::test]
async fn token_answers_a_long_token_and_7200_seconds() {
    let app = TestApp::new().await;
    let r = app
        .get(&token_url(&app, "client_credential", &app.appid, &app.secret))
        .await;
    let body = r.json();
    let token = body["access_token"].as_str().unwrap();
    assert!(
        token.len() >= 100
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    );
    assert_eq!(r.body, format!(r#"{{"access_token":"{token}","expires_in":7200}}"#));
    assert_eq!(r.content_type, "application/json; encoding=utf-8");
}

/// Each credential error, with its exact body, in the contract's order.
#[tokio::test]
async fn token_errors_name_the_first_bad_parameter() {
    let app = TestApp::new().await;
    let (id, s) = (app.appid.clone(), app.secret.clone());
    app.get(&token_url(&app, "password", &id, &s))
        .await
        .assert_err(40002, "invalid grant_type");
    app.get("/cgi-bin/token?appid=x&secret=y")
        .await
        .assert_err(40002, "invalid grant_type");
    app.get(&token_url(&app, "client_credential", "", &s))
        .await
        .assert_err(41002, "appid missing");
    app.get(&token_url(&app, "client_credential", "wx0000000000000000", &s))
        .await
        .assert_err(40013, "invalid appid");
    app.get(&token_url(&app, "client_credential", &id, ""))
        .await
        .assert_err(41004, "appsecret missing");
    app.get(&token_url(&app, "client_credential", &id, "nope"))
        .await
        .assert_err(40125, "invalid appsecret");
    // None of these replaced the token issued at start: past the overlap it still works.
    app.advance(300).await;
    assert_eq!(app.wx_get(KFLIST).await.body, r#"{"kf_list":[]}"#);
}

/// 41001, 40014 for malformed and for unknown tokens.
#[tokio::test]
async fn kf_endpoints_reject_missing_and_unknown_tokens() {
    let app = TestApp::new().await;
    app.get(KFLIST).await.assert_err(41001, "access_token missing");
    app.get(&format!("{KFLIST}?access_token="))
        .await
        .assert_err(41001, "access_token missing");
    app.get(&format!("{KFLIST}?access_token=short"))
        .await
        .assert_err(40014, "invalid access_token");
    let unknown = "A".repeat(136);
    app.get(&format!("{KFLIST}?access_token={unknown}"))
        .await
        .assert_err(40014, "invalid access_token");
}

/// A replaced token works for 300 more seconds, then answers 40001; the new
/// one works on; after 7200 s the new one answers 42001.
#[tokio::test]
async fn a_replaced_token_overlaps_five_minutes_then_expires() {
    let app = TestApp::new().await;
    let old = app.token.clone();
    app.advance(100).await;
    let new = app.token_for(&app.appid, &app.secret).await;
    app.advance(299).await;
    assert_eq!(app.get(&app.with_token(KFLIST, &old)).await.body, r#"{"kf_list":[]}"#);
    app.advance(1).await;
    app.get(&app.with_token(KFLIST, &old))
        .await
        .assert_err(40001, "invalid credential, access_token is invalid or not latest");
    assert_eq!(app.get(&app.with_token(KFLIST, &new)).await.body, r#"{"kf_list":[]}"#);
    app.advance(7200 - 300 - 1).await;
    assert_eq!(app.get(&app.with_token(KFLIST, &new)).await.body, r#"{"kf_list":[]}"#);
    app.advance(1).await;
    app.get(&app.with_token(KFLIST, &new))
        .await
        .assert_err(42001, "access_token expired");
}

/// The token check comes before the body: an expired token with a malformed body is 42001.
#[tokio::test]
async fn an_expired_token_wins_over_a_malformed_body() {
    let app = TestApp::new().await;
    app.advance(7200).await;
    app.post(&app.with_token("/customservice/kfaccount/add", &app.token), "{not json")
        .await
        .assert_err(42001, "access_token expired");
}

async fn stable(app: &TestApp, force: bool) -> serde_json::Value {
    let body =
        json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": force});
    app.post("/cgi-bin/stable_token", &body.to_string()).await.json()
}

/// Normal mode hands back the same token until its last five minutes, then a
/// new one while the old keeps working to its own expiry.
#[tokio::test]
async fn stable_token_is_reused_then_renewed_in_its_last_five_minutes() {
    let app = TestApp::new().await;
    let first = stable(&app, false).await;
    assert_eq!(first["expires_in"], 7200);
    app.advance(6899).await;
    let same = stable(&app, false).await;
    assert_eq!(
        (same["access_token"].clone(), same["expires_in"].clone()),
        (first["access_token"].clone(), json!(301))
    );
    app.advance(1).await;
    let renewed = stable(&app, false).await;
    assert_ne!(renewed["access_token"], first["access_token"]);
    assert_eq!(renewed["expires_in"], 7200);
    let old = first["access_token"].as_str().unwrap();
    assert_eq!(app.get(&app.with_token(KFLIST, old)).await.body, r#"{"kf_list":[]}"#);
    app.advance(300).await;
    app.get(&app.with_token(KFLIST, old))
        .await
        .assert_err(42001, "access_token expired");
}

/// A forced refresh invalidates the old stable token at once; another within
/// 30 s returns the current token; the 21st forced refresh of a day is 45009.
#[tokio::test]
async fn forced_stable_refresh_invalidates_at_once_and_is_limited() {
    let app = TestApp::new().await;
    let first = stable(&app, false).await["access_token"].as_str().unwrap().to_owned();
    let forced = stable(&app, true).await["access_token"].as_str().unwrap().to_owned();
    assert_ne!(forced, first);
    app.get(&app.with_token(KFLIST, &first))
        .await
        .assert_err(40001, "invalid credential, access_token is invalid or not latest");
    assert_eq!(stable(&app, true).await["access_token"], json!(forced));
    for _ in 0..19 {
        app.advance(30).await;
        stable(&app, true).await["access_token"]
            .as_str()
            .expect("a forced refresh");
    }
    app.advance(30).await;
    let body =
        json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": true});
    app.post("/cgi-bin/stable_token", &body.to_string())
        .await
        .assert_err(45009, "reach max api daily quota limit");
}

/// Stable tokens and `cgi-bin/token` tokens do not replace each other.
#[tokio::test]
async fn stable_and_plain_tokens_are_independent() {
    let app = TestApp::new().await;
    let s = stable(&app, false).await["access_token"].as_str().unwrap().to_owned();
    app.token_for(&app.appid, &app.secret).await;
    app.advance(301).await;
    assert_eq!(app.get(&app.with_token(KFLIST, &s)).await.body, r#"{"kf_list":[]}"#);
    assert_eq!(stable(&app, false).await["access_token"], json!(s));
}

/// `stable_token` is POST JSON only: 43002, 44002, 47001, then credential errors.
#[tokio::test]
async fn stable_token_rejects_gets_and_bad_bodies() {
    let app = TestApp::new().await;
    app.get("/cgi-bin/stable_token")
        .await
        .assert_err(43002, "require POST method");
    app.post("/cgi-bin/stable_token", "")
        .await
        .assert_err(44002, "empty post data");
    app.post("/cgi-bin/stable_token", "grant_type=client_credential")
        .await
        .assert_err(47001, "data format error");
    app.post(
        "/cgi-bin/stable_token",
        r#"{"grant_type":"client_credential","appid":"x","force_refresh":"yes"}"#,
    )
    .await
    .assert_err(47001, "data format error");
    let wrong = json!({"grant_type": "client_credential", "appid": app.appid, "secret": "bad"});
    app.post("/cgi-bin/stable_token", &wrong.to_string())
        .await
        .assert_err(40125, "invalid appsecret");
}

/// Past the daily limit (2000; 3 here) `cgi-bin/token` is 45009;
/// `clear_quota` resets it, and so does the next day.
#[tokio::test]
async fn the_daily_token_limit_resets_by_clear_quota_and_at_midnight() {
    let app = TestApp::with_limits(Limits {
        token_daily: 3,
        ..Limits::default()
    })
    .await;
    let url = token_url(&app, "client_credential", &app.appid, &app.secret);
    app.get(&url).await;
    let last = app.get(&url).await.json()["access_token"].as_str().unwrap().to_owned();
    app.get(&url).await.assert_err(45009, "reach max api daily quota limit");
    // The refused call did not replace the last token.
    app.advance(300).await;
    assert_eq!(app.get(&app.with_token(KFLIST, &last)).await.body, r#"{"kf_list":[]}"#);
    app.post(
        &app.with_token("/cgi-bin/clear_quota", &last),
        &json!({"appid": app.appid}).to_string(),
    )
    .await
    .assert_ok();
    for _ in 0..3 {
        assert!(app.get(&url).await.json()["access_token"].is_string());
    }
    app.get(&url).await.assert_err(45009, "reach max api daily quota limit");
    // T0 is 16:00 Beijing time; midnight is 8 hours on.
    app.advance(8 * 3600).await;
    assert!(app.get(&url).await.json()["access_token"].is_string());
    assert_eq!(T0 % 86_400, 8 * 3600, "T0 is 08:00 UTC, 16:00 in Beijing");
}

/// `clear_quota` names the caller's own appid (41002, 40013) and works 10 times a month (48006).
#[tokio::test]
async fn clear_quota_checks_the_appid_and_its_monthly_limit() {
    let app = TestApp::new().await;
    let url = app.with_token("/cgi-bin/clear_quota", &app.token);
    let call = |body: serde_json::Value| {
        let (app, url) = (&app, url.clone());
        async move { app.post(&url, &body.to_string()).await }
    };
    call(json!({})).await.assert_err(41002, "appid missing");
    call(json!({"appid": "wx0000000000000000"}))
        .await
        .assert_err(40013, "invalid appid");
    for _ in 0..10 {
        call(json!({"appid": app.appid})).await.assert_ok();
    }
    call(json!({"appid": app.appid}))
        .await
        .assert_err(48006, "forbid to clear quota because of reaching the limit");
    let v2 = json!({"appid": app.appid, "appsecret": app.secret}).to_string();
    app.post("/cgi-bin/clear_quota/v2", &v2)
        .await
        .assert_err(48006, "forbid to clear quota because of reaching the limit");
}

/// `clear_quota/v2` authenticates with the AppSecret instead of a token.
#[tokio::test]
async fn clear_quota_v2_needs_the_right_secret() {
    let app = TestApp::new().await;
    let body = |s: &str| json!({"appid": app.appid, "appsecret": s}).to_string();
    app.post("/cgi-bin/clear_quota/v2", &body("bad"))
        .await
        .assert_err(40125, "invalid appsecret");
    app.post("/cgi-bin/clear_quota/v2", &body(""))
        .await
        .assert_err(41004, "appsecret missing");
    app.post("/cgi-bin/clear_quota/v2", &body(&app.secret))
        .await
        .assert_ok();
}
