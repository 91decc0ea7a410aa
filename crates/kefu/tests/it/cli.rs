//! The CLI commands that play the human side, run as subprocesses against a
//! running server.

use crate::support::Kefu;
use kefu_api::control::{
    AppInfo, AppState, Clock, FanState, Followed, KfState, MessageState, Sent, SessionState, WaitState, WechatUser,
};
use kefu_api::wechat::{AccessTokenResponse, KfInfo, KfOnlineInfo};

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Creates an app with `kefu app create`, as an official account.
async fn create_app(kefu: &Kefu) -> AppInfo {
    kefu.cli(&["app", "create", "--type", "official_account"]).await.json()
}

/// Adds `prefix@<app's wechat id>` and, when `invite` is given, invites that
/// WeChat user to it, through the typed client.
async fn add_kf(kefu: &Kefu, app: &AppInfo, prefix: &str, invite: Option<&str>) -> String {
    let wx = kefu.client_for(&app.appid, &app.secret);
    let account = format!("{prefix}@{}", app.wechat_id);
    wx.add_kf_account(&account, "Agent").await.expect("add");
    if let Some(worker) = invite {
        wx.invite_worker(&account, worker).await.expect("invite");
    }
    account
}

/// `app create --type official_account` prints the new app: a generated
/// `wx` + 16 hex appid, a 32 hex secret, certified, kf switched on.
#[tokio::test]
async fn app_create_prints_a_generated_official_account() {
    // Arrange
    let kefu = Kefu::start();

    // Act
    let app = create_app(&kefu).await;
    let listed: Vec<AppInfo> = kefu.cli(&["app", "list"]).await.json();

    // Assert
    assert_eq!(app.appid.len(), 18);
    assert!(app.appid.starts_with("wx"), "{}", app.appid);
    assert!(is_lower_hex(&app.appid[2..]), "{}", app.appid);
    assert_eq!(app.secret.len(), 32);
    assert!(is_lower_hex(&app.secret), "{}", app.secret);
    assert_eq!(app.account_type, "official_account");
    assert!(app.certified);
    assert!(app.kf_enabled);
    assert_eq!(
        listed.iter().filter(|a| a.appid == app.appid).collect::<Vec<_>>(),
        vec![&app]
    );
}

/// `follow --app APPID` prints a generated 28-character openid, and the app
/// then has that subscribed follower.
#[tokio::test]
async fn follow_prints_a_generated_openid_of_28_chars() {
    // Arrange
    let kefu = Kefu::start();
    let app = create_app(&kefu).await;

    // Act
    let followed: Followed = kefu.cli(&["follow", "--app", &app.appid]).await.json();

    // Assert
    assert_eq!(followed.openid.chars().count(), 28);
    assert!(followed.openid.starts_with('o'), "{}", followed.openid);
    let state: AppState = kefu.cli(&["app", "show", "--app", &app.appid]).await.json();
    let followers: Vec<(String, bool)> = state
        .followers
        .iter()
        .map(|f: &FanState| (f.openid.clone(), f.subscribed))
        .collect();
    assert_eq!(followers, vec![(followed.openid, true)]);
}

/// `invite accept` binds the invited WeChat user: `getkflist` then shows the
/// account with `kf_wx` and no invitation fields.
#[tokio::test]
async fn invite_accept_binds_the_invited_worker() {
    // Arrange
    let kefu = Kefu::start();
    let app = create_app(&kefu).await;
    let account = add_kf(&kefu, &app, "agent", Some("worker_cli")).await;

    // Act
    let out = kefu.cli(&["invite", "accept", "--app", &app.appid, &account]).await;

    // Assert
    let shown: KfState = out.json();
    assert_eq!(shown.worker.as_deref(), Some("worker_cli"));
    assert!(!shown.online);
    assert_eq!(shown.invite_status, None);
    let wx = kefu.client_for(&app.appid, &app.secret);
    let list = wx.get_kf_list().await.expect("kf list");
    assert_eq!(
        list.kf_list,
        vec![KfInfo {
            kf_account: account,
            kf_headimgurl: String::new(),
            kf_id: 1001,
            kf_nick: "Agent".into(),
            kf_wx: Some("worker_cli".into()),
            invite_wx: None,
            invite_expire_time: None,
            invite_status: None,
        }]
    );
}

/// `worker online` puts the bound account in `getonlinekflist`, and
/// `worker offline` takes it out again.
#[tokio::test]
async fn worker_online_and_offline_drive_the_online_list() {
    // Arrange
    let kefu = Kefu::start();
    let app = create_app(&kefu).await;
    let account = add_kf(&kefu, &app, "agent", Some("worker_cli")).await;
    kefu.cli(&["invite", "accept", "--app", &app.appid, &account])
        .await
        .json::<KfState>();
    let wx = kefu.client_for(&app.appid, &app.secret);

    // Act
    let online: KfState = kefu
        .cli(&["worker", "online", "--app", &app.appid, &account])
        .await
        .json();
    let listed_online = wx.get_online_kf_list().await.expect("online list");
    let offline: KfState = kefu
        .cli(&["worker", "offline", "--app", &app.appid, &account])
        .await
        .json();
    let listed_offline = wx.get_online_kf_list().await.expect("online list");

    // Assert
    assert!(online.online);
    assert_eq!(
        listed_online.kf_online_list,
        vec![KfOnlineInfo {
            kf_account: account,
            status: 1,
            kf_id: 1001,
            accepted_case: 0,
        }]
    );
    assert!(!offline.online);
    assert_eq!(listed_offline.kf_online_list, vec![]);
}

/// `invite reject` on an account nobody was invited to fails with a non-zero
/// exit and the control API's `no_invitation` code on stderr.
#[tokio::test]
async fn invite_reject_without_invitation_fails_with_no_invitation() {
    // Arrange
    let kefu = Kefu::start();
    let app = create_app(&kefu).await;
    let account = add_kf(&kefu, &app, "agent", None).await;

    // Act
    let out = kefu.cli(&["invite", "reject", "--app", &app.appid, &account]).await;

    // Assert
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("control error 409 no_invitation"), "{out:?}");
}

/// A refused human-side command explains itself: the control API's 409
/// carries the rule's sentence as its `message`, next to the machine code.
#[tokio::test]
async fn refused_invite_answer_explains_why_on_stderr() {
    // Arrange
    let kefu = Kefu::start();
    let app = create_app(&kefu).await;
    let account = add_kf(&kefu, &app, "agent", None).await;

    // Act
    let out = kefu.cli(&["invite", "reject", "--app", &app.appid, &account]).await;

    // Assert
    assert_eq!(
        out.stderr,
        "kefu: control error 409 no_invitation: the account has no invitation\n"
    );
}

/// `clock` shows the virtual clock and `clock 3600` moves it an hour ahead.
#[tokio::test]
async fn clock_command_advances_the_virtual_clock() {
    // Arrange
    let kefu = Kefu::start_with(&["--frozen-clock", "1700000000"]);

    // Act
    let before: Clock = kefu.cli(&["clock"]).await.json();
    let advanced: Clock = kefu.cli(&["clock", "3600"]).await.json();

    // Assert
    assert_eq!(
        before,
        Clock {
            now: 1_700_000_000,
            offset: 0,
            frozen: true
        }
    );
    let expected = Clock {
        now: 1_700_003_600,
        offset: 3600,
        frozen: true,
    };
    assert_eq!(advanced, expected);
    assert_eq!(kefu.control().clock().await.expect("clock"), expected);
}

/// On a server with an admin token, CLI commands without it are refused as
/// `unauthorized` and with `--admin-token` they succeed.
#[tokio::test]
async fn admin_token_is_required_by_a_guarded_server() {
    // Arrange
    let kefu = Kefu::start_with(&["--admin-token", "secret1-0123456789abcdef"]);

    // Act
    let without = kefu.cli(&["app", "list"]).await;
    let wrong = kefu
        .cli(&["app", "list", "--admin-token", "secret2-0123456789abcdef"])
        .await;
    let with = kefu
        .cli(&["app", "list", "--admin-token", "secret1-0123456789abcdef"])
        .await;

    // Assert
    assert_eq!(without.code, Some(1), "{without:?}");
    assert!(without.stderr.contains("control error 401 unauthorized"), "{without:?}");
    assert_eq!(wrong.code, Some(1), "{wrong:?}");
    assert!(wrong.stderr.contains("control error 401 unauthorized"), "{wrong:?}");
    // Refusals are logged, never with the token that was tried.
    let log = kefu.output_with("the admin token is wrong").await;
    assert!(log.contains("control call refused"), "{log}");
    assert!(log.contains("the admin token is wrong"), "{log}");
    assert!(!log.contains("secret2-0123456789abcdef"), "{log}");
    let apps: Vec<AppInfo> = with.json();
    let appids: Vec<&str> = apps.iter().map(|a| a.appid.as_str()).collect();
    assert_eq!(appids, vec![kefu.demo.appid.as_str()]);
}

/// `reset` wipes every app and brings the demo app back with the same appid
/// and secret, which it prints; a restart after it keeps them too.
#[tokio::test]
async fn reset_wipes_every_app_but_brings_the_demo_app_back() {
    // Arrange
    let (_dir, db) = crate::support::data_dir();
    let kefu = Kefu::start_on(&db, &[]);
    create_app(&kefu).await;

    // Act
    let out = kefu.cli(&["reset"]).await;

    // Assert
    let done: serde_json::Value = out.json();
    assert_eq!(done["demo_app"]["appid"], kefu.demo.appid.as_str(), "{out:?}");
    assert_eq!(done["demo_app"]["secret"], kefu.demo.secret.as_str());
    let apps: Vec<AppInfo> = kefu.cli(&["app", "list"]).await.json();
    let appids: Vec<&str> = apps.iter().map(|a| a.appid.as_str()).collect();
    assert_eq!(appids, vec![kefu.demo.appid.as_str()]);
    let token = kefu
        .cli(&["token", "--app", &kefu.demo.appid, "--secret", &kefu.demo.secret])
        .await;
    assert_eq!(token.code, Some(0), "{token:?}");
    let demo = kefu.demo.clone();
    kefu.kill();
    let again = Kefu::start_on(&db, &[]);
    assert_eq!(
        (again.demo.appid.as_str(), again.demo.secret.as_str()),
        (demo.appid.as_str(), demo.secret.as_str())
    );
}

/// `--demo-appid` and `--demo-secret` choose the demo app's credentials,
/// also for a store that already has a demo app.
#[tokio::test]
async fn the_demo_app_takes_the_credentials_given() {
    let (_dir, db) = crate::support::data_dir();
    let first = Kefu::start_on(&db, &[]);
    first.kill();
    let chosen = Kefu::start_on(
        &db,
        &[
            "--demo-appid",
            "wxdemo0000000001",
            "--demo-secret",
            "0123456789abcdef0123456789abcdef",
        ],
    );
    assert_eq!(chosen.demo.appid, "wxdemo0000000001");
    assert_eq!(chosen.demo.secret, "0123456789abcdef0123456789abcdef");
    let token = chosen
        .cli(&[
            "token",
            "--app",
            "wxdemo0000000001",
            "--secret",
            "0123456789abcdef0123456789abcdef",
        ])
        .await;
    assert_eq!(token.code, Some(0), "{token:?}");
}

/// `token` fetches an access token as an SDK would: a fresh 7200 s token the
/// WeChat API then accepts.
#[tokio::test]
async fn token_command_prints_a_working_access_token() {
    // Arrange
    let kefu = Kefu::start();

    // Act
    let token: AccessTokenResponse = kefu
        .cli(&["token", "--app", &kefu.demo.appid, "--secret", &kefu.demo.secret])
        .await
        .json();

    // Assert
    assert_eq!(token.expires_in, 7200);
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/cgi-bin/customservice/getkflist?access_token={}",
            kefu.base, token.access_token
        ))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body, serde_json::json!({ "kf_list": [] }));
}

/// `wechat-user WX --exists false` makes `inviteworker` answer 65409 for
/// that WeChat ID.
#[tokio::test]
async fn wechat_user_marked_missing_cannot_be_invited() {
    // Arrange
    let kefu = Kefu::start();
    let wx = kefu.client();
    wx.add_kf_account("agent@kefu_demo", "Agent").await.expect("add");

    // Act
    let marked: WechatUser = kefu
        .cli(&["wechat-user", "ghost_user", "--exists", "false"])
        .await
        .json();
    let invited = wx.invite_worker("agent@kefu_demo", "ghost_user").await;

    // Assert
    assert_eq!(marked, WechatUser { exists: false });
    assert_eq!(invited.expect_err("65409").errcode(), Some(65409));
}

/// A bound account of the demo app whose worker went online through the CLI.
async fn online_kf(kefu: &Kefu, prefix: &str) -> String {
    let (wx, app) = (kefu.client(), kefu.demo.appid.as_str());
    let account = format!("{prefix}@{}", kefu.demo.wechat_id);
    wx.add_kf_account(&account, prefix).await.expect("add");
    wx.invite_worker(&account, &format!("worker_{prefix}"))
        .await
        .expect("invite");
    kefu.cli(&["invite", "accept", "--app", app, &account])
        .await
        .json::<KfState>();
    kefu.cli(&["worker", "online", "--app", app, &account])
        .await
        .json::<KfState>();
    account
}

/// The whole human side of one conversation: the follower waits, the worker
/// accepts, both write, and `fan messages` shows both messages in order.
#[tokio::test]
async fn fan_write_worker_accept_and_reply_show_in_fan_messages() {
    // Arrange
    let kefu = Kefu::start();
    let kf = online_kf(&kefu, "agent").await;
    let app = kefu.demo.appid.clone();
    let fan = kefu.cli(&["follow", "--app", &app]).await.json::<Followed>().openid;

    // Act
    let waiting: WaitState = kefu.cli(&["waitcase", "--app", &app, &fan]).await.json();
    let session: SessionState = kefu.cli(&["worker", "accept", "--app", &app, &kf]).await.json();
    let asked: Sent = kefu
        .cli(&["fan", "write", "--app", &app, &fan, "where is my parcel?"])
        .await
        .json();
    let answered: Sent = kefu
        .cli(&["worker", "reply", "--app", &app, &kf, &fan, "on its way"])
        .await
        .json();
    let messages: Vec<MessageState> = kefu.cli(&["fan", "messages", "--app", &app, &fan]).await.json();

    // Assert
    assert_eq!((waiting.openid.as_str(), waiting.kf_account), (fan.as_str(), None));
    assert_eq!(
        (session.openid.as_str(), session.kf_account.as_str()),
        (fan.as_str(), kf.as_str())
    );
    let seen: Vec<(i64, i64, Option<&str>, &str)> = messages
        .iter()
        .map(|m| (m.msgid, m.opercode, m.worker.as_deref(), m.text.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (asked.msgid, 2003, Some(kf.as_str()), "where is my parcel?"),
            (answered.msgid, 2002, Some(kf.as_str()), "on its way"),
        ]
    );
    let session_now = kefu.client().get_session(&fan).await.expect("getsession");
    assert_eq!(session_now.kf_account, kf);
}

/// `worker accept` with nobody waiting exits 1 and says why on stderr.
#[tokio::test]
async fn worker_accept_from_an_empty_queue_fails_readably() {
    // Arrange
    let kefu = Kefu::start();
    let kf = online_kf(&kefu, "agent").await;

    // Act
    let out = kefu.cli(&["worker", "accept", "--app", &kefu.demo.appid, &kf]).await;

    // Assert
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "kefu: control error 409 queue_empty: nobody is waiting\n");
}

/// A follower waiting for a named account is accepted by it, handed over
/// with `worker transfer`, and `worker close` ends the session; media and
/// events go through `fan write --image` and `fan event`; `fan show` shows
/// the follower as the event left them.
#[tokio::test]
async fn worker_transfer_and_close_and_fan_media_and_events() {
    // Arrange
    let kefu = Kefu::start();
    let (ann, ben) = (online_kf(&kefu, "ann").await, online_kf(&kefu, "ben").await);
    let app = kefu.demo.appid.clone();
    let fan = kefu.cli(&["follow", "--app", &app]).await.json::<Followed>().openid;
    let wx = kefu.client();

    // Act
    let waiting: WaitState = kefu.cli(&["waitcase", "--app", &app, &fan, "--kf", &ann]).await.json();
    kefu.cli(&["worker", "accept", "--app", &app, &ann, "--openid", &fan])
        .await
        .json::<SessionState>();
    let moved: SessionState = kefu
        .cli(&["worker", "transfer", "--app", &app, &ann, &fan, &ben])
        .await
        .json();
    let with_ben = wx.get_session(&fan).await.expect("getsession");
    let image: Sent = kefu.cli(&["fan", "write", "--app", &app, &fan, "--image"]).await.json();
    let closed = kefu.cli(&["worker", "close", "--app", &app, &ben, &fan]).await;
    let after_close = wx.get_session(&fan).await.expect("getsession");
    let left: FanState = kefu
        .cli(&["fan", "event", "--app", &app, &fan, "unsubscribe"])
        .await
        .json();
    let refused = kefu.cli(&["fan", "write", "--app", &app, &fan, "hello?"]).await;
    let shown: FanState = kefu.cli(&["fan", "show", "--app", &app, &fan]).await.json();
    let nobody = kefu.cli(&["fan", "show", "--app", &app, "o_nobody"]).await;

    // Assert
    assert_eq!(shown, left);
    assert_eq!(nobody.code, Some(1), "{nobody:?}");
    assert!(
        nobody.stderr.contains("control error 404 follower_not_found"),
        "{nobody:?}"
    );
    assert_eq!(waiting.kf_account.as_deref(), Some(ann.as_str()));
    assert_eq!(moved.kf_account, ben);
    assert_eq!(with_ben.kf_account, ben);
    let messages = kefu.control().follower_messages(&app, &fan).await.expect("messages");
    let shown: Vec<(i64, &str, &str)> = messages
        .iter()
        .map(|m| (m.msgid, m.msgtype.as_str(), m.text.as_str()))
        .collect();
    assert_eq!(shown, vec![(image.msgid, "image", "[image]")]);
    assert_eq!((closed.code, closed.stdout.as_str()), (Some(0), ""), "{closed:?}");
    assert_eq!((after_close.kf_account.as_str(), after_close.createtime), ("", 0));
    assert!(!left.subscribed);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("control error 409 not_following"),
        "{refused:?}"
    );
}
