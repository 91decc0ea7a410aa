//! Conversation helpers on [`TestApp`]: what followers and workers do
//! through the control API, and the WeChat calls that read it back.

use crate::support::{Reply, TestApp};
use serde_json::{json, Value};

impl TestApp {
    /// The follower writes a text; its msgid.
    pub async fn writes(&self, openid: &str, text: &str) -> i64 {
        let path = format!("/_kefu/apps/{}/fans/{openid}/messages", self.appid);
        let r = self
            .control("POST", &path, json!({"msgtype": "text", "content": text}))
            .await;
        r["msgid"].as_i64().unwrap()
    }

    /// The follower sends media (`image`, `voice`, `video`); its msgid.
    pub async fn writes_media(&self, openid: &str, msgtype: &str) -> i64 {
        let path = format!("/_kefu/apps/{}/fans/{openid}/messages", self.appid);
        self.control("POST", &path, json!({"msgtype": msgtype})).await["msgid"]
            .as_i64()
            .unwrap()
    }

    /// A follower event (`subscribe`, `unsubscribe`, `SCAN`, `CLICK`).
    pub async fn event(&self, openid: &str, event: &str) -> Value {
        let path = format!("/_kefu/apps/{}/fans/{openid}/events", self.appid);
        self.control("POST", &path, json!({"event": event})).await
    }

    /// A control call that must fail; its status and error code.
    pub async fn control_err(&self, method: &str, path: &str, body: Value) -> (u16, String) {
        let r = self
            .send(method, path, body.to_string(), Some("application/json"))
            .await;
        assert!(r.status >= 400, "{method} {path} succeeded: {}", r.body);
        (r.status, r.json()["error"].as_str().unwrap_or_default().to_owned())
    }

    /// Puts the follower in the waiting queue (for `kf`, if given).
    pub async fn enqueue(&self, openid: &str, kf: Option<&str>) -> Value {
        let path = format!("/_kefu/apps/{}/waitcase", self.appid);
        self.control("POST", &path, json!({"openid": openid, "kf_account": kf}))
            .await
    }

    /// The path of a worker action.
    pub fn worker_path(&self, kf: &str, action: &str) -> String {
        format!("/_kefu/apps/{}/kf/{kf}/{action}", self.appid)
    }

    /// The worker accepts (the named follower or the earliest waiting one).
    pub async fn accept(&self, kf: &str, openid: Option<&str>) -> Value {
        self.control("POST", &self.worker_path(kf, "accept"), json!({"openid": openid}))
            .await
    }

    /// The worker replies; the msgid.
    pub async fn reply(&self, kf: &str, openid: &str, text: &str) -> i64 {
        let body = json!({"openid": openid, "text": text});
        self.control("POST", &self.worker_path(kf, "messages"), body).await["msgid"]
            .as_i64()
            .unwrap()
    }

    /// `kfsession/create` through the API.
    pub async fn create_session(&self, kf: &str, openid: &str) -> Reply {
        self.wx(
            "/customservice/kfsession/create",
            json!({"kf_account": kf, "openid": openid}),
        )
        .await
    }

    /// `message/custom/send` of a text.
    pub async fn send_text(&self, openid: &str, text: &str) -> Reply {
        self.wx(
            "/cgi-bin/message/custom/send",
            json!({"touser": openid, "msgtype": "text", "text": {"content": text}}),
        )
        .await
    }

    /// `getsession?openid=` as JSON.
    pub async fn session_of(&self, openid: &str) -> Value {
        self.wx_get(&format!("/customservice/kfsession/getsession?openid={openid}"))
            .await
            .json()
    }

    /// `getwaitcase` as JSON.
    pub async fn wait_cases(&self) -> Value {
        self.wx_get("/customservice/kfsession/getwaitcase").await.json()
    }

    /// `getmsglist` with the given body.
    pub async fn msg_list(&self, body: Value) -> Reply {
        self.wx("/customservice/msgrecord/getmsglist", body).await
    }
}
