//! Two `kefu serve` processes on one PostgreSQL schema, as a deployment of
//! several instances behind a load balancer runs them: every check-then-write
//! race, fired by many concurrent callers at both instances at once, still
//! has a single winner, and the virtual clock is one clock for both.
//!
//! Without a reachable PostgreSQL server each test prints a `SKIPPED` line
//! and passes, unless `KEFU_REQUIRE_POSTGRES=1` makes it fail.

use crate::pg::PgSchema;
use crate::support::{strip_rid, Kefu};
use kefu_api::control::FollowerMessage;
use kefu_client::ControlClient;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Barrier;

/// The frozen virtual "now" of both instances.
const T0: i64 = 1_700_000_000;
const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];
/// Concurrent callers in each race; caller `i` talks to instance `i % 2`
/// unless the race says otherwise.
const CALLERS: usize = 24;
const OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;

/// Two instances on one fresh schema (killed before the schema is dropped),
/// the demo app they share and a token for it.
struct Pair {
    kefu: [Kefu; 2],
    http: reqwest::Client,
    appid: String,
    secret: String,
    wechat_id: String,
    token: String,
    _schema: PgSchema,
}

impl Pair {
    /// Both instances, started at the same time; `None` when PostgreSQL
    /// tests are skipped.
    async fn start() -> Option<Pair> {
        let schema = PgSchema::fresh()?;
        let url = schema.url("");
        // Started together, they apply the migrations and create the demo app once.
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| Kefu::start_url(&url, &FROZEN, &[]));
            let b = s.spawn(|| Kefu::start_url(&url, &FROZEN, &[]));
            (a.join().expect("instance a"), b.join().expect("instance b"))
        });
        assert_eq!(a.demo, b.demo, "both instances announce the same demo app");
        let demo = a.demo.clone();
        let http = reqwest::Client::new();
        let issued = send(&http, &token_url(&a.base, &demo.appid, &demo.secret), None).await;
        let token = json_of(&issued)["access_token"].as_str().expect("a token").to_owned();
        Some(Pair {
            kefu: [a, b],
            http,
            appid: demo.appid,
            secret: demo.secret,
            wechat_id: demo.wechat_id,
            token,
            _schema: schema,
        })
    }

    /// `path` (which may carry a query) on instance `n % 2`, with `token`.
    fn url_with(&self, n: usize, path: &str, token: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}access_token={token}", self.kefu[n % 2].base)
    }

    /// `path` on instance `n % 2`, with the pair's token.
    fn url(&self, n: usize, path: &str) -> String {
        self.url_with(n, path, &self.token)
    }

    fn control(&self, n: usize) -> ControlClient {
        self.kefu[n % 2].control()
    }

    /// A WeChat API call on instance `n % 2`: POST `body`, or GET without one.
    async fn wx(&self, n: usize, path: &str, body: Option<Value>) -> String {
        send(&self.http, &self.url(n, path), body).await
    }

    /// A new kf account `prefix@wechat_id`, added through instance 0.
    async fn add_kf(&self, prefix: &str) -> String {
        let account = format!("{prefix}@{}", self.wechat_id);
        let body = json!({"kf_account": account, "nickname": prefix});
        assert_eq!(self.wx(0, "/customservice/kfaccount/add", Some(body)).await, OK);
        account
    }

    /// A kf account bound to `worker` and online, set up across both instances.
    async fn online_kf(&self, prefix: &str, worker: &str) -> String {
        let account = self.add_kf(prefix).await;
        let invite = json!({"kf_account": account, "invite_wx": worker});
        assert_eq!(
            self.wx(1, "/customservice/kfaccount/inviteworker", Some(invite)).await,
            OK
        );
        let accepted = self.control(0).answer_invitation(&self.appid, &account, true).await;
        accepted.expect("accept");
        let online = self.control(1).set_worker_online(&self.appid, &account, true).await;
        online.expect("online");
        account
    }

    /// A new follower of the demo app.
    async fn follow(&self) -> String {
        self.control(1).follow(&self.appid, None).await.expect("follow").openid
    }
}

fn token_url(base: &str, appid: &str, secret: &str) -> String {
    format!("{base}/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}")
}

/// POSTs `body` as JSON (GET without one); the raw answer of an HTTP 200.
async fn send(http: &reqwest::Client, url: &str, body: Option<Value>) -> String {
    let request = match body {
        Some(body) => http.post(url).json(&body),
        None => http.get(url),
    };
    let res = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(res.status(), 200, "{url}");
    res.text().await.expect("answer body")
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Sends every call at once (each waits at a barrier until all are ready)
/// and returns the raw answers in the calls' order.
async fn fire(http: &reqwest::Client, calls: Vec<(String, Option<Value>)>) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(calls.len()));
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|(url, body)| {
            let (http, barrier) = (http.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                send(&http, &url, body).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("caller"));
    }
    answers
}

/// Invitations of one account to different users, from callers on both
/// instances: exactly one is sent; every other caller sees it waiting
/// (65411), and both instances list the winner's invitation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invitations_across_instances_have_one_winner() {
    // Arrange
    let Some(pair) = Pair::start().await else { return };
    let account = pair.add_kf("a").await;
    let calls = (0..CALLERS)
        .map(|i| {
            let body = json!({"kf_account": account, "invite_wx": format!("worker_{i:02}")});
            (pair.url(i, "/customservice/kfaccount/inviteworker"), Some(body))
        })
        .collect();

    // Act
    let answers = fire(&pair.http, calls).await;

    // Assert
    let winners: Vec<usize> = (0..CALLERS).filter(|&i| answers[i] == OK).collect();
    assert_eq!(winners.len(), 1, "{answers:#?}");
    let pending =
        r#"{"errcode":65411,"errmsg":"a effective invitation to bind the custom service account exists rid: RID"}"#;
    for (i, answer) in answers.iter().enumerate().filter(|(i, _)| *i != winners[0]) {
        assert_eq!(strip_rid(answer), pending, "caller {i}");
    }
    for n in 0..2 {
        let list = json_of(&pair.wx(n, "/cgi-bin/customservice/getkflist", None).await);
        let kf = &list["kf_list"][0];
        assert_eq!(kf["kf_account"], account.as_str(), "instance {n}: {list}");
        assert_eq!(
            kf["invite_wx"],
            format!("worker_{:02}", winners[0]),
            "instance {n}: {list}"
        );
    }
}

/// Sessions for one follower with two online accounts, created by callers
/// on both instances: one session opens; every call for its account
/// answers 0 and every call for the other 65414, and both instances report
/// the same session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_session_creates_across_instances_open_one_session() {
    // Arrange
    let Some(pair) = Pair::start().await else { return };
    let accounts = [
        pair.online_kf("a", "worker_a").await,
        pair.online_kf("b", "worker_b").await,
    ];
    let openid = pair.follow().await;
    // Caller i asks for account i % 2 on instance (i / 2) % 2: each account
    // is asked for on both instances.
    let calls = (0..CALLERS)
        .map(|i| {
            let body = json!({"kf_account": accounts[i % 2], "openid": openid});
            (pair.url(i / 2, "/customservice/kfsession/create"), Some(body))
        })
        .collect();

    // Act
    let answers = fire(&pair.http, calls).await;

    // Assert
    let busy = r#"{"errcode":65414,"errmsg":"another worker is serving the customer rid: RID"}"#;
    let winner = (0..CALLERS)
        .find(|&i| answers[i] == OK)
        .map(|i| i % 2)
        .unwrap_or_else(|| panic!("nobody won: {answers:#?}"));
    for (i, answer) in answers.iter().enumerate() {
        let expected = if i % 2 == winner { OK } else { busy };
        assert_eq!(strip_rid(answer), expected, "caller {i} for {}", accounts[i % 2]);
    }
    let session = json!({"createtime": T0, "kf_account": accounts[winner]});
    for n in 0..2 {
        let got = pair
            .wx(n, &format!("/customservice/kfsession/getsession?openid={openid}"), None)
            .await;
        assert_eq!(json_of(&got), session, "instance {n}");
        let state = pair.control(n).app_state(&pair.appid).await.expect("app state");
        assert_eq!(state.sessions.len(), 1, "instance {n}: {:?}", state.sessions);
    }
}

/// Token refreshes for one app from callers on both instances: every token
/// issued works at once (a replaced one keeps 5 minutes), and 300 s later
/// exactly one works, the others answering 40001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_token_refreshes_across_instances_leave_one_current_token() {
    // Arrange
    let Some(pair) = Pair::start().await else { return };
    let calls = (0..CALLERS)
        .map(|i| (token_url(&pair.kefu[i % 2].base, &pair.appid, &pair.secret), None))
        .collect();

    // Act
    let answers = fire(&pair.http, calls).await;

    // Assert
    let tokens: Vec<String> = answers
        .iter()
        .map(|a| {
            let issued = json_of(a);
            assert_eq!(issued["expires_in"], 7200, "{a}");
            issued["access_token"].as_str().expect("a token").to_owned()
        })
        .collect();
    let mut distinct = tokens.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), CALLERS, "every call issues a new token");
    let use_each = || {
        let calls = (0..CALLERS)
            .map(|i| {
                (
                    pair.url_with(i + 1, "/cgi-bin/customservice/getkflist", &tokens[i]),
                    None,
                )
            })
            .collect();
        fire(&pair.http, calls)
    };
    let at_once = use_each().await;
    for (i, answer) in at_once.iter().enumerate() {
        assert_eq!(answer, r#"{"kf_list":[]}"#, "token {i} right away");
    }

    pair.control(0).advance_clock(300).await.expect("advance");
    let later = use_each().await;
    let current: Vec<usize> = (0..CALLERS).filter(|&i| later[i] == r#"{"kf_list":[]}"#).collect();
    assert_eq!(current.len(), 1, "{later:#?}");
    let replaced = r#"{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: RID"}"#;
    for (i, answer) in later.iter().enumerate().filter(|(i, _)| *i != current[0]) {
        assert_eq!(strip_rid(answer), replaced, "token {i} 300 s later");
    }
}

/// Sends to one follower whose message opened a window of 5, from callers
/// on both instances: exactly 5 go out, the rest answer 45047, and both
/// instances see the window spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_across_instances_spend_the_window_exactly() {
    // Arrange
    let Some(pair) = Pair::start().await else { return };
    let openid = pair.follow().await;
    // Past the follow's own 60 s window, then the follower writes: 5 sends.
    pair.control(0).advance_clock(61).await.expect("advance");
    let hi = FollowerMessage {
        msgtype: "text".into(),
        content: Some("hi".into()),
        media_id: None,
    };
    let ctl = pair.control(1);
    ctl.follower_writes(&pair.appid, &openid, &hi)
        .await
        .expect("follower writes");
    let calls = (0..CALLERS)
        .map(|i| {
            let body = json!({"touser": openid, "msgtype": "text", "text": {"content": format!("reply {i}")}});
            (pair.url(i, "/cgi-bin/message/custom/send"), Some(body))
        })
        .collect();

    // Act
    let answers = fire(&pair.http, calls).await;

    // Assert
    let spent = r#"{"errcode":45047,"errmsg":"out of response count limit rid: RID"}"#;
    let sent = answers.iter().filter(|a| a.as_str() == OK).count();
    assert_eq!(sent, 5, "{answers:#?}");
    for (i, answer) in answers.iter().enumerate().filter(|(_, a)| a.as_str() != OK) {
        assert_eq!(strip_rid(answer), spent, "caller {i}");
    }
    for n in 0..2 {
        let state = pair.control(n).app_state(&pair.appid).await.expect("app state");
        let fan = state
            .followers
            .iter()
            .find(|f| f.openid == openid)
            .expect("the follower");
        assert_eq!(fan.message_window.left, 0, "instance {n}");
        let messages = pair.control(n).follower_messages(&pair.appid, &openid).await;
        let messages = messages.expect("messages");
        assert_eq!(
            messages.len(),
            1 + 5,
            "instance {n}: the follower's message and 5 replies: {messages:?}"
        );
    }
}

/// The virtual clock is one clock: an advance on one instance shows on the
/// other at once, and advances made concurrently on both all count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_is_shared_between_instances() {
    // Arrange
    let Some(pair) = Pair::start().await else { return };
    let (a, b) = (pair.control(0), pair.control(1));
    assert_eq!(b.clock().await.expect("clock").now, T0);

    // Act
    let advanced = a.advance_clock(3600).await.expect("advance on a");
    let seen = b.clock().await.expect("clock on b");
    let calls = (0..CALLERS)
        .map(|i| {
            let url = format!("{}/_kefu/clock/advance", pair.kefu[i % 2].base);
            (url, Some(json!({"seconds": 1})))
        })
        .collect();
    fire(&pair.http, calls).await;

    // Assert
    assert_eq!((advanced.now, advanced.offset), (T0 + 3600, 3600));
    assert_eq!((seen.now, seen.offset), (T0 + 3600, 3600));
    let total = 3600 + CALLERS as i64;
    for (n, ctl) in [a, b].iter().enumerate() {
        let clock = ctl.clock().await.expect("clock");
        assert_eq!((clock.now, clock.offset), (T0 + total, total), "instance {n}");
    }
}

/// Token refreshes for one app kept up by many callers on both instances:
/// every call gets a token. Losing a serialization conflict to another
/// refresh is the store's to retry, never the caller's `-1 system error`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_token_refreshes_across_instances_all_get_a_token() {
    // Arrange: 32 callers of 30 calls each, each caller's calls one after
    // the other, stay under the daily limit of 2000.
    let Some(pair) = Pair::start().await else { return };
    let (callers, rounds) = (32, 30);

    // Act
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let http = pair.http.clone();
            let url = token_url(&pair.kefu[i % 2].base, &pair.appid, &pair.secret);
            tokio::spawn(async move {
                let mut failed = Vec::new();
                for _ in 0..rounds {
                    let answer = send(&http, &url, None).await;
                    if !answer.starts_with(r#"{"access_token":""#) {
                        failed.push(strip_rid(&answer));
                    }
                }
                failed
            })
        })
        .collect();
    let mut failed = Vec::new();
    for task in tasks {
        failed.extend(task.await.expect("caller"));
    }

    // Assert
    assert_eq!(failed, Vec::<String>::new(), "of {} calls", callers * rounds);
}
