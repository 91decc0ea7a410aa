//! `kefu serve --seed FILE`: the world declared in a file, applied once per
//! start without changing what is already there, refused whole when a rule
//! is broken, and brought back by a reset.

use crate::support::{cli, data_dir, sqlite_url, Kefu};
use kefu_api::control as c;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The example shipped in the repository.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed.json");
const SHOP: &str = "wx5e3d1f2a9b8c7d60";
const COMPONENT: &str = "wx9a8b7c6d5e4f3a21";

/// Writes `seed` as `seed.json` in `dir`.
fn seed_file(dir: &Path, seed: &serde_json::Value) -> PathBuf {
    let path = dir.join("seed.json");
    std::fs::write(&path, seed.to_string()).expect("write the seed");
    path
}

/// The example with push settings whose URL answers nothing (port 9 of
/// loopback is closed).
fn example_with_callback() -> serde_json::Value {
    let text = std::fs::read_to_string(EXAMPLE).expect("read the example");
    let mut seed: serde_json::Value = serde_json::from_str(&text).expect("the example is JSON");
    seed["apps"][0]["callback"] = json!({"url": "http://127.0.0.1:9/wx", "token": "myToken"});
    seed
}

/// Everything the control API shows of the seeded world.
async fn world(kefu: &Kefu) -> (c::AppState, serde_json::Value, serde_json::Value) {
    let control = kefu.control();
    let app = control.app_state(SHOP).await.expect("the shop");
    let component = control.component(COMPONENT).await.expect("the component");
    let callback = control.callback(SHOP).await.expect("the callback");
    let component = serde_json::to_value(component).expect("component as JSON");
    (
        app,
        component,
        serde_json::to_value(callback).expect("callback as JSON"),
    )
}

/// A second start with the same file changes nothing; the callback is
/// saved although its URL does not answer, with a warning in the log.
#[tokio::test]
async fn a_seed_applied_twice_changes_nothing() {
    // Arrange
    let (dir, db) = data_dir();
    let file = seed_file(dir.path(), &example_with_callback());
    let args = ["--seed", file.to_str().expect("utf-8 path")];
    let first = Kefu::start_on(&db, &args);
    let before = world(&first).await;
    let log = first.output_with("does not answer the handshake").await;
    first.kill();

    // Act
    let second = Kefu::start_on(&db, &args);
    let after = world(&second).await;

    // Assert
    assert!(log.contains("does not answer the handshake"), "{log}");
    assert_eq!(before, after);
    assert_eq!(after.2["settings"]["url"], "http://127.0.0.1:9/wx");
}

/// The example applies cleanly (named by `KEFU_SEED`): two accounts (one
/// online), four users (one a visitor), the quota, and the component with
/// its authorization.
#[tokio::test]
async fn the_example_seed_applies_cleanly() {
    // Act
    let (_dir, db) = data_dir();
    let kefu = Kefu::start_url(&sqlite_url(&db), &[], &[("KEFU_SEED", EXAMPLE)]);

    // Assert
    let control = kefu.control();
    let app = control.app_state(SHOP).await.expect("the shop");
    assert_eq!(app.app.wechat_id, "shop");
    assert_eq!(app.app.secret, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    assert_eq!(app.app.quotas["/customservice/kfsession/create"].daily, Some(1000));
    let kf: Vec<_> = app
        .kf_accounts
        .iter()
        .map(|k| (k.kf_account.as_str(), k.kf_id, k.worker.as_deref(), k.online))
        .collect();
    assert_eq!(
        kf,
        [
            ("alice@shop", 1001, Some("alice_wx"), true),
            ("bob@shop", 1002, Some("bob_wx"), false)
        ]
    );
    let subscribed: Vec<_> = app.followers.iter().map(|f| f.subscribed).collect();
    assert_eq!(subscribed, [true, true, true, false]);
    let component = control.component(COMPONENT).await.expect("the component");
    assert_eq!(component.authorizations.len(), 1);
    assert_eq!(component.authorizations[0].appid, SHOP);
    assert_eq!(component.authorizations[0].permission_sets, [1, 6]);
}

/// A reset brings the seeded world back (and the demo app beside it); a
/// start without the seed forgets it, and a reset then brings only the demo.
#[tokio::test]
async fn reset_brings_the_seeded_world_back_until_a_start_without_it() {
    // Arrange
    let (_dir, db) = data_dir();
    let kefu = Kefu::start_on(&db, &["--seed", EXAMPLE]);
    let control = kefu.control();
    let seeded = control.app_state(SHOP).await.expect("the shop");
    control.follow(SHOP, Some("oSomeoneNew")).await.expect("a new follower");
    control
        .set_worker_online(SHOP, "alice@shop", false)
        .await
        .expect("alice leaves");

    // Act
    let done = control.reset().await.expect("reset");
    let back = control.app_state(SHOP).await.expect("the shop is back");
    kefu.kill();
    let plain = Kefu::start_on(&db, &[]);
    let plain_done = plain.control().reset().await.expect("reset without the seed");

    // Assert
    let seeded_counts = done.seeded.expect("the answer says what the seed brought back");
    assert_eq!((seeded_counts.apps, seeded_counts.components), (1, 1));
    assert!(done.demo_app.is_some());
    let accounts = |s: &c::AppState| -> Vec<(String, i64, Option<String>, bool)> {
        let k = s.kf_accounts.iter();
        k.map(|k| (k.kf_account.clone(), k.kf_id, k.worker.clone(), k.online))
            .collect()
    };
    let users = |s: &c::AppState| -> Vec<(String, bool)> {
        s.followers.iter().map(|f| (f.openid.clone(), f.subscribed)).collect()
    };
    assert_eq!(accounts(&back), accounts(&seeded));
    assert_eq!(users(&back), users(&seeded));
    assert_eq!(back.app.secret, seeded.app.secret);
    assert_eq!(plain_done.seeded, None);
    assert!(plain_done.demo_app.is_some());
    let apps = plain.control().list_apps().await.expect("apps");
    assert_eq!(apps.len(), 1, "{apps:?}");
}

/// Each broken rule stops the start with exit code 1, naming the file, the
/// place in it and the rule, before the store is opened.
#[tokio::test]
async fn each_broken_rule_stops_the_start_before_the_store_is_opened() {
    let shop = |extra: serde_json::Value| {
        let mut app = json!({"appid": "wx1", "wechat_id": "shop"});
        app.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        app
    };
    let cases = [
        (
            json!({"apps": [shop(json!({})), shop(json!({}))]}),
            "apps[1].appid: \"wx1\" also apps[0]",
        ),
        (
            json!({"apps": [shop(json!({"kf": [{"kf_account": "bob@other", "nickname": "Bob"}]}))]}),
            "apps[0].kf[0].kf_account: \"bob@other\" must end with \"@shop\" (the app's wechat_id)",
        ),
        (
            json!({"apps": [shop(json!({"colour": "red"}))]}),
            "apps[0].colour: unknown field `colour`",
        ),
        (
            json!({"apps": [shop(json!({"kf": [{"kf_account": "bob@shop", "nickname": "Bob", "online": true}]}))]}),
            "apps[0].kf[0].online: needs a worker (an account without one cannot go online)",
        ),
        (
            json!({"apps": [shop(json!({"callback": {"url": "http://127.0.0.1:9/wx", "token": "x"}}))]}),
            "apps[0].callback: token must be 3-32 letters or digits",
        ),
        (
            json!({"apps": [shop(json!({"callback": {"url": "http://h/wx", "token": "tok", "mode": "safe"}}))]}),
            "apps[0].callback: compatible and safe mode need an encoding_aes_key",
        ),
        (
            json!({"components": [{"component_appid": "wx1", "authorizations": [{"appid": "wx1", "permission_sets": [0]}]}]}),
            "components[0].authorizations[0].permission_sets: permission sets are positive ids",
        ),
    ];
    for (seed, why) in cases {
        let (dir, db) = data_dir();
        let file = seed_file(dir.path(), &seed);
        let out = serve_with_seed(&db, &file).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        let expected = format!("kefu: {}: {why}", file.display());
        assert!(out.stderr.contains(&expected), "expected {expected:?} in {out:?}");
        assert!(!db.exists(), "the store was opened: {why}");
    }
}

/// A file that is not JSON, or missing, is refused by name.
#[tokio::test]
async fn an_unreadable_or_unparsable_file_stops_the_start() {
    let (dir, db) = data_dir();
    let file = dir.path().join("seed.json");
    std::fs::write(&file, "{\"apps\": [").expect("write");
    let broken = serve_with_seed(&db, &file).await;
    let missing = serve_with_seed(&db, &dir.path().join("none.json")).await;
    assert_eq!(broken.code, Some(1), "{broken:?}");
    let expected = format!(
        "kefu: {}: apps: EOF while parsing a list at line 1 column 10",
        file.display()
    );
    assert!(broken.stderr.contains(&expected), "{broken:?}");
    assert_eq!(missing.code, Some(1), "{missing:?}");
    assert!(missing.stderr.contains("none.json: cannot read it: "), "{missing:?}");
    assert!(!db.exists());
}

/// An authorization for an app neither in the file nor in the store stops
/// the start, and nothing of the file was applied.
#[tokio::test]
async fn an_authorization_for_an_unknown_app_applies_nothing() {
    // Arrange
    let (dir, db) = data_dir();
    let seed = json!({
        "apps": [{"appid": "wxshop", "wechat_id": "shop"}],
        "components": [{"component_appid": "wxcomp", "authorizations": [{"appid": "wxnobody"}]}]
    });
    let file = seed_file(dir.path(), &seed);

    // Act
    let out = serve_with_seed(&db, &file).await;

    // Assert
    assert_eq!(out.code, Some(1), "{out:?}");
    let why = "components[0].authorizations[0].appid: \"wxnobody\" is neither an app of this file nor a stored app";
    assert!(
        out.stderr.contains(&format!("kefu: {}: {why}", file.display())),
        "{out:?}"
    );
    let kefu = Kefu::start_on(&db, &[]);
    let apps = kefu.control().list_apps().await.expect("apps");
    assert_eq!(apps.len(), 1, "only the demo app: {apps:?}");
    assert!(kefu.control().component("wxcomp").await.is_err());
}

/// `kefu serve --seed FILE` on `db`, expected to exit.
async fn serve_with_seed(db: &Path, file: &Path) -> crate::support::CliOutput {
    let url = sqlite_url(db);
    let file = file.to_str().expect("utf-8 path");
    cli(&["serve", "--listen", "127.0.0.1:0", "--database", &url, "--seed", file]).await
}

/// Two instances started together on one PostgreSQL schema with one seed:
/// both start, and both show one world (each kf account made once).
/// Skipped (passing) without PostgreSQL unless `KEFU_REQUIRE_POSTGRES=1`.
#[tokio::test]
async fn two_instances_started_together_with_one_seed_agree() {
    let Some(schema) = crate::pg::PgSchema::fresh() else {
        return;
    };
    let url = schema.url("");
    let args = ["--seed", EXAMPLE];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Kefu::start_url(&url, &args, &[]));
        let b = s.spawn(|| Kefu::start_url(&url, &args, &[]));
        (a.join().expect("instance a"), b.join().expect("instance b"))
    });

    let seen_by_a = a.control().app_state(SHOP).await.expect("the shop through a");
    let seen_by_b = b.control().app_state(SHOP).await.expect("the shop through b");

    assert_eq!(seen_by_a, seen_by_b);
    let ids: Vec<_> = seen_by_a.kf_accounts.iter().map(|k| k.kf_id).collect();
    assert_eq!(ids, [1001, 1002]);
    a.kill();
    b.kill();
}
