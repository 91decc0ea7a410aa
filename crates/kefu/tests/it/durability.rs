//! What kefu acknowledged survives a SIGKILL: a restart on the same SQLite
//! file serves exactly the state the killed process had answered for.

use crate::support::{data_dir, Kefu};
use kefu_api::control::{
    AppInfo, AppState, Clock, Enqueue, FanState, FollowerMessage, KfState, MessageState, SessionState, WindowState,
};
use kefu_api::conversation::{CustomMessage, KfSessionInfo, Record, SessionList, WaitCaseList};
use kefu_api::wechat::{KfInfo, KfList, KfOnlineInfo, KfOnlineList, Status};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The frozen virtual "now" both processes start from.
const T0: i64 = 1_700_000_000;
const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];
const ALICE: &str = "alice@kefu_demo";
const BOB: &str = "bob@kefu_demo";

/// A WeChat-side GET with an explicit access token, decoded as `T`; panics
/// with the body when the server answers an error.
async fn wx_get<T: DeserializeOwned>(base: &str, path: &str, token: &str) -> T {
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .query(&[("access_token", token)])
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON body");
    assert!(body.get("errcode").is_none(), "{path} failed: {body}");
    serde_json::from_value(body).expect("documented shape")
}

fn bound(account: &str, kf_id: i64, nick: &str, worker: &str) -> KfInfo {
    KfInfo {
        kf_account: account.into(),
        kf_headimgurl: String::new(),
        kf_id,
        kf_nick: nick.into(),
        kf_wx: Some(worker.into()),
        invite_wx: None,
        invite_expire_time: None,
        invite_status: None,
    }
}

fn kf_state(account: &str, kf_id: i64, nick: &str, worker: &str, online: bool) -> KfState {
    KfState {
        kf_account: account.into(),
        kf_id,
        nickname: nick.into(),
        worker: Some(worker.into()),
        online,
        invite_wx: None,
        invite_expire_time: None,
        invite_status: None,
        accepted_case: i64::from(online),
    }
}

/// Accounts, bindings, worker status, followers, sessions, the clock offset,
/// the demo app's credentials and an issued access token all survive a
/// SIGKILL and are served unchanged by a new process on the same file.
#[tokio::test]
async fn acknowledged_state_survives_sigkill_and_restart() {
    // Arrange: build up state through the WeChat API and the control API.
    let (_dir, db) = data_dir();
    let first = Kefu::start_on(&db, &FROZEN);
    let demo = first.demo.clone();
    let (wx, ctl) = (first.client(), first.control());
    let token = wx.access_token().await.expect("token");
    wx.add_kf_account(ALICE, "Alice").await.expect("add alice");
    wx.add_kf_account(BOB, "Bob").await.expect("add bob");
    wx.invite_worker(ALICE, "worker_alice").await.expect("invite alice");
    wx.invite_worker(BOB, "worker_bob").await.expect("invite bob");
    ctl.answer_invitation(&demo.appid, ALICE, true)
        .await
        .expect("alice accepts");
    ctl.answer_invitation(&demo.appid, BOB, true)
        .await
        .expect("bob accepts");
    ctl.set_worker_online(&demo.appid, ALICE, true)
        .await
        .expect("alice online");
    let fan = ctl.follow(&demo.appid, None).await.expect("follow").openid;
    wx.create_session(ALICE, &fan).await.expect("session");
    let advanced = ctl.advance_clock(900).await.expect("advance");
    let kf_before = wx.get_kf_list().await.expect("kf list");
    let online_before = wx.get_online_kf_list().await.expect("online list");
    let state_before = ctl.app_state(&demo.appid).await.expect("app state");

    // Act: kill without any chance to shut down, then start again.
    first.kill();
    let second = Kefu::start_on(&db, &FROZEN);

    // Assert: the token issued before the kill reads everything back.
    let kf_after: KfList = wx_get(&second.base, "/cgi-bin/customservice/getkflist", &token).await;
    let online_after: KfOnlineList = wx_get(&second.base, "/cgi-bin/customservice/getonlinekflist", &token).await;
    let ctl = second.control();
    let state_after = ctl.app_state(&demo.appid).await.expect("app state");
    let clock_after = ctl.clock().await.expect("clock");

    assert_eq!(second.demo, demo);
    assert_eq!(
        kf_after.kf_list,
        vec![
            bound(ALICE, 1001, "Alice", "worker_alice"),
            bound(BOB, 1002, "Bob", "worker_bob"),
        ]
    );
    assert_eq!(kf_after, kf_before);
    assert_eq!(
        online_after.kf_online_list,
        vec![KfOnlineInfo {
            kf_account: ALICE.into(),
            status: 1,
            kf_id: 1001,
            accepted_case: 1,
        }]
    );
    assert_eq!(online_after, online_before);
    assert_eq!(
        advanced,
        Clock {
            now: T0 + 900,
            offset: 900,
            frozen: true
        }
    );
    assert_eq!(clock_after, advanced);
    assert_eq!(
        state_after.app,
        AppInfo {
            appid: demo.appid.clone(),
            secret: demo.secret.clone(),
            account_type: "service_account".into(),
            certified: true,
            wechat_id: "kefu_demo".into(),
            original_id: state_before.app.original_id.clone(),
            kf_enabled: true,
            ip_whitelist: vec![],
            quotas: Default::default(),
        }
    );
    assert_eq!(
        state_after.kf_accounts,
        vec![
            kf_state(ALICE, 1001, "Alice", "worker_alice", true),
            kf_state(BOB, 1002, "Bob", "worker_bob", false),
        ]
    );
    assert_eq!(
        state_after.followers,
        vec![FanState {
            openid: fan.clone(),
            subscribed: true,
            followed_at: T0,
            ever_followed: true,
            message_window: WindowState { left: 0, until: 0 },
            event_window: WindowState {
                left: 3,
                until: T0 + 60
            },
            typing_until: None,
        }]
    );
    assert_eq!(
        state_after.sessions,
        vec![SessionState {
            openid: fan,
            kf_account: ALICE.into(),
            createtime: T0,
            last_msg_at: T0,
            closes_at: T0 + 1800,
        }]
    );
    assert_eq!(state_after, state_before);
}

/// A write is answered only once it is durable: fifty `kfaccount/add` calls
/// answered with success right before a SIGKILL are all there after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_answered_before_sigkill_are_present_after_restart() {
    // Arrange
    let (_dir, db) = data_dir();
    let first = Kefu::start_on(&db, &[]);
    let wx = Arc::new(first.client());
    wx.access_token().await.expect("token");
    let expected: BTreeMap<String, String> = (0..50)
        .map(|i| (format!("p{i:02}@kefu_demo"), format!("Agent {i:02}")))
        .collect();

    // Act: fire every add at once, kill as soon as the last one is answered.
    let mut calls = tokio::task::JoinSet::new();
    for (account, nick) in expected.clone() {
        let wx = Arc::clone(&wx);
        calls.spawn(async move { wx.add_kf_account(&account, &nick).await });
    }
    let answers = calls.join_all().await;
    first.kill();
    let second = Kefu::start_on(&db, &[]);
    let listed = second.client().get_kf_list().await.expect("kf list");

    // Assert
    let ok = Status {
        errcode: 0,
        errmsg: "ok".into(),
    };
    for answer in answers {
        assert_eq!(answer.expect("add answered"), ok);
    }
    let found: BTreeMap<String, String> = listed
        .kf_list
        .iter()
        .map(|k| (k.kf_account.clone(), k.kf_nick.clone()))
        .collect();
    assert_eq!(found, expected);
    let mut ids: Vec<i64> = listed.kf_list.iter().map(|k| k.kf_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1001..=1050).collect::<Vec<i64>>());
}

/// Everything a conversation shows through both APIs.
#[derive(Debug, PartialEq)]
struct Conversation {
    waiting: WaitCaseList,
    alice: SessionList,
    bob: SessionList,
    sessions: Vec<KfSessionInfo>,
    records: Vec<Record>,
    online: KfOnlineList,
    state: AppState,
    messages: Vec<Vec<MessageState>>,
    clock: Clock,
}

async fn read_conversation(kefu: &Kefu, fans: &[String]) -> Conversation {
    let (wx, ctl, appid) = (kefu.client(), kefu.control(), &kefu.demo.appid);
    let (mut sessions, mut messages) = (Vec::new(), Vec::new());
    for fan in fans {
        sessions.push(wx.get_session(fan).await.expect("getsession"));
        messages.push(ctl.follower_messages(appid, fan).await.expect("messages"));
    }
    Conversation {
        waiting: wx.get_wait_case().await.expect("getwaitcase"),
        alice: wx.get_session_list(ALICE).await.expect("alice's sessions"),
        bob: wx.get_session_list(BOB).await.expect("bob's sessions"),
        sessions,
        records: wx.all_records(T0, T0 + 3600).await.expect("getmsglist"),
        online: wx.get_online_kf_list().await.expect("online list"),
        state: ctl.app_state(appid).await.expect("app state"),
        messages,
        clock: ctl.clock().await.expect("clock"),
    }
}

fn text(content: &str) -> FollowerMessage {
    FollowerMessage {
        msgtype: "text".into(),
        content: Some(content.into()),
        media_id: None,
    }
}

fn record(openid: &str, opercode: i64, text: &str, time: i64, worker: &str) -> Record {
    Record {
        openid: openid.into(),
        opercode,
        text: text.into(),
        time,
        worker: worker.into(),
    }
}

/// Two online accounts, sessions (one through the queue, one through the
/// API), followers waiting, records both ways and a partly used send window:
/// after a SIGKILL a new process answers every read the same, and the
/// window goes on from where it was.
#[tokio::test]
async fn conversation_in_flight_survives_sigkill_and_restart() {
    // Arrange: the clock is frozen, so only the advances below move it.
    let (_dir, db) = data_dir();
    let first = Kefu::start_on(&db, &FROZEN);
    let (appid, wx, ctl) = (first.demo.appid.clone(), first.client(), first.control());
    for (account, nick, worker) in [(ALICE, "Alice", "worker_alice"), (BOB, "Bob", "worker_bob")] {
        wx.add_kf_account(account, nick).await.expect("add");
        wx.invite_worker(account, worker).await.expect("invite");
        ctl.answer_invitation(&appid, account, true).await.expect("bind");
        ctl.set_worker_online(&appid, account, true).await.expect("online");
    }
    let mut fans = Vec::new();
    for _ in 0..5 {
        fans.push(ctl.follow(&appid, None).await.expect("follow").openid);
    }
    let wait = |i: usize, kf: Option<&str>| Enqueue {
        openid: fans[i].clone(),
        kf_account: kf.map(str::to_owned),
    };
    wx.create_session(BOB, &fans[1]).await.expect("bob's session");
    wx.send_message(&CustomMessage::text(&fans[1], "welcome"))
        .await
        .expect("send");
    ctl.advance_clock(120).await.expect("advance");
    ctl.follower_writes(&appid, &fans[0], &text("hello"))
        .await
        .expect("write");
    ctl.enqueue(&appid, &wait(0, None)).await.expect("wait");
    ctl.accept(&appid, ALICE, None).await.expect("accept");
    ctl.follower_writes(&appid, &fans[0], &text("my parcel?"))
        .await
        .expect("write");
    ctl.reply(&appid, ALICE, &fans[0], "on its way").await.expect("reply");
    for news in ["tracking: 42", "by noon"] {
        wx.send_message(&CustomMessage::text(&fans[0], news))
            .await
            .expect("send");
    }
    ctl.enqueue(&appid, &wait(2, Some(BOB))).await.expect("wait for bob");
    ctl.follower_writes(&appid, &fans[3], &text("anyone?"))
        .await
        .expect("write");
    ctl.enqueue(&appid, &wait(3, None)).await.expect("wait");
    ctl.advance_clock(300).await.expect("advance");
    let before = read_conversation(&first, &fans).await;

    // Act
    first.kill();
    let second = Kefu::start_on(&db, &FROZEN);
    let after = read_conversation(&second, &fans).await;
    let wx = second.client();
    let mut sends = Vec::new();
    for _ in 0..4 {
        let sent = wx.send_message(&CustomMessage::text(&fans[0], "more")).await;
        sends.push(sent.err().and_then(|e| e.errcode()));
    }

    // Assert: what was built, then that the restart changed none of it.
    let listed: Vec<&str> = before.waiting.waitcaselist.iter().map(|w| w.openid.as_str()).collect();
    assert_eq!(
        (before.waiting.count, listed),
        (2, vec![fans[2].as_str(), fans[3].as_str()])
    );
    let only = |list: &SessionList| list.sessionlist.iter().map(|s| s.openid.clone()).collect::<Vec<_>>();
    assert_eq!(
        (only(&before.alice), only(&before.bob)),
        (vec![fans[0].clone()], vec![fans[1].clone()])
    );
    let held: Vec<(&str, i64)> = before
        .sessions
        .iter()
        .map(|s| (s.kf_account.as_str(), s.createtime))
        .collect();
    assert_eq!(held, vec![(ALICE, T0 + 120), (BOB, T0), ("", 0), ("", 0), ("", 0)]);
    let t = T0 + 120;
    assert_eq!(
        before.records,
        vec![
            record(&fans[1], 2002, "welcome", T0, BOB),
            record(&fans[0], 2003, "my parcel?", t, ALICE),
            record(&fans[0], 2002, "on its way", t, ALICE),
            record(&fans[0], 2002, "tracking: 42", t, ALICE),
            record(&fans[0], 2002, "by noon", t, ALICE),
        ]
    );
    let window = before
        .state
        .followers
        .iter()
        .find(|f| f.openid == fans[0])
        .map(|f| f.message_window);
    assert_eq!(
        window,
        Some(WindowState {
            left: 3,
            until: t + 48 * 3600
        })
    );
    assert_eq!(before.clock.now, T0 + 420);
    assert_eq!(after, before);
    assert_eq!(sends, vec![None, None, None, Some(45047)]);
}
