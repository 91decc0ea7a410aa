//! Third-party platforms: component tokens, authorizer tokens with their
//! refresh-token rotation, permission sets (61007), revocation.

use crate::support::{Reply, TestApp};
use serde_json::{json, Value};

const COMPONENT_TOKEN: &str = "/cgi-bin/component/api_component_token";
const AUTHORIZER_TOKEN: &str = "/cgi-bin/component/api_authorizer_token";

/// A component with a pushed ticket: (appid, secret, ticket).
pub(crate) async fn component(app: &TestApp) -> (String, String, String) {
    let c = app.control("POST", "/_kefu/components", json!({})).await;
    let id = c["component_appid"].as_str().unwrap().to_owned();
    let secret = c["component_appsecret"].as_str().unwrap().to_owned();
    let t = app
        .control("POST", &format!("/_kefu/components/{id}/ticket"), json!({}))
        .await;
    (id, secret, t["component_verify_ticket"].as_str().unwrap().to_owned())
}

async fn component_token_call(app: &TestApp, body: Value) -> Reply {
    app.post(COMPONENT_TOKEN, &body.to_string()).await
}

pub(crate) async fn component_token(app: &TestApp, c: &(String, String, String)) -> String {
    let body = json!({"component_appid": c.0, "component_appsecret": c.1, "component_verify_ticket": c.2});
    let r = component_token_call(app, body).await;
    r.json()["component_access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", r.body))
        .to_owned()
}

/// The merchant (the test app) authorizes the component; the refresh token.
pub(crate) async fn authorize(app: &TestApp, component: &str, sets: Value) -> String {
    let path = format!("/_kefu/components/{component}/authorizations");
    let r = app
        .control("POST", &path, json!({"appid": app.appid, "permission_sets": sets}))
        .await;
    r["authorizer_refresh_token"].as_str().unwrap().to_owned()
}

pub(crate) async fn authorizer_call(app: &TestApp, ctoken: &str, component: &str, appid: &str, refresh: &str) -> Reply {
    let body = json!({"component_appid": component, "authorizer_appid": appid, "authorizer_refresh_token": refresh});
    let url = format!("{AUTHORIZER_TOKEN}?component_access_token={ctoken}");
    app.post(&url, &body.to_string()).await
}

/// A token acting for the test app through a new component granted `sets`.
async fn acting_token(app: &TestApp, sets: Value) -> String {
    let c = component(app).await;
    let ctoken = component_token(app, &c).await;
    let refresh = authorize(app, &c.0, sets).await;
    let r = authorizer_call(app, &ctoken, &c.0, &app.appid, &refresh).await;
    r.json()["authorizer_access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn component_tokens_look_like_wechats() {
    let app = TestApp::new().await;
    let c = component(&app).await;
    let body = json!({"component_appid": c.0, "component_appsecret": c.1, "component_verify_ticket": c.2});
    let r = component_token_call(&app, body).await;
    let token = r.json()["component_access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body,
        format!(r#"{{"component_access_token":"{token}","expires_in":7200}}"#)
    );
    assert_eq!(r.content_type, "application/json; encoding=utf-8");
}

#[tokio::test]
async fn component_token_errors_in_order() {
    let app = TestApp::new().await;
    let (id, secret, ticket) = component(&app).await;
    let other = component(&app).await;
    let call = |c: &str, s: &str, t: &str| json!({"component_appid": c, "component_appsecret": s, "component_verify_ticket": t});
    let cases = [
        (call("", &secret, &ticket), 41018, "missing component_appid"),
        (call("wx_nobody", &secret, &ticket), 61011, "invalid component"),
        (call(&id, "", &ticket), 41004, "appsecret missing"),
        (call(&id, "wrong", &ticket), 40125, "invalid appsecret"),
        (call(&id, &secret, ""), 61006, "component ticket is invalid"),
        (
            call(&id, &secret, "ticket@@@nope"),
            61006,
            "component ticket is invalid",
        ),
        (call(&id, &secret, &other.2), 61006, "component ticket is invalid"),
    ];
    for (body, code, msg) in cases {
        component_token_call(&app, body).await.assert_err(code, msg);
    }
    app.post(COMPONENT_TOKEN, "").await.assert_err(44002, "empty post data");
    app.post(COMPONENT_TOKEN, "[1]")
        .await
        .assert_err(47001, "data format error");
    app.get(COMPONENT_TOKEN).await.assert_err(43002, "require POST method");
    app.advance(12 * 3600 - 1).await;
    component_token_call(&app, call(&id, &secret, &ticket)).await;
    app.advance(1).await;
    component_token_call(&app, call(&id, &secret, &ticket))
        .await
        .assert_err(61005, "component ticket is expired");
}

#[tokio::test]
async fn a_component_whitelist_answers_61004() {
    let app = TestApp::with_config(kefu_server::ServerConfig {
        trust_proxy: true,
        ..Default::default()
    })
    .await;
    let c = app
        .control("POST", "/_kefu/components", json!({"ip_whitelist": ["10.1.1.1"]}))
        .await;
    let id = c["component_appid"].as_str().unwrap();
    let t = app
        .control("POST", &format!("/_kefu/components/{id}/ticket"), json!({}))
        .await;
    let body = json!({"component_appid": id, "component_appsecret": c["component_appsecret"],
        "component_verify_ticket": t["component_verify_ticket"]})
    .to_string();
    let from = |ip: &'static str| {
        let req = axum::http::Request::post(COMPONENT_TOKEN).header("x-forwarded-for", ip);
        app.send_request(req, body.clone())
    };
    from("10.1.1.2")
        .await
        .assert_err(61004, "access clientip is not registered");
    assert!(from("10.1.1.1").await.body.contains("component_access_token"));
}

#[tokio::test]
async fn authorizer_token_errors_in_order() {
    let app = TestApp::new().await;
    let c = component(&app).await;
    let ctoken = component_token(&app, &c).await;
    let refresh = authorize(&app, &c.0, json!([1])).await;
    let other = component(&app).await;
    let (stranger, _, _) = app.other_app(json!({})).await;
    let cases = [
        (
            "",
            c.0.as_str(),
            app.appid.as_str(),
            refresh.as_str(),
            41001,
            "access_token missing",
        ),
        ("short", &c.0, &app.appid, &refresh, 40014, "invalid access_token"),
        (&app.token, &c.0, &app.appid, &refresh, 48001, "api unauthorized"),
        (&ctoken, "", &app.appid, &refresh, 41018, "missing component_appid"),
        (&ctoken, &other.0, &app.appid, &refresh, 61011, "invalid component"),
        (&ctoken, &c.0, "", &refresh, 41002, "appid missing"),
        (&ctoken, &c.0, "wx_nobody", &refresh, 40013, "invalid appid"),
        (
            &ctoken,
            &c.0,
            &stranger,
            &refresh,
            61003,
            "component is not authorized by this account",
        ),
        (
            &ctoken,
            &c.0,
            &app.appid,
            "refreshtoken@@@x",
            61023,
            "refresh_token is invalid",
        ),
    ];
    for (t, comp, appid, r, code, msg) in cases {
        authorizer_call(&app, t, comp, appid, r).await.assert_err(code, msg);
    }
    // The newer `?access_token=` form works as well.
    let body = json!({"component_appid": c.0, "authorizer_appid": app.appid, "authorizer_refresh_token": refresh});
    let r = app
        .post(&format!("{AUTHORIZER_TOKEN}?access_token={ctoken}"), &body.to_string())
        .await;
    let v = r.json();
    let (access, next) = (
        v["authorizer_access_token"].as_str().unwrap(),
        v["authorizer_refresh_token"].as_str().unwrap(),
    );
    let want =
        format!(r#"{{"authorizer_access_token":"{access}","expires_in":7200,"authorizer_refresh_token":"{next}"}}"#);
    assert_eq!(r.body, want);
}

#[tokio::test]
async fn refresh_tokens_rotate_with_five_minutes_of_overlap() {
    let app = TestApp::new().await;
    let c = component(&app).await;
    let ctoken = component_token(&app, &c).await;
    let first = authorize(&app, &c.0, json!([1])).await;
    let r = authorizer_call(&app, &ctoken, &c.0, &app.appid, &first).await.json();
    let second = r["authorizer_refresh_token"].as_str().unwrap().to_owned();
    let old_access = r["authorizer_access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    app.advance(299).await;
    let r = authorizer_call(&app, &ctoken, &c.0, &app.appid, &first).await.json();
    assert!(r["authorizer_refresh_token"].is_string(), "{r}");
    let third = r["authorizer_refresh_token"].as_str().unwrap().to_owned();
    // The access token it replaced keeps working five minutes, then is not latest.
    let list = app.with_token("/cgi-bin/customservice/getkflist", &old_access);
    assert_eq!(app.get(&list).await.body, r#"{"kf_list":[]}"#);
    app.advance(300).await;
    app.get(&list)
        .await
        .assert_err(40001, "invalid credential, access_token is invalid or not latest");
    authorizer_call(&app, &ctoken, &c.0, &app.appid, &first)
        .await
        .assert_err(61023, "refresh_token is invalid");
    authorizer_call(&app, &ctoken, &c.0, &app.appid, &third).await.json()["authorizer_access_token"]
        .as_str()
        .unwrap();
}

/// What an endpoint answers a token acting with `sets`: `Some(errcode)` for
/// an error body, `None` for success (`errcode` 0 or a data answer).
async fn outcome(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> Option<i64> {
    let url = app.with_token(path, token);
    let r = app.send(method, &url, body.to_string(), None).await;
    r.json()["errcode"].as_i64().filter(|c| *c != 0)
}

#[tokio::test]
async fn permission_sets_allow_exactly_the_endpoints_that_list_them() {
    let app = TestApp::new().await;
    let kf = app.online_kf("serve", "worker_serve").await;
    let openid = app.follow().await;
    app.writes(&openid, "hi").await;
    let endpoints: [(&str, &str, Value, &[i64]); 6] = [
        (
            "POST",
            "/customservice/kfaccount/inviteworker",
            json!({}),
            &[1, 6, 19, 100, 101],
        ),
        (
            "POST",
            "/customservice/kfsession/create",
            json!({"kf_account": kf, "openid": openid}),
            &[1, 6, 100, 101],
        ),
        (
            "GET",
            "/cgi-bin/customservice/getkflist",
            json!({}),
            &[1, 6, 19, 100, 101],
        ),
        (
            "GET",
            "/customservice/kfsession/getwaitcase",
            json!({}),
            &[1, 6, 100, 101],
        ),
        (
            "POST",
            "/cgi-bin/message/custom/typing",
            json!({"touser": openid, "command": "CancelTyping"}),
            &[1, 6, 19, 100, 101],
        ),
        ("POST", "/cgi-bin/clear_quota", json!({"appid": app.appid}), &[]),
    ];
    for sets in [
        vec![],
        vec![1],
        vec![6],
        vec![19],
        vec![59],
        vec![100],
        vec![101],
        vec![7],
    ] {
        let token = acting_token(&app, json!(sets)).await;
        for (method, path, body, allowed) in &endpoints {
            let mut body = body.clone();
            if path.ends_with("inviteworker") {
                let account = app.add_kf(&format!("i{}", sets.first().unwrap_or(&0))).await;
                body = json!({"kf_account": account, "invite_wx": format!("invitee_{}", sets.first().unwrap_or(&0))});
            }
            let granted = sets.iter().any(|s| allowed.contains(s));
            let got = outcome(&app, &token, method, path, body).await;
            let want = if granted { None } else { Some(61007) };
            assert_eq!(got, want, "sets {sets:?} on {path}");
        }
    }
}

#[tokio::test]
async fn the_mini_program_typing_set_59_is_honoured() {
    let app = TestApp::new().await;
    app.patch(json!({"account_type": "mini_program"})).await;
    let openid = app.follow().await;
    for (sets, want) in [(json!([59]), None), (json!([6]), None), (json!([7]), Some(61007))] {
        let token = acting_token(&app, sets).await;
        let body = json!({"touser": openid, "command": "CancelTyping"});
        let got = outcome(&app, &token, "POST", "/cgi-bin/message/custom/business/typing", body).await;
        assert_eq!(got, want);
    }
}

#[tokio::test]
async fn a_third_party_cannot_lift_an_uncertified_merchant() {
    let app = TestApp::new().await;
    app.patch(json!({"certified": false})).await;
    let token = acting_token(&app, json!([1, 6, 19, 100, 101])).await;
    let url = app.with_token("/customservice/kfsession/getwaitcase", &token);
    app.get(&url).await.assert_err(48001, "api unauthorized");
    // A component's own token is no app's token.
    let c = component(&app).await;
    let ctoken = component_token(&app, &c).await;
    let url = app.with_token("/cgi-bin/customservice/getkflist", &ctoken);
    app.get(&url).await.assert_err(48001, "api unauthorized");
}

#[tokio::test]
async fn revoking_kills_the_tokens_and_the_refresh_tokens() {
    let app = TestApp::new().await;
    let c = component(&app).await;
    let ctoken = component_token(&app, &c).await;
    let refresh = authorize(&app, &c.0, json!([1])).await;
    let r = authorizer_call(&app, &ctoken, &c.0, &app.appid, &refresh).await.json();
    let (access, next) = (
        r["authorizer_access_token"].as_str().unwrap().to_owned(),
        r["authorizer_refresh_token"].as_str().unwrap().to_owned(),
    );
    let url = app.with_token("/cgi-bin/customservice/getkflist", &access);
    assert_eq!(app.get(&url).await.body, r#"{"kf_list":[]}"#);
    let revoke = format!("/_kefu/components/{}/authorizations/{}", c.0, app.appid);
    assert_eq!(app.send("DELETE", &revoke, "", None).await.status, 204);
    let not_latest = "invalid credential, access_token is invalid or not latest";
    app.get(&url).await.assert_err(40001, not_latest);
    let unauthorized = "component is not authorized by this account";
    authorizer_call(&app, &ctoken, &c.0, &app.appid, &next)
        .await
        .assert_err(61003, unauthorized);
    // Authorized again: a new refresh token works, the old access token stays dead.
    let again = authorize(&app, &c.0, json!([1])).await;
    let r = authorizer_call(&app, &ctoken, &c.0, &app.appid, &again).await.json();
    assert!(r["authorizer_access_token"].is_string(), "{r}");
    app.get(&url).await.assert_err(40001, not_latest);
    assert_eq!(app.send("DELETE", &revoke, "", None).await.status, 204);
    assert_eq!(app.send("DELETE", &revoke, "", None).await.status, 404);
}

#[tokio::test]
async fn bad_control_calls_for_components() {
    let app = TestApp::new().await;
    let c = component(&app).await;
    let path = format!("/_kefu/components/{}/authorizations", c.0);
    let bad_sets = json!({"appid": app.appid, "permission_sets": [0]});
    assert_eq!(app.control_err("POST", &path, bad_sets).await.0, 400);
    let no_app = json!({"appid": "wx_nobody", "permission_sets": [1]});
    assert_eq!(app.control_err("POST", &path, no_app).await.0, 404);
    let taken = json!({"component_appid": app.appid});
    assert_eq!(app.control_err("POST", "/_kefu/components", taken).await.0, 409);
    let bad_ip = json!({"ip_whitelist": ["nowhere"]});
    assert_eq!(app.control_err("POST", "/_kefu/components", bad_ip).await.0, 400);
    let shown = app
        .control("GET", &format!("/_kefu/components/{}", c.0), Value::Null)
        .await;
    assert_eq!(shown["authorizations"], json!([]));
}
