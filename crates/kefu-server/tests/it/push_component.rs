//! Pushes to a third-party platform: once its push settings are saved, a
//! `component_verify_ticket` arrives encrypted every 10 minutes (and with
//! every ticket the control API issues), and the ticket it carries buys a
//! `component_access_token`.

use crate::pushes::{drained, KEY, TOKEN};
use crate::receiver::Receiver;
use crate::support::{TestApp, T0};
use kefu_api::callback::Format;
use serde_json::json;

async fn component(app: &TestApp) -> (String, String) {
    let c = app.control("POST", "/_kefu/components", json!({})).await;
    let id = c["component_appid"].as_str().unwrap().to_owned();
    (id, c["component_appsecret"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_platform_gets_a_sealed_ticket_every_ten_minutes_and_can_use_it() {
    let app = TestApp::new().await;
    let (id, secret) = component(&app).await;
    let r = Receiver::start(TOKEN, Some(KEY), &id, Format::Xml).await;
    let path = format!("/_kefu/components/{id}/callback");
    let saved = app
        .control(
            "PUT",
            &path,
            json!({"url": r.url, "token": TOKEN, "encoding_aes_key": KEY}),
        )
        .await;
    assert_eq!(saved["settings"]["mode"], "safe");
    kefu_server::start_pushes(&app.state);

    // The first ticket goes out at once, sealed and addressed by AppId.
    let first = r.wait_for(1, 5).await.remove(0);
    assert!(first
        .body
        .starts_with(&format!("<xml><AppId><![CDATA[{id}]]></AppId><Encrypt><![CDATA[")));
    assert_eq!(first.param("encrypt_type").as_deref(), Some("aes"));
    assert_eq!(first.param("openid"), None);
    assert_eq!(first.get("InfoType"), Some("component_verify_ticket"));
    assert_eq!(first.get("AppId"), Some(id.as_str()));
    assert_eq!(first.get("CreateTime"), Some(T0.to_string().as_str()));
    let ticket = first.get("ComponentVerifyTicket").unwrap().to_owned();
    let body = json!({"component_appid": id, "component_appsecret": secret, "component_verify_ticket": ticket});
    let token = app
        .post("/cgi-bin/component/api_component_token", &body.to_string())
        .await;
    assert_eq!(token.json()["expires_in"], 7200, "{}", token.body);

    // Nothing more until ten minutes have passed; then a new ticket.
    app.advance(599).await;
    r.exactly(1, 2, drained(&app, &id)).await;
    app.advance(1).await;
    let second = r.wait_for(2, 5).await.remove(1);
    assert_ne!(second.get("ComponentVerifyTicket"), Some(ticket.as_str()));
    assert_eq!(second.get("CreateTime"), Some((T0 + 600).to_string().as_str()));
    // A ticket issued through the control API is pushed too.
    let issued = app
        .control("POST", &format!("/_kefu/components/{id}/ticket"), json!({}))
        .await;
    let third = r.exactly(3, 5, drained(&app, &id)).await.remove(2);
    assert_eq!(
        third.get("ComponentVerifyTicket"),
        issued["component_verify_ticket"].as_str()
    );
    let log = app
        .control("GET", &format!("/_kefu/components/{id}/deliveries"), json!({}))
        .await;
    let events: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["component_verify_ticket"; 3]);
}

#[tokio::test]
async fn a_platform_cannot_have_clear_pushes() {
    let app = TestApp::new().await;
    let (id, _) = component(&app).await;
    let r = Receiver::start(TOKEN, Some(KEY), &id, Format::Xml).await;
    let path = format!("/_kefu/components/{id}/callback");
    let body = json!({"url": r.url, "token": TOKEN, "encoding_aes_key": KEY, "mode": "plaintext"});
    let got = app.send("PUT", &path, body.to_string(), Some("application/json")).await;
    assert_eq!(got.status, 400, "{}", got.body);
    assert_eq!(
        got.json()["message"],
        "a third-party platform's pushes are always encrypted (mode safe)"
    );
    let unknown = "/_kefu/components/wx0000000000000000/callback";
    let body = json!({"url": r.url, "token": TOKEN, "encoding_aes_key": KEY});
    let missing = app.send("PUT", unknown, body.to_string(), None).await;
    assert_eq!(
        (missing.status, missing.json()["error"].as_str()),
        (404, Some("app_not_found"))
    );
    assert_eq!(app.get(&path).await.status, 404);
}
