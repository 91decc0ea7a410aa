//! A fresh kefu per test: a SQLite file in a temp dir, a frozen virtual
//! clock, the router driven in-process, and helpers that read like the API.

use axum::body::Body;
use axum::http::{Method, Request};
use axum::Router;
use http_body_util::BodyExt;
use kefu_core::limits::Limits;
use kefu_server::{AppState, ServerConfig, VirtualClock};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The virtual clock of every test starts here (2027-01-15 08:00:00 UTC).
pub const T0: i64 = 1_800_000_000;

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body with its ` rid: ...` replaced by ` rid: RID` (after checking its shape).
    pub fn text(&self) -> String {
        strip_rid(&self.body)
    }

    /// Asserts the exact WeChat error body (HTTP 200, WeChat content type).
    #[track_caller]
    pub fn assert_err(&self, code: i64, msg: &str) {
        assert_eq!(self.status, 200, "{}", self.body);
        assert_eq!(self.content_type, "application/json; encoding=utf-8");
        assert_eq!(
            self.text(),
            format!(r#"{{"errcode":{code},"errmsg":"{msg} rid: RID"}}"#)
        );
    }

    /// Asserts `{"errcode":0,"errmsg":"ok"}`.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (200, r#"{"errcode":0,"errmsg":"ok"}"#)
        );
        assert_eq!(self.content_type, "application/json; encoding=utf-8");
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Replaces the request id, asserting it is `8hex-8hex-8hex`.
pub fn strip_rid(body: &str) -> String {
    let Some(at) = body.find(" rid: ") else {
        return body.to_owned();
    };
    let rid = &body[at + 6..at + 6 + 26];
    let hex = |s: &str| s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = rid.split('-').collect();
    assert!(parts.len() == 3 && parts.iter().all(|p| hex(p)), "bad rid in {body}");
    format!("{} rid: RID{}", &body[..at], &body[at + 6 + 26..])
}

/// Where a test's data lives: a temporary SQLite file, or (with
/// `KEFU_TEST_BACKEND=postgres`) a fresh PostgreSQL schema, dropped after.
enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] crate::pg::PgSchema),
}

/// The backend the HTTP tests run on.
pub fn backend() -> &'static str {
    match std::env::var("KEFU_TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

fn open_store() -> (std::sync::Arc<dyn kefu_store::Store>, Guard) {
    if backend() == "postgres" {
        let schema = crate::pg::PgSchema::fresh()
            .unwrap_or_else(|| panic!("KEFU_TEST_BACKEND=postgres, but PostgreSQL is not reachable"));
        let url = kefu_store::DatabaseUrl::parse(&schema.url("")).unwrap();
        return (kefu_store::open(&url).unwrap(), Guard::Postgres(schema));
    }
    let dir = tempfile::tempdir().unwrap();
    let store = kefu_store::open(&kefu_store::DatabaseUrl::Sqlite(dir.path().join("kefu.db"))).unwrap();
    (store, Guard::Sqlite(dir))
}

/// A kefu with one certified Service Account (`wechat_id` `test`) and a token.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    _dir: Guard,
    pub appid: String,
    pub secret: String,
    pub token: String,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> TestApp {
        TestApp::with_config(ServerConfig {
            limits,
            ..ServerConfig::default()
        })
        .await
    }

    pub async fn with_config(config: ServerConfig) -> TestApp {
        let (store, dir) = open_store();
        let state = AppState::new(store, VirtualClock::frozen(T0, 0), config);
        let router = kefu_server::router(state.clone());
        let mut app = TestApp {
            state,
            router,
            _dir: dir,
            appid: String::new(),
            secret: String::new(),
            token: String::new(),
        };
        let created = app.control("POST", "/_kefu/apps", json!({"wechat_id": "test"})).await;
        app.appid = created["appid"].as_str().unwrap().to_owned();
        app.secret = created["secret"].as_str().unwrap().to_owned();
        app.token = app.token_for(&app.appid.clone(), &app.secret.clone()).await;
        app
    }

    /// Serves this app's state on `127.0.0.1:0` (the real server, over a
    /// socket); the base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(kefu_server::serve(listener, self.state.clone(), std::future::pending()));
        format!("http://{addr}")
    }

    pub async fn send(&self, method: &str, uri: &str, body: impl Into<Body>, content_type: Option<&str>) -> Reply {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(uri);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(body.into()).unwrap())
            .await
            .unwrap();
        reply_of(res).await
    }
    /// Sends a prepared request (custom headers) with `body`.
    pub async fn send_request(&self, req: axum::http::request::Builder, body: String) -> Reply {
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        reply_of(res).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send("GET", uri, Body::empty(), None).await
    }

    pub async fn post(&self, uri: &str, body: &str) -> Reply {
        self.send("POST", uri, body.to_owned(), None).await
    }

    /// POSTs `body` to a WeChat path with this app's token.
    pub async fn wx(&self, path: &str, body: Value) -> Reply {
        self.post(&self.with_token(path, &self.token), &body.to_string()).await
    }

    /// GETs a WeChat path (query allowed) with this app's token.
    pub async fn wx_get(&self, path: &str) -> Reply {
        self.get(&self.with_token(path, &self.token)).await
    }

    /// POSTs a raw body to a WeChat path (query allowed) with this app's token.
    pub async fn wx_raw(&self, path: &str, body: &str) -> Reply {
        self.post(&self.with_token(path, &self.token), body).await
    }

    /// Uploads `file` as multipart field `field` for `account`'s avatar.
    pub async fn upload(&self, account: &str, field: &str, file: &[u8]) -> Reply {
        let boundary = "kefuBOUNDARY";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url = self.with_token(
            &format!("/customservice/kfaccount/uploadheadimg?kf_account={account}"),
            &self.token,
        );
        self.send(
            "POST",
            &url,
            body,
            Some(&format!("multipart/form-data; boundary={boundary}")),
        )
        .await
    }

    pub fn with_token(&self, path: &str, token: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}access_token={token}")
    }

    /// A control-API call that must succeed; its JSON answer.
    pub async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self
            .send(method, path, body.to_string(), Some("application/json"))
            .await;
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }

    pub async fn token_for(&self, appid: &str, secret: &str) -> String {
        let r = self
            .get(&format!(
                "/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}"
            ))
            .await;
        r.json()["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", r.body))
            .to_owned()
    }

    /// Creates another app from control-API fields; its appid, secret and token.
    pub async fn other_app(&self, fields: Value) -> (String, String, String) {
        let created = self.control("POST", "/_kefu/apps", fields).await;
        let (appid, secret) = (
            created["appid"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        );
        let token = self.token_for(&appid, &secret).await;
        (appid, secret, token)
    }

    pub async fn add_kf(&self, prefix: &str) -> String {
        let account = format!("{prefix}@test");
        self.wx(
            "/customservice/kfaccount/add",
            json!({"kf_account": account, "nickname": prefix}),
        )
        .await
        .assert_ok();
        account
    }

    pub async fn invite(&self, account: &str, wx: &str) -> Reply {
        self.wx(
            "/customservice/kfaccount/inviteworker",
            json!({"kf_account": account, "invite_wx": wx}),
        )
        .await
    }

    /// Adds an account and binds `wx` to it (invitation accepted).
    pub async fn bound_kf(&self, prefix: &str, wx: &str) -> String {
        let account = self.add_kf(prefix).await;
        self.invite(&account, wx).await.assert_ok();
        self.control(
            "POST",
            &format!("/_kefu/apps/{}/kf/{account}/invitation/accept", self.appid),
            json!({}),
        )
        .await;
        account
    }

    /// A bound account whose worker is online.
    pub async fn online_kf(&self, prefix: &str, wx: &str) -> String {
        let account = self.bound_kf(prefix, wx).await;
        self.set_online(&account, true).await;
        account
    }

    pub async fn set_online(&self, account: &str, online: bool) {
        self.control(
            "PUT",
            &format!("/_kefu/apps/{}/kf/{account}/status", self.appid),
            json!({"online": online}),
        )
        .await;
    }

    pub async fn follow(&self) -> String {
        self.control("POST", &format!("/_kefu/apps/{}/fans", self.appid), json!({}))
            .await["openid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn patch(&self, fields: Value) {
        self.control("PATCH", &format!("/_kefu/apps/{}", self.appid), fields)
            .await;
    }

    pub async fn advance(&self, seconds: i64) {
        self.control("POST", "/_kefu/clock/advance", json!({"seconds": seconds}))
            .await;
    }

    /// Fetches a fresh token for this app (after the clock moved past the old one).
    pub async fn relogin(&mut self) {
        self.token = self.token_for(&self.appid.clone(), &self.secret.clone()).await;
    }

    /// The app's whole state with every follower's messages, to prove a
    /// failed call changed nothing.
    pub async fn snapshot(&self) -> Value {
        let mut state = self
            .control("GET", &format!("/_kefu/apps/{}", self.appid), Value::Null)
            .await;
        let mut messages = serde_json::Map::new();
        for f in state["followers"].as_array().cloned().unwrap_or_default() {
            let openid = f["openid"].as_str().unwrap_or_default().to_owned();
            let path = format!("/_kefu/apps/{}/fans/{}/messages", self.appid, path_segment(&openid));
            messages.insert(openid, self.control("GET", &path, Value::Null).await);
        }
        state["messages"] = Value::Object(messages);
        state
    }

    /// Runs `call`, asserts its exact error body and that the app's state did not move.
    pub async fn assert_rejected(
        &self,
        reply: impl std::future::Future<Output = Reply>,
        code: i64,
        msg: &str,
        before: &Value,
    ) {
        reply.await.assert_err(code, msg);
        assert_eq!(&self.snapshot().await, before, "a failed call changed the state");
    }
}

/// `s` percent-encoded as one path segment (every byte but unreserved ones).
pub fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn reply_of(res: axum::response::Response) -> Reply {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}
