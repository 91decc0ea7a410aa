//! Races a check-then-write endpoint must never lose: concurrent callers of
//! one kefu, each asserting a single winner.

use crate::support::TestApp;
use serde_json::json;
use std::sync::Arc;

/// Twenty concurrent invitations for one account: exactly one succeeds, the
/// rest see its waiting invitation (65411).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invitations_for_one_account_have_one_winner() {
    let app = Arc::new(TestApp::new().await);
    let account = app.add_kf("a").await;
    let calls = (0..20).map(|i| {
        let (app, account) = (app.clone(), account.clone());
        tokio::spawn(async move { app.invite(&account, &format!("worker_{i:02}")).await.text() })
    });
    let mut bodies = Vec::new();
    for call in calls {
        bodies.push(call.await.unwrap());
    }
    let ok = bodies
        .iter()
        .filter(|b| b.as_str() == r#"{"errcode":0,"errmsg":"ok"}"#)
        .count();
    let pending =
        r#"{"errcode":65411,"errmsg":"a effective invitation to bind the custom service account exists rid: RID"}"#;
    assert_eq!((ok, bodies.iter().filter(|b| b.as_str() == pending).count()), (1, 19));
}

/// One follower, two accounts, many concurrent creates: one session opens;
/// every other call is the idempotent success or 65414.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_for_one_follower_open_one_session() {
    let app = Arc::new(TestApp::new().await);
    let a = app.online_kf("a", "worker_1").await;
    let b = app.online_kf("b", "worker_2").await;
    let openid = app.follow().await;
    let calls = (0..20).map(|i| {
        let app = app.clone();
        let body = json!({"kf_account": if i % 2 == 0 { &a } else { &b }, "openid": openid});
        tokio::spawn(async move { app.wx("/customservice/kfsession/create", body).await.text() })
    });
    let mut served = Vec::new();
    for call in calls {
        served.push(call.await.unwrap());
    }
    let sessions = app.snapshot().await["sessions"].clone();
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    let winner = sessions[0]["kf_account"].as_str().unwrap().to_owned();
    let ok = served
        .iter()
        .filter(|b| b.as_str() == r#"{"errcode":0,"errmsg":"ok"}"#)
        .count();
    let busy = r#"{"errcode":65414,"errmsg":"another worker is serving the customer rid: RID"}"#;
    assert_eq!(
        (ok, served.iter().filter(|b| b.as_str() == busy).count()),
        (10, 10),
        "winner {winner}"
    );
}
