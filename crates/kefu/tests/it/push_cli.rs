//! The push commands, run as subprocesses against a running server and a
//! developer's server that checks every signature and opens every envelope:
//! `callback set`, `show` and `remove`, and `deliveries`.

use crate::receiver::{Arrival, Receiver};
use crate::support::Kefu;
use kefu_api::callback::Format;
use kefu_api::control::{Followed, Sent};
use kefu_api::control_push::{CallbackSettings, CallbackState, DeliveryState};
use kefu_client::ControlClient;
use std::time::Duration;

/// The developer's Token.
pub const TOKEN: &str = "kefuToken1";
/// The developer's EncodingAESKey.
pub const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// The frozen virtual "now".
const T0: i64 = 1_700_000_000;
const FROZEN: [&str; 2] = ["--frozen-clock", "1700000000"];

/// A new follower of the demo app, through the CLI.
async fn follow(kefu: &Kefu) -> String {
    kefu.cli(&["follow", "--app", &kefu.demo.appid])
        .await
        .json::<Followed>()
        .openid
}

/// `fan write --app APP OPENID TEXT`: the new message's id.
async fn write(kefu: &Kefu, openid: &str, text: &str) -> i64 {
    let sent: Sent = kefu
        .cli(&["fan", "write", "--app", &kefu.demo.appid, openid, text])
        .await
        .json();
    sent.msgid
}

/// Resolves once the app's outbox is empty: every push had its last try
/// logged, so none is in flight or still to come.
pub async fn drained(ctl: &ControlClient, appid: &str) {
    for _ in 0..300 {
        if ctl.callback(appid).await.expect("callback").pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox of {appid} never emptied");
}

/// `deliveries APPID` polled until it lists `n` entries (each is logged
/// once the developer's server answered).
async fn logged(kefu: &Kefu, n: usize) -> Vec<DeliveryState> {
    for _ in 0..100 {
        let log: Vec<DeliveryState> = kefu.cli(&["deliveries", "--app", &kefu.demo.appid]).await.json();
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery log never reached {n} entries");
}

/// What a successful first try of `arrival` logs.
fn ok_entry(entry: &DeliveryState, receiver: &Receiver, arrival: &Arrival, openid: &str) -> DeliveryState {
    DeliveryState {
        openid: openid.into(),
        event: "text".into(),
        attempt: 1,
        at: T0,
        url: format!("{}?{}", receiver.url, arrival.query),
        request: arrival.body.clone(),
        status: Some(200),
        response: "success".into(),
        outcome: "ok".into(),
        detail: "nothing to do".into(),
        last: true,
        ..entry.clone()
    }
}

/// `callback set` saves safe-mode settings after the handshake and prints
/// them; `callback show` prints the same; a follower's message then reaches
/// the developer's server sealed, and `deliveries` logs each try as `ok`
/// (paged with `--limit` and `--before`); after `callback remove`, `show`
/// fails with `callback_not_found` and nothing more is pushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_commands_configure_show_log_and_remove_pushes() {
    // Arrange
    let kefu = Kefu::start_with(&FROZEN);
    let appid = kefu.demo.appid.clone();
    let openid = follow(&kefu).await;
    let r = Receiver::start(TOKEN, Some(KEY), &appid, Format::Xml).await;
    let set_args = ["callback", "set", "--app", &appid, "--url", &r.url, "--token", TOKEN];

    // Act
    let set: CallbackState = kefu
        .cli(&[&set_args[..], &["--aes-key", KEY, "--mode", "safe"]].concat())
        .await
        .json();
    let shown: CallbackState = kefu.cli(&["callback", "show", "--app", &appid]).await.json();
    let first = write(&kefu, &openid, "hello").await;
    let second = write(&kefu, &openid, "again").await;
    let got = r.exactly(2, 10, drained(&kefu.control(), &appid)).await;
    let log = logged(&kefu, 2).await;
    let newest: Vec<DeliveryState> = kefu.cli(&["deliveries", "--app", &appid, "--limit", "1"]).await.json();
    let older = kefu
        .cli(&["deliveries", "--app", &appid, "--before", &log[0].id.to_string()])
        .await;
    let removed = kefu.cli(&["callback", "remove", "--app", &appid]).await;
    let gone = kefu.cli(&["callback", "show", "--app", &appid]).await;
    write(&kefu, &openid, "anyone?").await;
    // Saved again, the settings find an empty outbox: nothing was queued.
    let again: CallbackState = kefu
        .cli(&[&set_args[..], &["--aes-key", KEY, "--mode", "safe"]].concat())
        .await
        .json();

    // Assert
    let settings = CallbackSettings {
        url: r.url.clone(),
        token: TOKEN.into(),
        encoding_aes_key: Some(KEY.into()),
        mode: Some("safe".into()),
        format: Some("xml".into()),
    };
    let expected = CallbackState {
        settings,
        updated_at: T0,
        pending: 0,
    };
    assert_eq!((&set, &shown), (&expected, &expected));
    let ids: Vec<&str> = got.iter().map(|a| a.get("MsgId").unwrap_or_default()).collect();
    assert_eq!(ids, [first.to_string(), second.to_string()]);
    assert_eq!(
        (got[0].get("Content"), got[1].get("Content")),
        (Some("hello"), Some("again"))
    );
    assert!(got
        .iter()
        .all(|a| a.param("openid").as_deref() == Some(openid.as_str())));
    assert!(got.iter().all(|a| a.param("encrypt_type").as_deref() == Some("aes")));
    assert!(
        !got[0].body.contains("hello"),
        "safe mode sends the envelope only: {}",
        got[0].body
    );
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(log[0], ok_entry(&log[0], &r, &got[1], &openid));
    assert_eq!(log[1], ok_entry(&log[1], &r, &got[0], &openid));
    assert!(log[0].id > log[1].id && log[0].push_id != log[1].push_id, "{log:#?}");
    assert_eq!(newest, log[..1]);
    assert_eq!(older.json::<Vec<DeliveryState>>(), log[1..]);
    assert_eq!((removed.code, removed.stdout.as_str()), (Some(0), ""), "{removed:?}");
    assert_eq!(gone.code, Some(1), "{gone:?}");
    assert_eq!((again.pending, r.arrivals().len()), (0, 2));
    assert_eq!(
        gone.stderr,
        "kefu: control error 404 callback_not_found: callback not found\n"
    );
    assert_eq!(r.arrivals().len(), 2, "nothing is pushed once the callback is removed");
}

/// `callback set` with an EncodingAESKey that is not 43 letters or digits
/// exits 1 with the control API's 400 and its sentence, and the settings
/// saved before stay as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_set_with_a_bad_key_fails_with_the_message() {
    // Arrange
    let kefu = Kefu::start();
    let appid = kefu.demo.appid.clone();
    let r = Receiver::start(TOKEN, Some(KEY), &appid, Format::Xml).await;

    // Act
    let out = kefu
        .cli(&["callback", "set", "--app", &appid, "--url", &r.url, "--token", TOKEN])
        .await;
    let bad = kefu
        .cli(&[
            "callback",
            "set",
            "--app",
            &appid,
            "--url",
            &r.url,
            "--token",
            TOKEN,
            "--aes-key",
            "tooShort",
            "--mode",
            "safe",
        ])
        .await;
    let shown = kefu.cli(&["callback", "show", "--app", &appid]).await;

    // Assert
    assert_eq!(out.code, Some(0), "plaintext needs no key: {out:?}");
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert_eq!(bad.stdout, "");
    assert_eq!(
        bad.stderr,
        "kefu: control error 400 bad_request: encoding_aes_key must be 43 letters or digits\n"
    );
    let state: CallbackState = shown.json();
    assert_eq!(
        (state.settings.mode.as_deref(), state.settings.encoding_aes_key),
        (Some("plaintext"), None)
    );
}

/// `callback set` against a URL that does not echo `echostr` (it checks
/// the signature with another Token) exits 1 with `verification_failed`,
/// and the app keeps no settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_set_fails_when_the_url_does_not_echo() {
    // Arrange
    let kefu = Kefu::start();
    let appid = kefu.demo.appid.clone();
    let other = Receiver::start("anotherToken", None, &appid, Format::Xml).await;

    // Act
    let out = kefu
        .cli(&[
            "callback", "set", "--app", &appid, "--url", &other.url, "--token", TOKEN,
        ])
        .await;
    let shown = kefu.cli(&["callback", "show", "--app", &appid]).await;

    // Assert
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(
            "kefu: control error 422 verification_failed: the verification was answered, but not with the echostr alone"
        ),
        "{out:?}"
    );
    assert_eq!(shown.code, Some(1), "{shown:?}");
    assert!(
        shown.stderr.contains("control error 404 callback_not_found"),
        "{shown:?}"
    );
    assert!(other.arrivals().is_empty());
}
