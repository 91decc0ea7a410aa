//! `kefu listen`, the receiver built into the CLI, run as a child process
//! against a real `kefu serve`: it points the app's pushes at itself in
//! every mode, prints each push, answers as told (or relays what the
//! developer's own server answers), and refuses what does not verify.

mod child;

use crate::receiver::{Answer, Receiver};
use crate::support::{cli, CliOutput, Kefu};
use child::Listen;
use kefu_api::callback::Format;
use kefu_api::control::FollowerMessage;
use kefu_api::control_push::DeliveryState;
use kefu_client::{ClientError, ControlClient};
use std::time::{Duration, Instant};

const TOKEN: &str = "listenToken1";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// A new follower of the demo app.
async fn follower(kefu: &Kefu) -> String {
    kefu.control()
        .follow(&kefu.demo.appid, None)
        .await
        .expect("follow")
        .openid
}

/// The follower writes `text` (`POST …/fans/{openid}/messages`).
async fn write(kefu: &Kefu, openid: &str, text: &str) {
    let msg = FollowerMessage {
        msgtype: "text".into(),
        content: Some(text.into()),
        media_id: None,
    };
    kefu.control()
        .follower_writes(&kefu.demo.appid, openid, &msg)
        .await
        .expect("the follower writes");
}

/// Polls `probe` until it yields a value, for at most 20 seconds.
async fn until<T, F: std::future::Future<Output = Option<T>>>(what: &str, mut probe: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The delivery log's last try of the app's `text` push, once logged.
async fn text_delivery(ctl: &ControlClient, appid: &str) -> DeliveryState {
    until("a text push is logged", || async {
        let log = ctl.deliveries(appid, None, None).await.expect("deliveries");
        log.into_iter().find(|d| d.event == "text" && d.last)
    })
    .await
}

/// Whether the follower received a text holding `words`.
async fn received(ctl: &ControlClient, appid: &str, openid: &str, words: &str) {
    until("the follower receives the passive reply", || async {
        let msgs = ctl.follower_messages(appid, openid).await.expect("messages");
        msgs.into_iter().find(|m| m.opercode == 2002 && m.text.contains(words))
    })
    .await;
}

/// In each mode, a follower's message is printed on one line with its type,
/// its follower and its text, answered `success`, and logged `ok`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_prints_a_followers_message_and_answers_success() {
    for mode in ["plaintext", "compatible", "safe"] {
        // Arrange
        let kefu = Kefu::start();
        let openid = follower(&kefu).await;
        let listen = Listen::start(&kefu, &["--mode", mode]);

        // Act
        write(&kefu, &openid, "hello").await;
        let line = listen.push_line("hello");
        let delivery = text_delivery(&kefu.control(), &kefu.demo.appid).await;

        // Assert
        let announced = format!("for {} ({mode} mode); Ctrl-C to stop", kefu.demo.appid);
        assert!(listen.status[0].ends_with(&announced), "{:?}", listen.status);
        assert!(listen.url.starts_with("http://127.0.0.1:") && listen.url.ends_with("/wx"));
        let shown = format!("  text  from {openid}  Content=\"hello\"");
        assert!(line.contains(&shown) && line.ends_with("-> success"), "{mode}: {line}");
        assert_eq!(
            (delivery.outcome.as_str(), delivery.response.as_str()),
            ("ok", "success")
        );
        assert_eq!(
            delivery.request.contains("hello"),
            mode != "safe",
            "{mode}: {delivery:?}"
        );
    }
}

/// `--json` prints one object a push: the raw body, the opened one, the
/// fields, and that it verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_prints_the_raw_and_the_opened_body() {
    let kefu = Kefu::start();
    let openid = follower(&kefu).await;
    let listen = Listen::start(&kefu, &["--json"]);

    write(&kefu, &openid, "hello").await;
    let line = listen.push_line("\"verified\"");

    let push: serde_json::Value = serde_json::from_str(&line).expect("one JSON object a line");
    assert_eq!(push["verified"], true, "{push}");
    assert_eq!(push["fields"]["Content"], "hello");
    assert_eq!(push["fields"]["FromUserName"], openid.as_str());
    assert_eq!(push["query"]["encrypt_type"], "aes");
    let (body, opened) = (push["body"].as_str().unwrap(), push["opened"].as_str().unwrap());
    assert!(body.contains("<Encrypt>") && !body.contains("hello"), "{body}");
    assert!(opened.contains("<Content><![CDATA[hello]]></Content>"), "{opened}");
}

/// `--reply text:WORDS` answers a sealed passive reply, which kefu keeps
/// as a message to the follower.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_text_reaches_the_follower() {
    let kefu = Kefu::start();
    let openid = follower(&kefu).await;
    let listen = Listen::start(&kefu, &["--reply", "text:we are on it"]);

    write(&kefu, &openid, "help").await;
    let line = listen.push_line("help");

    assert!(line.ends_with("-> text \"we are on it\""), "{line}");
    received(&kefu.control(), &kefu.demo.appid, &openid, "we are on it").await;
    let delivery = text_delivery(&kefu.control(), &kefu.demo.appid).await;
    assert_eq!(delivery.outcome, "ok", "{delivery:?}");
    assert!(delivery.response.contains("<MsgSignature>"), "{delivery:?}");
}

/// `--reply transfer` (in compatible mode, so the answer is sealed) puts
/// the follower in the waiting queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_transfer_queues_the_follower() {
    let kefu = Kefu::start();
    let openid = follower(&kefu).await;
    let _listen = Listen::start(&kefu, &["--reply", "transfer", "--mode", "compatible"]);

    write(&kefu, &openid, "a human please").await;

    let ctl = kefu.control();
    until("the follower waits", || async {
        let app = ctl.app_state(&kefu.demo.appid).await.expect("app state");
        app.waiting.iter().any(|w| w.openid == openid).then_some(())
    })
    .await;
}

/// `--forward` passes the push on unchanged (the developer's server
/// verifies kefu's signatures and opens it) and relays that server's sealed
/// reply, which kefu acts on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_relays_the_developers_answer() {
    let kefu = Kefu::start();
    let appid = kefu.demo.appid.clone();
    let openid = follower(&kefu).await;
    let upstream = Receiver::start(TOKEN, Some(KEY), &appid, Format::Xml).await;
    let reply = format!(
        "<xml><ToUserName><![CDATA[{openid}]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>\
         <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[from upstream]]></Content></xml>"
    );
    upstream.fallback(Answer::Sealed(reply));
    let args = ["--json", "--token", TOKEN, "--aes-key", KEY, "--forward", &upstream.url];
    let listen = Listen::start(&kefu, &args);

    write(&kefu, &openid, "hello").await;
    let line = listen.push_line("\"verified\"");
    let got = upstream.wait_for(1, 20).await;

    let push: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(got[0].body, push["body"].as_str().unwrap());
    assert_eq!(got[0].get("Content"), Some("hello"));
    assert_eq!(push["answered"], "forwarded, answered HTTP 200");
    received(&kefu.control(), &appid, &openid, "from upstream").await;
}

/// When the forward target cannot be reached, the push is answered as
/// `--reply` says and the failure is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_forward_falls_back_to_the_reply() {
    let kefu = Kefu::start();
    let openid = follower(&kefu).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let target = format!("http://{closed}/wx");
    let listen = Listen::start(&kefu, &["--forward", &target, "--reply", "text:fallback"]);

    write(&kefu, &openid, "hello").await;
    let line = listen.push_line("hello");

    assert!(line.contains("-> text \"fallback\" (forward failed: "), "{line}");
    received(&kefu.control(), &kefu.demo.appid, &openid, "fallback").await;
}

/// A forward target that does not answer is given up after 4 s, inside
/// kefu's 5 s push timeout, so kefu still gets the `--reply` answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_forward_is_answered_within_kefus_timeout() {
    let kefu = Kefu::start();
    let openid = follower(&kefu).await;
    let upstream = Receiver::start(TOKEN, Some(KEY), &kefu.demo.appid, Format::Xml).await;
    upstream.fallback(Answer::Stall(Duration::from_secs(30)));
    let args = ["--token", TOKEN, "--aes-key", KEY, "--forward", &upstream.url];
    let listen = Listen::start(&kefu, &args);

    write(&kefu, &openid, "hello").await;
    let line = listen.push_line("hello");
    let delivery = text_delivery(&kefu.control(), &kefu.demo.appid).await;

    assert!(line.ends_with("did not answer within 4 s)"), "{line}");
    assert_eq!(
        (delivery.outcome.as_str(), delivery.response.as_str()),
        ("ok", "success")
    );
}

/// A push or a handshake that does not verify is printed as rejected and
/// answered 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_does_not_verify_is_refused() {
    let kefu = Kefu::start();
    let listen = Listen::start(&kefu, &["--mode", "plaintext"]);
    let http = reqwest::Client::new();
    let forged = format!("{}?signature=0&timestamp=1&nonce=2", listen.url);

    let push = http
        .post(&forged)
        .body("<xml><MsgType>text</MsgType></xml>")
        .send()
        .await
        .unwrap();
    let handshake = http.get(format!("{forged}&echostr=e")).send().await.unwrap();
    let line = listen.push_line("REJECTED");

    assert_eq!((push.status().as_u16(), handshake.status().as_u16()), (401, 401));
    assert!(
        line.contains("REJECTED  signature does not match the Token  -> HTTP 401"),
        "{line}"
    );
}

/// SIGTERM stops the receiver; `--remove-on-exit` removes the settings,
/// otherwise they stay and the exit line says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_stops_it_and_says_where_pushes_go() {
    let kefu = Kefu::start();
    let appid = kefu.demo.appid.clone();
    let mut kept = Listen::start(&kefu, &[]);
    let status = kept.terminate();
    let left = kept.status_line("stopped; ");
    let shown = kefu.control().callback(&appid).await.expect("settings stay");
    let mut removed = Listen::start(&kefu, &["--remove-on-exit"]);
    let removed_status = removed.terminate();
    let said = removed.status_line("stopped; ");
    let gone = kefu.control().callback(&appid).await;

    assert!(status.success() && removed_status.success());
    assert_eq!(
        left,
        format!("stopped; {appid} still pushes here (`kefu callback remove --app {appid}` stops it)")
    );
    assert_eq!(shown.settings.url, kept.url);
    assert_eq!(said, format!("stopped; removed the push settings of {appid}"));
    assert!(
        matches!(&gone, Err(ClientError::Control { error, .. }) if error == "callback_not_found"),
        "{gone:?}"
    );
}

/// `kefu listen --port 0 ARGS --server SERVER`, to its exit.
async fn run(args: &[&str], server: &str) -> CliOutput {
    cli(&[&["listen", "--port", "0"][..], args, &["--server", server]].concat()).await
}

/// A wrong `--app`, a bad `--aes-key`, a port in use, settings the server
/// refuses and an unreachable server fail at once with a clear message and
/// exit code 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_start_ups_fail_clearly() {
    let kefu = Kefu::start();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let nowhere = format!("http://{closed}");
    let demo = kefu.demo.appid.as_str();

    let wrong_app = run(&["--app", "wx_nobody"], &kefu.base).await;
    let bad_key = run(&["--app", demo, "--aes-key", "short"], &kefu.base).await;
    let in_use = cli(&["listen", "--app", demo, "--port", &port, "--server", &kefu.base]).await;
    let bad_token = run(&["--app", demo, "--token", "ab"], &kefu.base).await;
    let unreachable = run(&["--app", demo], &nowhere).await;

    let failed = |out: &CliOutput| (out.code, out.stderr.trim().to_owned());
    let wrong = "kefu: app wx_nobody: control error 404 app_not_found: app not found";
    assert_eq!(failed(&wrong_app), (Some(1), wrong.into()));
    let short = "kefu: --aes-key: EncodingAESKey must be 43 characters";
    assert_eq!(failed(&bad_key), (Some(1), short.into()));
    assert_eq!(in_use.code, Some(1));
    let busy = format!("kefu: cannot listen on 127.0.0.1:{port}: ");
    assert!(in_use.stderr.starts_with(&busy), "{in_use:?}");
    let refused = format!("kefu: app {demo}: control error 400 bad_request: token must be 3-32 letters or digits");
    assert_eq!(failed(&bad_token), (Some(1), refused));
    assert_eq!(unreachable.code, Some(1));
    let cannot = format!("kefu: app {demo}: cannot connect to {nowhere} (is `kefu serve` running?): ");
    assert!(unreachable.stderr.starts_with(&cannot), "{unreachable:?}");
}

/// With `--remove-on-exit`, a server gone by the time of the signal makes
/// the exit fail and say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_settings_from_a_gone_server_fails() {
    let kefu = Kefu::start();
    let (appid, base) = (kefu.demo.appid.clone(), kefu.base.clone());
    let mut listen = Listen::start(&kefu, &["--remove-on-exit"]);
    kefu.kill();

    let status = listen.terminate();
    let said = listen.status_line("kefu: ");

    assert_eq!(status.code(), Some(1));
    assert!(
        said.starts_with(&format!(
            "kefu: app {appid}: cannot connect to {base} (is `kefu serve` running?): "
        )),
        "{said}"
    );
}

/// `kefu listen --help` ends with an example.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_has_an_example() {
    let help = cli(&["listen", "--help"]).await;

    assert_eq!(help.code, Some(0), "{help:?}");
    assert!(
        help.stdout.contains("Example:\n  kefu listen --app "),
        "{}",
        help.stdout
    );
}

/// `kefu fan event … CLICK --key KEY` pushes the menu key as `EventKey`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_menu_click_from_the_cli_pushes_its_key() {
    let kefu = Kefu::start();
    let openid = follower(&kefu).await;
    let listen = Listen::start(&kefu, &["--mode", "plaintext"]);

    let out = kefu
        .cli(&[
            "fan",
            "event",
            "--app",
            &kefu.demo.appid,
            &openid,
            "CLICK",
            "--key",
            "MENU_HELP",
        ])
        .await;

    assert_eq!(out.code, Some(0), "{out:?}");
    let line = listen.push_line("MENU_HELP");
    assert!(line.contains("EventKey=\"MENU_HELP\""), "{line}");
}

/// Every command's `--help` ends with an example of it.
#[tokio::test]
async fn every_commands_help_has_an_example() {
    let commands = [
        "serve",
        "migrate",
        "ca",
        "app",
        "follow",
        "invite",
        "fan",
        "waitcase",
        "worker",
        "component",
        "callback",
        "deliveries",
        "journal",
        "fault",
        "compat",
        "wechat-user",
        "clock",
        "reset",
        "token",
        "listen",
    ];
    for command in commands {
        let out = crate::support::cli(&[command, "--help"]).await;
        assert_eq!(out.code, Some(0), "{command}: {out:?}");
        assert!(
            out.stdout.contains("Example:\n  kefu "),
            "{command} --help has no example:\n{}",
            out.stdout
        );
    }
}
