//! The human side of the conversation through the control API: the queue,
//! accepting, replying, transferring, closing, and unfollowing.

use crate::support::{TestApp, T0};
use serde_json::json;

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    let a = app.online_kf("a", "worker_a").await;
    let b = app.online_kf("b", "worker_b").await;
    (app, a, b)
}

#[tokio::test]
async fn workers_accept_the_earliest_follower_meant_for_them() {
    let (app, a, b) = setup().await;
    let (first, second, third) = (app.follow().await, app.follow().await, app.follow().await);
    app.enqueue(&first, Some(&b)).await;
    app.enqueue(&second, None).await;
    app.enqueue(&third, None).await;
    let s = app.accept(&a, None).await;
    assert_eq!(s["openid"], second.as_str());
    assert_eq!(s["kf_account"], a.as_str());
    assert_eq!(s["createtime"], T0);
    assert_eq!(app.accept(&b, None).await["openid"], first.as_str());
    assert_eq!(app.accept(&a, Some(&third)).await["openid"], third.as_str());
    assert_eq!(app.wait_cases().await["count"], 0);
    let online = app.wx_get("/cgi-bin/customservice/getonlinekflist").await.json();
    assert_eq!(online["kf_online_list"][0]["accepted_case"], 2);
    assert_eq!(online["kf_online_list"][1]["accepted_case"], 1);
}

#[tokio::test]
async fn refused_accepts_say_why_and_change_nothing() {
    let (app, a, b) = setup().await;
    let openid = app.follow().await;
    let before = app.snapshot().await;
    let accept = app.worker_path(&a, "accept");
    assert_eq!(
        app.control_err("POST", &accept, json!({})).await,
        (409, "queue_empty".into())
    );
    app.enqueue(&openid, Some(&b)).await;
    let before_named = app.snapshot().await;
    let named = json!({"openid": openid});
    assert_eq!(
        app.control_err("POST", &accept, named).await,
        (409, "waiting_for_another".into())
    );
    let stranger = json!({"openid": "o_unknown"});
    assert_eq!(
        app.control_err("POST", &accept, stranger).await,
        (409, "not_waiting".into())
    );
    app.set_online(&b, false).await;
    let b_accept = app.worker_path(&b, "accept");
    assert_eq!(
        app.control_err("POST", &b_accept, json!({})).await,
        (409, "offline".into())
    );
    app.set_online(&b, true).await;
    assert_eq!(app.snapshot().await, before_named);
    let nobody = app.worker_path("nobody@test", "accept");
    assert_eq!(app.control_err("POST", &nobody, json!({})).await.0, 404);
    assert_ne!(before, before_named);
}

#[tokio::test]
async fn a_follower_in_a_session_cannot_wait() {
    let (app, a, _) = setup().await;
    let openid = app.follow().await;
    app.create_session(&a, &openid).await.assert_ok();
    let path = format!("/_kefu/apps/{}/waitcase", app.appid);
    let (status, code) = app.control_err("POST", &path, json!({"openid": openid})).await;
    assert_eq!((status, code.as_str()), (409, "in_session"));
    // Waiting twice keeps the first place.
    let other = app.follow().await;
    app.enqueue(&other, None).await;
    app.advance(10).await;
    let again = app.enqueue(&other, Some(&a)).await;
    assert_eq!(again["arrived_at"], T0);
    assert_eq!(again["kf_account"], a.as_str());
}

#[tokio::test]
async fn worker_replies_are_records_inside_the_window() {
    let (app, a, b) = setup().await;
    let openid = app.follow().await;
    app.writes(&openid, "help").await;
    app.create_session(&a, &openid).await.assert_ok();
    for _ in 0..7 {
        app.reply(&a, &openid, "working on it").await;
    }
    // The API's own count is untouched by the worker's replies.
    app.send_text(&openid, "from the api").await.assert_ok();
    let path = app.worker_path(&b, "messages");
    let (status, code) = app
        .control_err("POST", &path, json!({"openid": openid, "text": "not mine"}))
        .await;
    assert_eq!((status, code.as_str()), (409, "no_session"));
    app.advance(20 * 60).await;
    app.writes(&openid, "still here").await;
    for _ in 0..3 {
        app.advance(20 * 60).await;
        app.reply(&a, &openid, "keep alive").await;
    }
    let mut app = app;
    for _ in 0..24 {
        app.advance(7200).await;
    }
    app.relogin().await;
    let path = app.worker_path(&a, "messages");
    let body = json!({"openid": openid, "text": "too late"});
    let (status, code) = app.control_err("POST", &path, body).await;
    assert_eq!(status, 409);
    assert!(code == "no_session" || code == "out_of_window", "{code}");
}

#[tokio::test]
async fn a_reply_after_the_window_closes_is_refused() {
    let (app, a, _) = setup().await;
    let openid = app.follow().await;
    app.create_session(&a, &openid).await.assert_ok();
    app.advance(61).await;
    let path = app.worker_path(&a, "messages");
    let body = json!({"openid": openid, "text": "hello?"});
    assert_eq!(
        app.control_err("POST", &path, body).await,
        (409, "out_of_window".into())
    );
}

#[tokio::test]
async fn transfer_moves_the_session_to_another_online_account() {
    let (app, a, b) = setup().await;
    let openid = app.follow().await;
    app.create_session(&a, &openid).await.assert_ok();
    app.advance(5).await;
    let moved = app
        .control(
            "POST",
            &app.worker_path(&a, "transfer"),
            json!({"openid": openid, "to": b}),
        )
        .await;
    assert_eq!(moved["kf_account"], b.as_str());
    assert_eq!(
        app.session_of(&openid).await,
        json!({"createtime": T0 + 5, "kf_account": b})
    );
    let back = json!({"openid": openid, "to": a});
    let path = app.worker_path(&a, "transfer");
    assert_eq!(app.control_err("POST", &path, back).await, (409, "no_session".into()));
    let c = app.bound_kf("c", "worker_c").await;
    let to_offline = json!({"openid": openid, "to": c});
    let path = app.worker_path(&b, "transfer");
    assert_eq!(
        app.control_err("POST", &path, to_offline).await,
        (409, "offline".into())
    );
    let to_self = json!({"openid": openid, "to": b});
    assert_eq!(
        app.control_err("POST", &path, to_self).await,
        (409, "same_account".into())
    );
    let to_nobody = json!({"openid": openid, "to": "nobody@test"});
    assert_eq!(app.control_err("POST", &path, to_nobody).await.0, 404);
}

#[tokio::test]
async fn workers_close_their_own_sessions_only() {
    let (app, a, b) = setup().await;
    let openid = app.follow().await;
    app.create_session(&a, &openid).await.assert_ok();
    let body = json!({"openid": openid});
    let wrong = app.worker_path(&b, "close");
    assert_eq!(
        app.control_err("POST", &wrong, body.clone()).await,
        (409, "no_session".into())
    );
    let r = app
        .send("POST", &app.worker_path(&a, "close"), body.to_string(), None)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.session_of(&openid).await["kf_account"], "");
}

#[tokio::test]
async fn unfollowing_ends_the_session_and_the_wait() {
    let (app, a, _) = setup().await;
    let (served, waiting) = (app.follow().await, app.follow().await);
    app.create_session(&a, &served).await.assert_ok();
    app.enqueue(&waiting, None).await;
    app.event(&served, "unsubscribe").await;
    app.event(&waiting, "unsubscribe").await;
    let state = app.snapshot().await;
    assert_eq!(state["sessions"], json!([]));
    assert_eq!(state["waiting"], json!([]));
    let path = format!("/_kefu/apps/{}/fans/{served}/messages", app.appid);
    let body = json!({"msgtype": "text", "content": "hi"});
    assert_eq!(
        app.control_err("POST", &path, body).await,
        (409, "not_following".into())
    );
    // Following again is a fresh start with a follow's window.
    let fan = app.event(&served, "subscribe").await;
    assert_eq!(fan["subscribed"], true);
    assert_eq!(fan["event_window"], json!({"left": 3, "until": T0 + 60}));
}

#[tokio::test]
async fn bad_follower_calls_are_400_or_404() {
    let (app, _, _) = setup().await;
    let openid = app.follow().await;
    let path = format!("/_kefu/apps/{}/fans/{openid}/messages", app.appid);
    assert_eq!(
        app.control_err("POST", &path, json!({"msgtype": "location"})).await.0,
        400
    );
    assert_eq!(app.control_err("POST", &path, json!({"msgtype": "text"})).await.0, 400);
    let events = format!("/_kefu/apps/{}/fans/{openid}/events", app.appid);
    assert_eq!(app.control_err("POST", &events, json!({"event": "VIEW"})).await.0, 400);
    let ghost = format!("/_kefu/apps/{}/fans/o_ghost/messages", app.appid);
    let body = json!({"msgtype": "text", "content": "hi"});
    assert_eq!(app.control_err("POST", &ghost, body).await.0, 404);
}
