//! Wire conventions shared by every endpoint: unknown paths, methods, bodies,
//! content types, and the order in which those checks apply.

use crate::support::TestApp;
use kefu_core::endpoint::{Method, ENDPOINTS};
use kefu_server::ServerConfig;
use serde_json::json;

/// The POST-only endpoints, from the one endpoint table.
fn post_only() -> impl Iterator<Item = &'static str> {
    ENDPOINTS.iter().filter(|e| e.method == Method::Post).map(|e| e.path)
}

/// Any path WeChat does not document answers 40066, HTTP 200, whatever the method.
#[tokio::test]
async fn unknown_paths_answer_40066() {
    let app = TestApp::new().await;
    for (m, p) in [
        ("GET", "/"),
        ("GET", "/cgi-bin/nope"),
        ("POST", "/customservice/kfaccount/remove"),
        ("PUT", "/x"),
    ] {
        app.send(m, p, "", None).await.assert_err(40066, "invalid url");
    }
    // The undocumented variant some SDKs send is not a documented path.
    app.wx("/cgi-bin/customservice/kfaccount/add", json!({}))
        .await
        .assert_err(40066, "invalid url");
}

/// Every POST-only endpoint answers 43002 to GET, before looking at the token.
#[tokio::test]
async fn post_only_endpoints_answer_43002_to_get() {
    let app = TestApp::new().await;
    assert!(post_only().count() >= 8);
    for path in post_only() {
        app.get(path).await.assert_err(43002, "require POST method");
        app.get(&app.with_token(path, &app.token))
            .await
            .assert_err(43002, "require POST method");
    }
}

/// `kfaccount/del`, documented for GET and POST, answers WeChat's 43002
/// to every other method and deletes nothing (a browser's OPTIONS
/// preflight included).
#[tokio::test]
async fn kfaccount_del_answers_43002_to_other_methods() {
    let app = TestApp::new().await;
    app.wx(
        "/customservice/kfaccount/add",
        json!({"kf_account": "a@test", "nickname": "n"}),
    )
    .await
    .assert_ok();
    let before = app.snapshot().await;
    let path = app.with_token("/customservice/kfaccount/del?kf_account=a@test", &app.token);
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = app.send(method, &path, "", None).await;
        assert_eq!(r.content_type, "application/json; encoding=utf-8", "{method}");
        r.assert_err(43002, "require POST method");
    }
    assert_eq!(app.snapshot().await, before, "another method changed the state");
}

/// Query endpoints accept POST as well as GET.
#[tokio::test]
async fn query_endpoints_accept_post() {
    let app = TestApp::new().await;
    let r = app
        .post(
            &app.with_token("/cgi-bin/customservice/getonlinekflist", &app.token),
            "",
        )
        .await;
    assert_eq!(r.body, r#"{"kf_online_list":[]}"#);
}

/// Empty bodies are 44002; non-JSON, non-objects and wrong field types are 47001;
/// none of them changes anything.
#[tokio::test]
async fn bad_bodies_answer_44002_or_47001_and_change_nothing() {
    let app = TestApp::new().await;
    let before = app.snapshot().await;
    let url = app.with_token("/customservice/kfaccount/add", &app.token);
    for body in ["", "  \n"] {
        app.assert_rejected(app.post(&url, body), 44002, "empty post data", &before)
            .await;
    }
    for body in [
        "{",
        "kf_account=a@test",
        "[]",
        r#"["a@test","x"]"#,
        "42",
        r#"{"kf_account":5,"nickname":"x"}"#,
        r#"{"kf_account":null}"#,
    ] {
        app.assert_rejected(app.post(&url, body), 47001, "data format error", &before)
            .await;
    }
}

/// A body is JSON whatever its Content-Type says (SDKs send none, text/plain or a form type).
#[tokio::test]
async fn bodies_are_json_whatever_the_content_type() {
    let app = TestApp::new().await;
    let url = app.with_token("/customservice/kfaccount/add", &app.token);
    for (i, ct) in ["text/plain", "application/x-www-form-urlencoded", "application/json"]
        .iter()
        .enumerate()
    {
        let body = json!({"kf_account": format!("k{i}@test"), "nickname": "n"}).to_string();
        app.send("POST", &url, body, Some(ct)).await.assert_ok();
    }
    let list = app.wx_get("/cgi-bin/customservice/getkflist").await.json();
    assert_eq!(list["kf_list"].as_array().unwrap().len(), 3);
}

/// Unknown fields (`password`, `text`, `business_id`) are ignored.
#[tokio::test]
async fn unknown_fields_are_ignored() {
    let app = TestApp::new().await;
    let body = json!({"kf_account": "a@test", "nickname": "n", "password": "5f4dcc3b5aa765d61d8327deb882cf99", "business_id": "1"});
    app.wx("/customservice/kfaccount/add", body).await.assert_ok();
}

/// A JSON body over 1 MiB is 45002 and is not stored.
#[tokio::test]
async fn oversized_bodies_answer_45002() {
    let app = TestApp::new().await;
    let before = app.snapshot().await;
    let big = json!({"kf_account": "a@test", "nickname": "x".repeat(1 << 20)}).to_string();
    let url = app.with_token("/customservice/kfaccount/add", &app.token);
    app.assert_rejected(app.post(&url, &big), 45002, "content size out of limit", &before)
        .await;
}

/// Credential errors come before authority: an uncertified app with a bad
/// token is 40014, with a good one 48001.
#[tokio::test]
async fn credential_errors_come_before_48001() {
    let app = TestApp::new().await;
    app.patch(json!({"certified": false})).await;
    let bad = "B".repeat(120);
    app.post(&app.with_token("/customservice/kfsession/create", &bad), "{}")
        .await
        .assert_err(40014, "invalid access_token");
    app.wx("/customservice/kfsession/create", json!({}))
        .await
        .assert_err(48001, "api unauthorized");
}

/// 48001 comes before the body check.
#[tokio::test]
async fn authority_comes_before_the_body() {
    let app = TestApp::new().await;
    app.patch(json!({"account_type": "mini_program"})).await;
    app.post(&app.with_token("/customservice/kfsession/create", &app.token), "")
        .await
        .assert_err(48001, "api unauthorized");
}

/// The body check comes before 65400: with customer service off, an empty body is 44002.
#[tokio::test]
async fn the_body_comes_before_65400() {
    let app = TestApp::new().await;
    app.patch(json!({"kf_enabled": false})).await;
    let url = app.with_token("/customservice/kfaccount/add", &app.token);
    app.post(&url, "").await.assert_err(44002, "empty post data");
    app.post(&url, "{}").await.assert_err(
        65400,
        "please enable new custom service or wait for a while if you have enabled",
    );
}

/// With the new customer service switched off, every kf endpoint answers 65400.
#[tokio::test]
async fn every_kf_endpoint_answers_65400_when_switched_off() {
    let app = TestApp::new().await;
    let account = app.online_kf("a", "worker_1").await;
    let openid = app.follow().await;
    app.patch(json!({"kf_enabled": false})).await;
    let before = app.snapshot().await;
    let msg = "please enable new custom service or wait for a while if you have enabled";
    let body = json!({"kf_account": account, "nickname": "n", "invite_wx": "worker_2", "openid": openid});
    for path in [
        "/customservice/kfaccount/add",
        "/customservice/kfaccount/update",
        "/customservice/kfaccount/del",
        "/customservice/kfaccount/inviteworker",
        "/customservice/kfsession/create",
    ] {
        app.assert_rejected(app.wx(path, body.clone()), 65400, msg, &before)
            .await;
    }
    for path in [
        "/cgi-bin/customservice/getkflist",
        "/cgi-bin/customservice/getonlinekflist",
    ] {
        app.wx_get(path).await.assert_err(65400, msg);
    }
}

/// The scope table: which account types (and certification) reach which endpoint.
#[tokio::test]
async fn the_scope_table_is_enforced_per_account_type() {
    let app = TestApp::new().await;
    let cases = [
        // (account_type, certified, path, allowed)
        ("mini_program", false, "/customservice/kfaccount/inviteworker", true),
        ("mini_game", false, "/customservice/kfaccount/add", true),
        ("mini_program", true, "/customservice/kfsession/create", false),
        ("mini_game", true, "/customservice/kfaccount/uploadheadimg", false),
        (
            "official_account",
            false,
            "/customservice/kfaccount/inviteworker",
            false,
        ),
        ("official_account", true, "/customservice/kfaccount/inviteworker", true),
        ("service_account", false, "/customservice/kfaccount/add", false),
        ("service_account", false, "/cgi-bin/customservice/getkflist", false),
        ("mini_program", true, "/customservice/kfaccount/update", false),
    ];
    for (t, certified, path, allowed) in cases {
        let (_, _, token) = app.other_app(json!({"account_type": t, "certified": certified})).await;
        let r = app.post(&app.with_token(path, &token), "{}").await;
        if allowed {
            assert!(!r.body.contains("48001"), "{t} {certified} {path}: {}", r.body);
        } else {
            r.assert_err(48001, "api unauthorized");
        }
    }
}

/// In lenient mode the undocumented paths SDKs send reach the documented
/// endpoint, with its scope and errors.
#[tokio::test]
async fn lenient_mode_answers_sdk_path_variants() {
    let app = TestApp::with_config(ServerConfig {
        lenient: true,
        ..ServerConfig::default()
    })
    .await;
    app.wx(
        "/cgi-bin/customservice/kfaccount/add",
        json!({"kf_account": "a@test", "nickname": "n"}),
    )
    .await
    .assert_ok();
    let list = app.wx_get("/customservice/getkflist").await;
    assert_eq!(list.json()["kf_list"][0]["kf_account"], "a@test");
    app.get("/cgi-bin/customservice/kfsession/create")
        .await
        .assert_err(43002, "require POST method");
    app.wx(
        "/cgi-bin/customservice/kfsession/create",
        json!({"kf_account": "a@test"}),
    )
    .await
    .assert_err(65402, "the custom service account need to bind a wechat user");
    app.get("/cgi-bin/nope").await.assert_err(40066, "invalid url");
}

/// Checked tokens are cached, yet a later change of type or certification,
/// or a forced refresh, is seen by the very next request.
#[tokio::test]
async fn credential_checks_see_changes_made_after_caching() {
    let app = TestApp::new().await;
    let list = "/cgi-bin/customservice/getkflist";
    assert_eq!(app.wx_get(list).await.body, r#"{"kf_list":[]}"#);
    app.patch(json!({"certified": false})).await;
    app.wx_get(list).await.assert_err(48001, "api unauthorized");
    app.patch(json!({"certified": true})).await;
    assert_eq!(app.wx_get(list).await.body, r#"{"kf_list":[]}"#);
    let body = json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret});
    let stable = app.post("/cgi-bin/stable_token", &body.to_string()).await.json()["access_token"].clone();
    let stable = stable.as_str().unwrap();
    assert_eq!(app.get(&app.with_token(list, stable)).await.body, r#"{"kf_list":[]}"#);
    let forced =
        json!({"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": true});
    app.post("/cgi-bin/stable_token", &forced.to_string()).await;
    app.get(&app.with_token(list, stable))
        .await
        .assert_err(40001, "invalid credential, access_token is invalid or not latest");
}
