//! A running `kefu serve` on a fresh PostgreSQL schema reached through a
//! [`Relay`], and the HTTP calls the outage tests make on it.

use super::relay::{encode, relayed_url, upstream, Relay};
use super::{FAIL_FAST, FROZEN, PASSWORD, RECOVERY};
use crate::pg::PgSchema;
use crate::support::Kefu;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// kefu on a fresh schema through a relay, with a password in its URL, an
/// account `a@...` and a token.
pub(super) struct Rig {
    pub(super) kefu: Kefu,
    pub(super) relay: Relay,
    pub(super) http: reqwest::Client,
    password: String,
    /// `getkflist` with the token.
    pub(super) kf_list: String,
    /// `kfaccount/add` with the token.
    pub(super) add: String,
    /// `/_kefu/health`.
    pub(super) health: String,
    /// What `getkflist` answered before any outage.
    before: String,
    _schema: PgSchema,
}

impl Rig {
    /// `None` when PostgreSQL tests are skipped.
    pub(super) async fn start() -> Option<Rig> {
        let schema = PgSchema::fresh()?;
        let (server, config) = upstream();
        let password = match config.get_password() {
            Some(p) => String::from_utf8(p.to_vec()).expect("a UTF-8 password"),
            None => PASSWORD.to_owned(),
        };
        let relay = Relay::start(server).await;
        let url = relayed_url(&config, relay.addr, &schema.name, &password);
        // Debug logging: the password must not show even there.
        let kefu = Kefu::start_url(&url, &FROZEN, &[("RUST_LOG", "debug")]);
        let wx = kefu.client();
        let token = wx.access_token().await.expect("token");
        wx.add_kf_account(&format!("a@{}", kefu.demo.wechat_id), "A")
            .await
            .expect("add an account");
        let mut rig = Rig {
            http: reqwest::Client::new(),
            password,
            kf_list: format!("{}/cgi-bin/customservice/getkflist?access_token={token}", kefu.base),
            add: format!("{}/customservice/kfaccount/add?access_token={token}", kefu.base),
            health: format!("{}/_kefu/health", kefu.base),
            before: String::new(),
            kefu,
            relay,
            _schema: schema,
        };
        let (_, before, _) = get(&rig.http, &rig.kf_list).await;
        assert!(before.contains(r#""kf_account":"a@"#), "{before}");
        rig.before = before;
        Some(rig)
    }

    /// Adds the account `prefix@...`: the raw answer and how long it took.
    pub(super) async fn add(&self, prefix: &str) -> (String, Duration) {
        let account = format!("{prefix}@{}", self.kefu.demo.wechat_id);
        post(
            &self.http,
            &self.add,
            json!({"kf_account": account, "nickname": prefix}),
        )
        .await
    }

    /// The appids `GET /_kefu/apps` lists now.
    pub(super) async fn appids(&self) -> Vec<String> {
        let (status, body, _) = get(&self.http, &format!("{}/_kefu/apps", self.kefu.base)).await;
        assert_eq!(status, 200, "{body}");
        let apps: Value = serde_json::from_str(&body).expect("JSON");
        let apps = apps.as_array().expect("a list").iter();
        apps.map(|app| app["appid"].as_str().expect("an appid").to_owned())
            .collect()
    }

    /// Polls until health is ok and `getkflist` answers as before the outage.
    pub(super) async fn wait_for_recovery(&self) {
        let restored = Instant::now();
        loop {
            let (status, body, _) = get(&self.http, &self.health).await;
            let (_, list, _) = get(&self.http, &self.kf_list).await;
            if status == 200 && list == self.before {
                return;
            }
            assert!(
                restored.elapsed() < RECOVERY,
                "not serving {RECOVERY:?} after the database came back: health {status} {body}, getkflist {list}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The accounts `getkflist` lists now.
    pub(super) async fn accounts(&self) -> Vec<String> {
        let (_, list, _) = get(&self.http, &self.kf_list).await;
        let list: Value = serde_json::from_str(&list).expect("JSON");
        let accounts = list["kf_list"].as_array().expect("a list").iter();
        accounts
            .map(|kf| kf["kf_account"].as_str().expect("an account").to_owned())
            .collect()
    }

    /// Everything kefu printed must leave the URL's password out.
    pub(super) fn assert_password_never_printed(&self) {
        let printed = self.kefu.output();
        assert!(printed.contains(&self.relay.addr.to_string()), "{printed}");
        assert!(
            !printed.contains(&self.password),
            "the password was printed:\n{printed}"
        );
        assert!(
            !printed.contains(&encode(&self.password)),
            "the password was printed:\n{printed}"
        );
    }
}

/// GET `url`: the HTTP status, the raw body and how long the answer took.
pub(super) async fn get(http: &reqwest::Client, url: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let res = http.get(url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = res.status().as_u16();
    let body = res.text().await.expect("answer body");
    (status, body, started.elapsed())
}

/// POST `body` as JSON to `url`: the raw body and how long it took.
pub(super) async fn post(http: &reqwest::Client, url: &str, body: Value) -> (String, Duration) {
    let (status, body, took) = post_any(http, url, body).await;
    assert_eq!(status, 200, "{url}: {body}");
    (body, took)
}

/// POST `body` as JSON to `url`: the HTTP status, the raw body and how long
/// the answer took.
pub(super) async fn post_any(http: &reqwest::Client, url: &str, body: Value) -> (u16, String, Duration) {
    let started = Instant::now();
    let res = http.post(url).json(&body).send().await;
    let res = res.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = res.status().as_u16();
    (status, res.text().await.expect("answer body"), started.elapsed())
}

pub(super) fn assert_unavailable(status: u16, body: &str, took: Duration) {
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(body, json!({"status": "unavailable", "store": "postgres"}));
    assert!(took < FAIL_FAST, "health took {took:?}");
}
