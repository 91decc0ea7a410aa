//! What kefu acknowledged survives a SIGKILL: a restart on the same SQLite
//! file serves exactly the state the killed process had answered for.

use crate::support::{data_dir, Kefu};
use kefu_api::control::{AppInfo, Clock, FanState, KfState, SessionState};
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
            offset: 900
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
        }]
    );
    assert_eq!(
        state_after.sessions,
        vec![SessionState {
            openid: fan,
            kf_account: ALICE.into(),
            createtime: T0,
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
