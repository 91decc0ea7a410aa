//! Hostile requests to every operation of both OpenAPI documents (the
//! WeChat side and the control API), generated from the documents
//! themselves: path parameters, query parameters and bodies of the right
//! and the wrong shapes, hostile strings, wrong methods and content types.
//! Seeded, so a failure replays exactly, and bounded in time. Whatever
//! comes in: no panic, no 500 (nor WeChat's `-1 system error`), a JSON
//! answer, and a refused call changes nothing.

mod gen;

use crate::support::{Reply, TestApp};
use gen::{Gen, Op};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SEEDS: [u64; 4] = [3, 17, 101, 4242];
/// Each seed's share of the test's time.
const BUDGET: Duration = Duration::from_secs(4);
/// Each seed's most requests.
const MAX_REQUESTS: usize = 600;

/// Everything a refused call must leave as it was.
async fn state(app: &TestApp) -> Value {
    json!({
        "app": app.snapshot().await,
        "apps": app.control("GET", "/_kefu/apps", Value::Null).await,
        "clock": app.control("GET", "/_kefu/clock", Value::Null).await,
    })
}

/// Sets up a world worth attacking: a kf account with a worker online, a
/// follower in a session, another waiting.
async fn world(app: &TestApp) -> gen::Known {
    let kf = app.online_kf("fuzz", "worker_fuzz").await;
    let talking = app.follow().await;
    let waiting = app.follow().await;
    app.wx(
        "/customservice/kfsession/create",
        json!({"kf_account": kf, "openid": talking}),
    )
    .await
    .assert_ok();
    let queue = format!("/_kefu/apps/{}/waitcase", app.appid);
    app.control("POST", &queue, json!({ "openid": waiting })).await;
    gen::Known {
        appid: app.appid.clone(),
        token: app.token.clone(),
        kf_account: kf,
        openids: vec![talking, waiting],
    }
}

/// Whether the answer is a refusal, after checking it is a sound one.
fn judge(op: &Op, method: &str, uri: &str, r: &Reply) -> bool {
    let what = format!("{method} {uri} ({} {}): {} {}", op.method, op.path, r.status, r.body);
    assert!(r.status < 500, "a 5xx answer: {what}");
    if method == "HEAD" {
        // No body to judge by: counted as a change, so the state is re-read.
        return false;
    }
    if op.wechat {
        assert_eq!(r.status, 200, "WeChat answers 200: {what}");
        let body: Value = serde_json::from_slice(&r.bytes).unwrap_or_else(|_| panic!("not JSON: {what}"));
        let errcode = body.get("errcode").and_then(Value::as_i64).unwrap_or(0);
        assert_ne!(errcode, -1, "an internal error: {what}");
        return errcode != 0;
    }
    if !r.body.is_empty() && !r.content_type.starts_with("text/") && !r.content_type.starts_with("application/x-pem") {
        let parsed: Result<Value, _> = serde_json::from_slice(&r.bytes);
        assert!(
            parsed.is_ok() || r.content_type.starts_with("image/"),
            "not JSON: {what}"
        );
    }
    r.status >= 400
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_to_every_operation_are_answered_and_refusals_change_nothing() {
    let app = TestApp::new().await;
    let known = world(&app).await;
    let mut ops = gen::operations(
        &app.control("GET", "/_kefu/openapi/wechat.json", Value::Null).await,
        true,
    );
    ops.extend(gen::operations(
        &app.control("GET", "/_kefu/openapi.json", Value::Null).await,
        false,
    ));
    // A reset would leave nothing to attack; it is tested on its own.
    ops.retain(|op| op.path != "/_kefu/reset");
    assert!(ops.len() > 50, "{} operations", ops.len());
    let (mut sent, mut refused) = (0usize, 0usize);
    for seed in SEEDS {
        let mut g = Gen::new(StdRng::seed_from_u64(seed), known.clone());
        let started = Instant::now();
        let mut before = state(&app).await;
        for _ in 0..MAX_REQUESTS {
            if started.elapsed() > BUDGET {
                break;
            }
            let op = &ops[g.index(ops.len())];
            let req = g.request(op);
            let r = app
                .send(&req.method, &req.uri, req.body, req.content_type.as_deref())
                .await;
            sent += 1;
            if judge(op, &req.method, &req.uri, &r) {
                refused += 1;
                let after = state(&app).await;
                assert_eq!(
                    after, before,
                    "seed {seed}: refused {} {} changed the state",
                    req.method, req.uri
                );
            } else {
                before = state(&app).await;
            }
        }
    }
    println!("fuzz: {sent} requests over {} operations, {refused} refused", ops.len());
    assert!(
        refused > sent / 4,
        "too few refusals ({refused} of {sent}): the generator is too tame"
    );
}
