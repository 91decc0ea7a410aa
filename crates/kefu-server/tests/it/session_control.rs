//! `kfsession/close`, `getsession`, `getsessionlist`, `getwaitcase`, and
//! the 30-minute idle close: exact bodies, order of checks, nothing changed
//! by a failed call.

use crate::support::{TestApp, T0};
use serde_json::json;

/// An app with `a@test` online (worker_a), `b@test` online and one follower.
async fn setup() -> (TestApp, String, String, String) {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_a").await;
    let b = app.online_kf("b", "worker_b").await;
    let openid = app.follow().await;
    (app, a, b, openid)
}

fn close_body(kf: &str, openid: &str) -> serde_json::Value {
    json!({"kf_account": kf, "openid": openid})
}

#[tokio::test]
async fn close_errors_in_order_with_exact_bodies() {
    let (app, a, b, openid) = setup().await;
    app.create_session(&a, &openid).await.assert_ok();
    let before = app.snapshot().await;
    let close = |kf: &str, o: &str| app.wx("/customservice/kfsession/close", close_body(kf, o));
    let invalid = "invalid custom service account";
    app.assert_rejected(close("nobody@test", &openid), 65401, invalid, &before)
        .await;
    app.assert_rejected(close("", "nobody"), 65401, invalid, &before).await;
    app.assert_rejected(close(&a, "o_unknown"), 40003, "invalid openid", &before)
        .await;
    let serving = "another worker is serving the customer";
    app.assert_rejected(close(&b, &openid), 65414, serving, &before).await;
    let other = app.follow().await;
    let before = app.snapshot().await;
    let none = "no effective session for the customer";
    app.assert_rejected(close(&a, &other), 65413, none, &before).await;
}

#[tokio::test]
async fn close_ends_the_session_and_frees_the_account() {
    let (app, a, _, openid) = setup().await;
    app.create_session(&a, &openid).await.assert_ok();
    app.wx("/customservice/kfsession/close", close_body(&a, &openid))
        .await
        .assert_ok();
    assert_eq!(
        app.session_of(&openid).await,
        json!({"createtime": 0, "kf_account": ""})
    );
    let online = app.wx_get("/cgi-bin/customservice/getonlinekflist").await.json();
    assert_eq!(online["kf_online_list"][0]["accepted_case"], 0);
    let again = app.wx("/customservice/kfsession/close", close_body(&a, &openid)).await;
    again.assert_err(65413, "no effective session for the customer");
}

#[tokio::test]
async fn getsession_answers_the_serving_account_or_an_empty_one() {
    let (app, a, _, openid) = setup().await;
    let path = format!("/customservice/kfsession/getsession?openid={openid}");
    assert_eq!(app.wx_get(&path).await.body, r#"{"createtime":0,"kf_account":""}"#);
    app.create_session(&a, &openid).await.assert_ok();
    let r = app.wx_get(&path).await;
    assert_eq!(r.body, format!(r#"{{"createtime":{T0},"kf_account":"{a}"}}"#));
    assert_eq!(r.content_type, "application/json; encoding=utf-8");
    app.wx_get("/customservice/kfsession/getsession?openid=o_unknown")
        .await
        .assert_err(40003, "invalid openid");
    app.wx_get("/customservice/kfsession/getsession")
        .await
        .assert_err(40003, "invalid openid");
}

#[tokio::test]
async fn getsessionlist_lists_the_accounts_sessions_oldest_first() {
    let (app, a, b, first) = setup().await;
    let second = app.follow().await;
    app.create_session(&a, &first).await.assert_ok();
    app.advance(5).await;
    app.create_session(&a, &second).await.assert_ok();
    let r = app
        .wx_get(&format!("/customservice/kfsession/getsessionlist?kf_account={a}"))
        .await;
    let want = format!(
        r#"{{"sessionlist":[{{"createtime":{T0},"openid":"{first}"}},{{"createtime":{},"openid":"{second}"}}]}}"#,
        T0 + 5
    );
    assert_eq!(r.body, want);
    let empty = app
        .wx_get(&format!("/customservice/kfsession/getsessionlist?kf_account={b}"))
        .await;
    assert_eq!(empty.body, r#"{"sessionlist":[]}"#);
}

#[tokio::test]
async fn getsessionlist_needs_a_known_bound_account() {
    let app = TestApp::new().await;
    let unbound = app.add_kf("c").await;
    let list = |kf: &str| format!("/customservice/kfsession/getsessionlist?kf_account={kf}");
    let unbound_msg = "the custom service account need to bind a wechat user";
    let r = app.wx_get(&list("nobody@test")).await;
    r.assert_err(65401, "invalid custom service account");
    app.wx_get(&list(&unbound)).await.assert_err(65402, unbound_msg);
    // A raw `@` and `%40` name the same account.
    let encoded = unbound.replace('@', "%40");
    app.wx_get(&list(&encoded)).await.assert_err(65402, unbound_msg);
}

#[tokio::test]
async fn getwaitcase_counts_all_and_lists_the_earliest_hundred_in_arrival_order() {
    let app = TestApp::new().await;
    let mut fans = Vec::new();
    for i in 0..105 {
        let openid = app.follow().await;
        app.enqueue(&openid, None).await;
        fans.push(openid);
        if i % 10 == 0 {
            app.advance(1).await;
        }
    }
    let r = app.wait_cases().await;
    assert_eq!(r["count"], 105);
    let listed: Vec<&str> = r["waitcaselist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["openid"].as_str().unwrap())
        .collect();
    assert_eq!(listed, fans[..100].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r["waitcaselist"][0], json!({"latest_time": T0, "openid": fans[0]}));
}

#[tokio::test]
async fn a_waiting_followers_message_moves_latest_time_not_their_place() {
    let app = TestApp::new().await;
    let (first, second) = (app.follow().await, app.follow().await);
    app.enqueue(&first, None).await;
    app.enqueue(&second, None).await;
    app.advance(40).await;
    app.writes(&first, "still there?").await;
    let body = app.wx_get("/customservice/kfsession/getwaitcase").await.body;
    let want = format!(
        r#"{{"count":2,"waitcaselist":[{{"latest_time":{},"openid":"{first}"}},{{"latest_time":{T0},"openid":"{second}"}}]}}"#,
        T0 + 40
    );
    assert_eq!(body, want);
}

#[tokio::test]
async fn creating_a_session_takes_the_follower_out_of_the_queue() {
    let (app, a, _, openid) = setup().await;
    app.enqueue(&openid, None).await;
    assert_eq!(app.wait_cases().await["count"], 1);
    app.create_session(&a, &openid).await.assert_ok();
    assert_eq!(app.wait_cases().await, json!({"count": 0, "waitcaselist": []}));
}

#[tokio::test]
async fn sessions_close_after_thirty_idle_minutes_and_messages_keep_them_open() {
    let (app, a, _, openid) = setup().await;
    let other = app.follow().await;
    app.create_session(&a, &openid).await.assert_ok();
    app.create_session(&a, &other).await.assert_ok();
    app.advance(29 * 60).await;
    app.writes(&openid, "keep it open").await;
    app.advance(60).await;
    // `other` saw nothing for exactly 30 minutes: closed; `openid` wrote a minute ago.
    assert_eq!(app.session_of(&other).await["kf_account"], "");
    assert_eq!(app.session_of(&openid).await["kf_account"], a.as_str());
    let online = app.wx_get("/cgi-bin/customservice/getonlinekflist").await.json();
    assert_eq!(online["kf_online_list"][0]["accepted_case"], 1);
    app.advance(29 * 60 - 1).await;
    assert_eq!(app.session_of(&openid).await["kf_account"], a.as_str());
    app.advance(1).await;
    assert_eq!(app.session_of(&openid).await["kf_account"], "");
    // A closed session no longer blocks another account.
    let b = app.online_kf("c", "worker_c").await;
    app.create_session(&b, &openid).await.assert_ok();
}

/// More sessions going idle together than one sweep's batch (500) all
/// close on the advance that idles them: the account serves none at once.
#[tokio::test]
async fn many_sessions_idle_together_all_close_on_one_advance() {
    use kefu_core::ids::{AppId, KfAccount, OpenId};
    use kefu_core::session::Session;
    use kefu_core::Timestamp;
    let (app, a, _, _) = setup().await;
    let (appid, kf) = (AppId::new(app.appid.clone()), KfAccount::new(a.clone()));
    app.state
        .store
        .write(move |tx| {
            for n in 0..1203 {
                let openid = OpenId::new(format!("o_idle_{n:05}"));
                tx.put_session(&Session::open(appid.clone(), openid, kf.clone(), Timestamp(T0)))?;
            }
            Ok::<_, kefu_store::StoreError>(())
        })
        .await
        .unwrap();
    let online = app.wx_get("/cgi-bin/customservice/getonlinekflist").await.json();
    assert_eq!(online["kf_online_list"][0]["accepted_case"], 1203);

    app.advance(30 * 60).await;

    let online = app.wx_get("/cgi-bin/customservice/getonlinekflist").await.json();
    assert_eq!(online["kf_online_list"][0]["accepted_case"], 0);
    let appid = AppId::new(app.appid.clone());
    let left = app.state.store.read(move |tx| tx.sessions(&appid)).await.unwrap();
    assert_eq!(left.len(), 0, "every idle session closed before the advance answered");
}

#[tokio::test]
async fn session_control_is_for_certified_official_and_service_accounts() {
    let app = TestApp::new().await;
    for fields in [
        json!({"account_type": "mini_program"}),
        json!({"account_type": "mini_game"}),
        json!({"account_type": "service_account", "certified": false}),
    ] {
        let (_, _, token) = app.other_app(fields).await;
        for (method, path) in [
            ("POST", "/customservice/kfsession/close"),
            ("GET", "/customservice/kfsession/getsession?openid=x"),
            ("GET", "/customservice/kfsession/getsessionlist?kf_account=x"),
            ("GET", "/customservice/kfsession/getwaitcase"),
        ] {
            let url = app.with_token(path, &token);
            let r = app.send(method, &url, "{}", None).await;
            r.assert_err(48001, "api unauthorized");
        }
    }
}

#[tokio::test]
async fn close_is_post_only_and_reads_accept_post_too() {
    let (app, _, _, openid) = setup().await;
    app.wx_get("/customservice/kfsession/close")
        .await
        .assert_err(43002, "require POST method");
    let r = app
        .wx_raw(&format!("/customservice/kfsession/getsession?openid={openid}"), "")
        .await;
    assert_eq!(r.body, r#"{"createtime":0,"kf_account":""}"#);
}
