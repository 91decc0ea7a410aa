//! A PostgreSQL outage seen by a running `kefu serve`: the database is
//! reached through a TCP relay in this file that can cut every connection
//! and turn new ones away, or hold them all silent, then let them through
//! again. During the outage calls fail fast with `-1 system error` and
//! health says `unavailable`; afterwards kefu serves again by itself,
//! without a restart. The connection password never shows in what kefu
//! prints, even with debug logging.
//!
//! Without a reachable PostgreSQL server the test prints a `SKIPPED` line
//! and passes, unless `KEFU_REQUIRE_POSTGRES=1` makes it fail.

use crate::pg::{base_url, PgSchema};
use crate::support::{strip_rid, Kefu};
use postgres::config::Host;
use serde_json::{json, Value};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];
/// The password put in kefu's URL when the test server's URL has none (the
/// test server trusts local connections and ignores it).
const PASSWORD: &str = "hunter2";
/// Longest a call may take to fail while the database is cut off.
const FAIL_FAST: Duration = Duration::from_secs(8);
/// Longest kefu may take to serve again once the database is back.
const RECOVERY: Duration = Duration::from_secs(20);
/// The longest the store makes a caller wait for the database, documented.
const CALLER_DEADLINE: Duration = Duration::from_secs(11);
/// What an HTTP answer may take beyond it.
const GRACE: Duration = Duration::from_secs(5);
const SYSTEM_ERROR: &str = r#"{"errcode":-1,"errmsg":"system error rid: RID"}"#;

/// What the relay does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Relays them.
    Open,
    /// Closes every relayed connection; closes new ones as they arrive.
    Cut,
    /// Keeps every connection open but passes nothing either way, as a hung
    /// server whose host still acknowledges packets; new connections are
    /// accepted and never answered. They are closed when the relay opens.
    Stall,
}

/// A TCP relay to the database server, on an ephemeral loopback port.
struct Relay {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    accept: JoinHandle<()>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay listens");
        let addr = listener.local_addr().expect("relay address");
        let (mode, _) = watch::channel(Mode::Open);
        let modes = mode.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, modes.subscribe()));
            }
        });
        Relay { addr, mode, accept }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One connection: relayed while the relay is open, then closed at once
/// (cut) or held silent until it opens again (stall).
async fn relay(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let arrived = *mode.borrow_and_update();
    if arrived == Mode::Open {
        let Ok(mut server) = TcpStream::connect(upstream).await else {
            return;
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
            _ = mode.wait_for(|m| *m != Mode::Open) => {}
        }
    }
    let stalled = *mode.borrow() == Mode::Stall;
    if stalled {
        // Nothing is read or written until the relay opens again.
        let _ = mode.wait_for(|m| *m == Mode::Open).await.map(|_| ());
    }
}

/// The test server's address and its parsed URL.
fn upstream() -> (SocketAddr, postgres::Config) {
    let config: postgres::Config = base_url().parse().expect("a postgres:// URL");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        other => panic!("the relay needs a TCP host, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .expect("resolve the database host")
        .next()
        .expect("an address for the database host");
    (addr, config)
}

/// `postgres://USER:PASSWORD@RELAY/DB?schema=NAME`.
fn relayed_url(config: &postgres::Config, relay: SocketAddr, schema: &str, password: &str) -> String {
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    format!(
        "postgres://{}:{}@{relay}/{}?schema={schema}",
        encode(user),
        encode(password),
        encode(db)
    )
}

/// Percent-encodes all but unreserved URL characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// kefu on a fresh schema through a relay, with a password in its URL, an
/// account `a@...` and a token.
struct Rig {
    kefu: Kefu,
    relay: Relay,
    http: reqwest::Client,
    password: String,
    /// `getkflist` with the token.
    kf_list: String,
    /// `kfaccount/add` with the token.
    add: String,
    /// `/_kefu/health`.
    health: String,
    /// What `getkflist` answered before any outage.
    before: String,
    _schema: PgSchema,
}

impl Rig {
    /// `None` when PostgreSQL tests are skipped.
    async fn start() -> Option<Rig> {
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
    async fn add(&self, prefix: &str) -> (String, Duration) {
        let account = format!("{prefix}@{}", self.kefu.demo.wechat_id);
        post(
            &self.http,
            &self.add,
            json!({"kf_account": account, "nickname": prefix}),
        )
        .await
    }

    /// Polls until health is ok and `getkflist` answers as before the outage.
    async fn wait_for_recovery(&self) {
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
    async fn accounts(&self) -> Vec<String> {
        let (_, list, _) = get(&self.http, &self.kf_list).await;
        let list: Value = serde_json::from_str(&list).expect("JSON");
        let accounts = list["kf_list"].as_array().expect("a list").iter();
        accounts
            .map(|kf| kf["kf_account"].as_str().expect("an account").to_owned())
            .collect()
    }

    /// Everything kefu printed must leave the URL's password out.
    fn assert_password_never_printed(&self) {
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
async fn get(http: &reqwest::Client, url: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let res = http.get(url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = res.status().as_u16();
    let body = res.text().await.expect("answer body");
    (status, body, started.elapsed())
}

/// POST `body` as JSON to `url`: the raw body and how long it took.
async fn post(http: &reqwest::Client, url: &str, body: Value) -> (String, Duration) {
    let started = Instant::now();
    let res = http.post(url).json(&body).send().await;
    let res = res.unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(res.status(), 200, "{url}");
    (res.text().await.expect("answer body"), started.elapsed())
}

fn assert_unavailable(status: u16, body: &str, took: Duration) {
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(body, json!({"status": "unavailable", "store": "postgres"}));
    assert!(took < FAIL_FAST, "health took {took:?}");
}

/// Cut off from its database, kefu answers `-1 system error` within a few
/// seconds and health answers 503 `unavailable`; with the database back it
/// serves again, reads and writes, without a restart. The URL's password is
/// never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_database_fails_fast_and_kefu_recovers_by_itself() {
    // Arrange
    let Some(rig) = Rig::start().await else { return };

    // Act: every connection to the database is closed, new ones too.
    rig.relay.set(Mode::Cut);
    let (read_status, read, read_took) = get(&rig.http, &rig.kf_list).await;
    let (write, write_took) = rig.add("b").await;
    let (health_status, unhealthy, health_took) = get(&rig.http, &rig.health).await;

    // Assert
    assert_eq!((read_status, strip_rid(&read).as_str()), (200, SYSTEM_ERROR));
    assert!(read_took < FAIL_FAST, "getkflist took {read_took:?}");
    assert_eq!(strip_rid(&write), SYSTEM_ERROR);
    assert!(write_took < FAIL_FAST, "kfaccount/add took {write_took:?}");
    assert_unavailable(health_status, &unhealthy, health_took);

    // Act: the database is back.
    rig.relay.set(Mode::Open);
    rig.wait_for_recovery().await;

    // Assert: the write tried during the outage left nothing; writes work again.
    let (_, healthy, _) = get(&rig.http, &rig.health).await;
    assert_eq!(healthy, r#"{"status":"ok","store":"postgres"}"#);
    assert_eq!(rig.add("c").await.0, r#"{"errcode":0,"errmsg":"ok"}"#);
    let wechat_id = &rig.kefu.demo.wechat_id;
    assert_eq!(
        rig.accounts().await,
        [format!("a@{wechat_id}"), format!("c@{wechat_id}")]
    );
    rig.assert_password_never_printed();
}

/// A database that stops answering without closing anything (a hung server
/// whose host still acknowledges packets): health answers 503 within a few
/// seconds (its probe waits 3 s), a WeChat call answers `-1 system error`
/// within the store's documented 10 s caller deadline (plus the clock re-read's 1 s), and kefu serves
/// again once the database does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_database_fails_within_the_caller_deadline() {
    // Arrange
    let Some(rig) = Rig::start().await else { return };

    // Act: connections stay open but nothing passes; new ones are never answered.
    rig.relay.set(Mode::Stall);
    let health = tokio::time::timeout(FAIL_FAST, get(&rig.http, &rig.health)).await.ok();
    let read = tokio::time::timeout(CALLER_DEADLINE + GRACE, get(&rig.http, &rig.kf_list))
        .await
        .ok();

    // Assert (`None`: no answer in time)
    let health = health.map(|(status, body, _)| (status, body));
    let read = read.map(|(status, body, _)| (status, strip_rid(&body)));
    let unavailable = r#"{"status":"unavailable","store":"postgres"}"#.to_owned();
    assert_eq!(
        (health, read),
        (Some((503, unavailable)), Some((200, SYSTEM_ERROR.to_owned()))),
        "health within {FAIL_FAST:?}, then getkflist within {:?}",
        CALLER_DEADLINE + GRACE
    );

    // Act: the database answers again.
    rig.relay.set(Mode::Open);

    // Assert
    rig.wait_for_recovery().await;
    rig.assert_password_never_printed();
}
