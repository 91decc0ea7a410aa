//! Seed files: every rule a file can break, named with its place in the
//! file; the rules only the store can judge, which leave nothing of the
//! file applied; follow states brought to the declared values; and a reset
//! whose seed no longer fits the store.

use crate::support::TestApp;
use kefu_core::limits::Limits;
use kefu_server::{apply_seed, SeedFile};
use serde_json::{json, Value};

fn parse(seed: &Value, limits: &Limits) -> Result<SeedFile, String> {
    SeedFile::parse("s.json".into(), &seed.to_string(), limits).map_err(|e| e.to_string())
}

/// One app `wx1` (WeChat ID `shop`) with `extra` fields.
fn shop(extra: Value) -> Value {
    let mut app = json!({"appid": "wx1", "wechat_id": "shop"});
    app.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app
}

fn apps(app: Value) -> Value {
    json!({ "apps": [app] })
}

#[test]
fn every_rule_of_the_file_is_named_with_its_place() {
    let kf = |k: Value| apps(shop(json!({ "kf": [k] })));
    let cb = |c: Value| apps(shop(json!({ "callback": c })));
    let small = Limits {
        max_kf_accounts: 1,
        ..Limits::default()
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            apps(json!({"appid": "wx 1", "wechat_id": "shop"})),
            "apps[0].appid: \"wx 1\" must be 1-32 of [A-Za-z0-9_-]",
        ),
        (
            apps(json!({"appid": "wx1", "wechat_id": ""})),
            "apps[0].wechat_id: \"\" must be 1-32 of [A-Za-z0-9_-]",
        ),
        (
            apps(shop(json!({"account_type": "blog"}))),
            "apps[0].account_type: unknown account_type \"blog\"",
        ),
        (
            apps(shop(json!({"ip_whitelist": ["nowhere"]}))),
            "apps[0].ip_whitelist: \"nowhere\" is not an IP address or CIDR range",
        ),
        (
            apps(shop(json!({"quotas": {"/nope": {"daily": 1}}}))),
            "apps[0].quotas: \"/nope\" is not an endpoint path",
        ),
        (
            kf(json!({"kf_account": "a-b@shop", "nickname": "A"})),
            "apps[0].kf[0].kf_account: \"a-b@shop\" must be 1-10 of [A-Za-z0-9_], then \"@shop\"",
        ),
        (
            kf(json!({"kf_account": "a@shop", "nickname": " "})),
            "apps[0].kf[0].nickname: \" \" must be 1-16 characters, not only white space",
        ),
        (
            kf(json!({"kf_account": "a@shop", "nickname": "A", "worker": "1x"})),
            "apps[0].kf[0].worker: \"1x\" is not a WeChat ID (6-20 characters: a letter, then letters, digits, _ or -)",
        ),
        (
            apps(shop(
                json!({"kf": [{"kf_account": "a@shop", "nickname": "A"}, {"kf_account": "a@shop", "nickname": "B"}]}),
            )),
            "apps[0].kf[1].kf_account: \"a@shop\" also apps[0].kf[0]",
        ),
        (
            apps(shop(json!({"kf": [
                {"kf_account": "a@shop", "nickname": "A", "worker": "worker_a"},
                {"kf_account": "b@shop", "nickname": "B", "worker": "worker_a"}
            ]}))),
            "apps[0].kf[1].worker: \"worker_a\" also apps[0].kf[0] (a worker binds one account of an app)",
        ),
        (
            apps(shop(json!({"fans": [{"openid": ""}]}))),
            "apps[0].fans[0].openid: must not be empty",
        ),
        (
            apps(shop(json!({"fans": [{"openid": "o\u{1}"}]}))),
            "apps[0].fans[0].openid: openid: U+0001 is a control character no WeChat message can carry",
        ),
        (
            apps(shop(json!({"fans": [{"openid": "o1"}, {"openid": "o1"}]}))),
            "apps[0].fans[1].openid: \"o1\" also apps[0].fans[0]",
        ),
        (
            cb(json!({"url": "ftp://h", "token": "tok"})),
            "apps[0].callback: url must start with http:// or https:// and name a host",
        ),
        (
            cb(json!({"url": "http://h", "token": "tok", "mode": "loud"})),
            "apps[0].callback.mode: unknown mode \"loud\"",
        ),
        (
            cb(json!({"url": "http://h", "token": "tok", "format": "yaml"})),
            "apps[0].callback.format: unknown format \"yaml\"",
        ),
        (
            cb(json!({"url": "http://h", "token": "tok", "format": "json"})),
            "apps[0].callback: json format is for mini programs and mini games only",
        ),
        (
            json!({"apps": [shop(json!({}))], "components": [{"component_appid": "wx1"}]}),
            "components[0].component_appid: \"wx1\" is apps[0]'s appid",
        ),
        (
            json!({"components": [{"component_appid": "c1"}, {"component_appid": "c1"}]}),
            "components[1].component_appid: \"c1\" also components[0]",
        ),
        (
            json!({"components": [{"component_appid": ""}]}),
            "components[0].component_appid: \"\" must be 1-32 of [A-Za-z0-9_-]",
        ),
        (
            json!({"components": [{"component_appid": "c1", "ip_whitelist": ["x"]}]}),
            "components[0].ip_whitelist: \"x\" is not an IP address or CIDR range",
        ),
        (
            json!({"components": [{"component_appid": "c1", "authorizations": [{"appid": "a"}, {"appid": "a"}]}]}),
            "components[0].authorizations[1].appid: \"a\" also components[0].authorizations[0]",
        ),
        (
            json!({"apps": {}}),
            "apps: invalid type: map, expected a sequence at line 1 column 8",
        ),
    ];
    for (seed, why) in cases {
        assert_eq!(parse(&seed, &Limits::default()).unwrap_err(), format!("s.json: {why}"));
    }
    let two = apps(shop(
        json!({"kf": [{"kf_account": "a@shop", "nickname": "A"}, {"kf_account": "b@shop", "nickname": "B"}]}),
    ));
    assert_eq!(
        parse(&two, &small).unwrap_err(),
        "s.json: apps[0].kf: 2 accounts, more than the 1 an app may have"
    );
}

/// Applies `seed` to `app`'s store; the error's text when refused.
async fn apply(app: &TestApp, seed: Value) -> Result<(), String> {
    let file = parse(&seed, &app.state.config.limits)?;
    apply_seed(&app.state, Some(&file))
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Refused by the store's rules: the error names the place, and neither the
/// app `wxnew` the file also declares nor anything else of it was applied.
async fn refused(app: &TestApp, seed: Value, why: &str) {
    let mut seed = seed;
    seed["apps"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"appid": "wxnew", "wechat_id": "new"}));
    let why = why.replace("apps[0]", "apps[1]").replace("apps[+]", "apps[2]");
    assert_eq!(apply(app, seed).await.unwrap_err(), format!("s.json: {why}"));
    assert_eq!(app.get("/_kefu/apps/wxnew").await.status, 404, "{why}");
}

#[tokio::test]
async fn rules_only_the_store_can_judge_leave_nothing_applied() {
    let small = Limits {
        max_kf_accounts: 1,
        max_bindings_per_worker: 1,
        ..Limits::default()
    };
    let app = TestApp::with_limits(small).await;
    let id = app.appid.clone();
    app.control("POST", "/_kefu/components", json!({"component_appid": "wxcomp"}))
        .await;
    let kf = |account: &str| json!({"kf_account": account, "nickname": "A", "worker": "worker_a"});
    apply(
        &app,
        json!({"apps": [{"appid": id, "wechat_id": "test", "kf": [kf("a@test")]}]}),
    )
    .await
    .unwrap();

    let other = json!({"apps": [{"appid": id, "wechat_id": "other"}]});
    refused(
        &app,
        other,
        "apps[0].wechat_id: \"other\", but the stored app's is \"test\"",
    )
    .await;
    let comp = json!({"apps": [{"appid": "wxcomp", "wechat_id": "c"}]});
    refused(&app, comp, "apps[0].appid: \"wxcomp\" is a stored component's appid").await;
    let taken = json!({"apps": [], "components": [{"component_appid": id}]});
    refused(
        &app,
        taken,
        &format!("components[0].component_appid: \"{id}\" is a stored app's appid"),
    )
    .await;
    let full = json!({"apps": [{"appid": id, "wechat_id": "test", "kf": [{"kf_account": "b@test", "nickname": "B"}]}]});
    refused(
        &app,
        full,
        "apps[0].kf[0].kf_account: the app has 1 kf accounts already",
    )
    .await;
    let bound = json!({"apps": [{"appid": id, "wechat_id": "test", "kf": [{"kf_account": "a@test", "nickname": "A"}]},
                                {"appid": "wx2", "wechat_id": "two", "kf": [kf("b@two")]}]});
    refused(
        &app,
        bound,
        "apps[+].kf[0].worker: \"worker_a\" is bound to 1 accounts already (the limit)",
    )
    .await;
}

#[tokio::test]
async fn a_worker_bound_to_another_account_of_the_app_is_refused() {
    let app = TestApp::new().await;
    let id = app.appid.clone();
    let kf = |account: &str| json!({"kf_account": account, "nickname": "A", "worker": "worker_a"});
    apply(
        &app,
        json!({"apps": [{"appid": id, "wechat_id": "test", "kf": [kf("a@test")]}]}),
    )
    .await
    .unwrap();
    let again = json!({"apps": [{"appid": id, "wechat_id": "test", "kf": [kf("b@test")]}]});
    refused(
        &app,
        again,
        "apps[0].kf[0].worker: \"worker_a\" is bound to \"a@test\" already",
    )
    .await;
}

/// Whether `app`'s first follower follows.
async fn subscribed(app: &TestApp) -> Value {
    let path = format!("/_kefu/apps/{}", app.appid);
    app.control("GET", &path, json!(null)).await["followers"][0]["subscribed"].clone()
}

#[tokio::test]
async fn followers_are_brought_to_the_declared_subscription() {
    let app = TestApp::new().await;
    let id = app.appid.clone();
    let fans = |subscribed: bool| json!({"apps": [{"appid": id, "wechat_id": "test", "fans": [{"openid": "o1", "subscribed": subscribed}]}]});
    apply(&app, fans(true)).await.unwrap();
    let first = subscribed(&app).await;
    apply(&app, fans(false)).await.unwrap();
    let left = subscribed(&app).await;
    apply(&app, fans(true)).await.unwrap();
    let back = subscribed(&app).await;

    assert_eq!((first, left, back), (json!(true), json!(false), json!(true)));
}

/// A seed authorizing an app only the store had cannot be applied after a
/// wipe: the reset is refused (409) and changes nothing.
#[tokio::test]
async fn a_reset_whose_seed_no_longer_fits_changes_nothing() {
    let app = TestApp::new().await;
    let seed = json!({"components": [{"component_appid": "wxcomp", "authorizations": [{"appid": app.appid}]}]});
    apply(&app, seed).await.unwrap();

    let r = app.send("POST", "/_kefu/reset", "{}", Some("application/json")).await;

    assert_eq!(r.status, 409, "{}", r.body);
    let why = format!(
        "components[0].authorizations[0].appid: \"{}\" is neither an app of this file nor a stored app",
        app.appid
    );
    assert_eq!(r.json()["message"], format!("the seed: {why}"));
    assert_eq!(app.get(&format!("/_kefu/apps/{}", app.appid)).await.status, 200);
}
