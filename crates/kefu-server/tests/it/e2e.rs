//! End to end: the real server on an ephemeral port, driven by the typed
//! client crate exactly as an application would use it.

use crate::support::TestApp;
use kefu_client::{Client, ClientError, ControlClient, TokenMode};

/// The whole flow from token to session, through the client crate.
#[tokio::test]
async fn the_whole_flow_from_token_to_session() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let client = Client::new(&base, &app.appid, &app.secret);
    let control = ControlClient::new(&base, None);

    client.add_kf_account("kf1@test", "小王").await.unwrap();
    client.invite_worker("kf1@test", "worker_1").await.unwrap();
    let listed = client.get_kf_list().await.unwrap();
    assert_eq!(listed.kf_list[0].invite_status.as_deref(), Some("waiting"));
    control.answer_invitation(&app.appid, "kf1@test", true).await.unwrap();
    control.set_worker_online(&app.appid, "kf1@test", true).await.unwrap();
    let openid = control.follow(&app.appid, None).await.unwrap().openid;
    client.create_session("kf1@test", &openid).await.unwrap();

    let online = client.get_online_kf_list().await.unwrap().kf_online_list;
    assert_eq!(
        (online[0].kf_account.as_str(), online[0].accepted_case),
        ("kf1@test", 1)
    );
    let state = control.app_state(&app.appid).await.unwrap();
    assert_eq!(state.sessions[0].openid, openid);
}

/// WeChat errors arrive typed, with their errcode and errmsg.
#[tokio::test]
async fn errors_are_typed_with_their_errcode() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let client = Client::new(&base, &app.appid, &app.secret);
    let err = client.create_session("nobody@test", "o").await.unwrap_err();
    assert_eq!(err.errcode(), Some(65401));
    assert!(
        matches!(&err, ClientError::Api { errmsg, .. } if errmsg.starts_with("invalid custom service account rid: "))
    );
    let bad = Client::new(&base, &app.appid, "wrong-secret");
    assert_eq!(bad.get_kf_list().await.unwrap_err().errcode(), Some(40125));
}

/// When another process fetches a new token and the overlap passes, the
/// client's call gets 40001; the client refreshes and retries by itself.
#[tokio::test]
async fn the_client_refreshes_a_replaced_token_and_retries() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let client = Client::new(&base, &app.appid, &app.secret);
    client.get_kf_list().await.unwrap();
    let first = client.access_token().await.unwrap();
    Client::new(&base, &app.appid, &app.secret).fetch_token().await.unwrap();
    ControlClient::new(&base, None).advance_clock(300).await.unwrap();
    assert_eq!(client.get_kf_list().await.unwrap().kf_list.len(), 0);
    assert_ne!(client.access_token().await.unwrap(), first);
}

/// The client works with stable tokens too.
#[tokio::test]
async fn the_client_can_use_stable_tokens() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let client = Client::new(&base, &app.appid, &app.secret).with_token_mode(TokenMode::Stable);
    client.add_kf_account("kf1@test", "n").await.unwrap();
    assert_eq!(client.get_kf_list().await.unwrap().kf_list.len(), 1);
}

/// A base URL with a trailing slash (`//cgi-bin/...` on the wire) still works.
#[tokio::test]
async fn double_slashes_in_paths_are_collapsed() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let url = format!(
        "{base}//cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        app.appid, app.secret
    );
    let body = raw_get(&url).await;
    assert!(body.starts_with(r#"{"access_token":""#), "{body}");
}

async fn raw_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned()
}

/// The control API answers health without an admin token.
#[tokio::test]
async fn health_reports_the_store() {
    let app = TestApp::new().await;
    let base = app.serve().await;
    let health = ControlClient::new(&base, None).health().await.unwrap();
    assert_eq!(
        (health.status.as_str(), health.store.as_str()),
        ("ok", crate::support::backend())
    );
}

/// A whole conversation through the client crate: the follower waits, a
/// worker accepts, both sides write, the app reads the records back.
#[tokio::test]
async fn a_conversation_through_the_client() {
    use kefu_api::control::{Enqueue, FollowerMessage};
    use kefu_api::conversation::CustomMessage;
    let app = TestApp::new().await;
    let base = app.serve().await;
    let client = Client::new(&base, &app.appid, &app.secret);
    let control = ControlClient::new(&base, None);
    let kf = app.online_kf("kf1", "worker_1").await;
    let openid = control.follow(&app.appid, None).await.unwrap().openid;
    let hello = FollowerMessage {
        msgtype: "text".into(),
        content: Some("你好".into()),
        media_id: None,
    };
    control.follower_writes(&app.appid, &openid, &hello).await.unwrap();
    let waiting = Enqueue {
        openid: openid.clone(),
        kf_account: None,
    };
    control.enqueue(&app.appid, &waiting).await.unwrap();
    assert_eq!(client.get_wait_case().await.unwrap().count, 1);
    control.accept(&app.appid, &kf, None).await.unwrap();
    assert_eq!(client.get_session(&openid).await.unwrap().kf_account, kf);
    control.follower_writes(&app.appid, &openid, &hello).await.unwrap();
    control.reply(&app.appid, &kf, &openid, "您好").await.unwrap();
    client
        .send_message(&CustomMessage::text(&openid, "from the app"))
        .await
        .unwrap();
    client.typing(&openid, "Typing").await.unwrap();
    let now = control.clock().await.unwrap().now;
    let records = client.all_records(now - 60, now).await.unwrap();
    let texts: Vec<(i64, &str)> = records.iter().map(|r| (r.opercode, r.text.as_str())).collect();
    assert_eq!(texts, [(2003, "你好"), (2002, "您好"), (2002, "from the app")]);
    let sessions = client.get_session_list(&kf).await.unwrap().sessionlist;
    assert_eq!(sessions[0].openid, openid);
    client.close_session(&kf, &openid).await.unwrap();
    let err = client.close_session(&kf, &openid).await.unwrap_err();
    assert_eq!(err.errcode(), Some(65413));
    let seen = control.follower_messages(&app.appid, &openid).await.unwrap();
    assert_eq!(seen.len(), 4);
}

/// A service provider acting for a merchant through the client crate:
/// component token, authorization, authorizer token, inviteworker and
/// kfsession/create for the merchant, refresh-token rotation across the
/// overlap, revocation.
#[tokio::test]
async fn a_third_party_acts_for_a_merchant_through_the_client() {
    use kefu_api::platform::CreateComponent;
    use kefu_client::ComponentClient;
    use std::sync::Arc;
    let app = TestApp::new().await;
    let base = app.serve().await;
    let control = ControlClient::new(&base, None);
    let created = control.create_component(&CreateComponent::default()).await.unwrap();
    let component = Arc::new(ComponentClient::new(
        &base,
        &created.component_appid,
        &created.component_appsecret,
    ));
    let ticket = control.push_ticket(&created.component_appid).await.unwrap();
    component.set_ticket(&ticket.component_verify_ticket).await;
    let granted = control
        .authorize(&created.component_appid, &app.appid, &[1, 6])
        .await
        .unwrap();
    let merchant = component.act_for(&app.appid, &granted.authorizer_refresh_token);

    merchant.add_kf_account("kf1@test", "小王").await.unwrap();
    merchant.invite_worker("kf1@test", "worker_1").await.unwrap();
    control.answer_invitation(&app.appid, "kf1@test", true).await.unwrap();
    control.set_worker_online(&app.appid, "kf1@test", true).await.unwrap();
    let openid = control.follow(&app.appid, None).await.unwrap().openid;
    merchant.create_session("kf1@test", &openid).await.unwrap();
    assert_eq!(merchant.get_session(&openid).await.unwrap().kf_account, "kf1@test");

    // The first fetch rotated the refresh token; the original still works
    // within its five minutes, not after.
    let rotated = merchant.authorizer_refresh_token().await.unwrap();
    assert_ne!(rotated, granted.authorizer_refresh_token);
    control.advance_clock(299).await.unwrap();
    component
        .authorizer_token(&app.appid, &granted.authorizer_refresh_token)
        .await
        .unwrap();
    control.advance_clock(1).await.unwrap();
    let late = component
        .authorizer_token(&app.appid, &granted.authorizer_refresh_token)
        .await
        .unwrap_err();
    assert_eq!(late.errcode(), Some(61023));

    control.revoke(&created.component_appid, &app.appid).await.unwrap();
    // The client's token answers 40001; its retry finds the authorization gone.
    let err = merchant.get_kf_list().await.unwrap_err();
    assert_eq!(err.errcode(), Some(61003));
}
