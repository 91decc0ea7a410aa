//! The console's event stream from the real binary, where the push
//! dispatcher runs: its claims of the outbox (every 250 ms) commit but
//! change nothing a view shows, so an idle server announces nothing, and
//! one change is one step of the counter.

use crate::support::Kefu;
use std::time::Duration;

/// The store commits counted by `/metrics` so far.
async fn commits(http: &reqwest::Client, base: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("kefu_store_commits_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The change counter as a new event stream's first event gives it.
async fn counter(http: &reqwest::Client, base: &str) -> u64 {
    let mut stream = http.get(format!("{base}/_kefu/events")).send().await.unwrap();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk()).await;
        let chunk = chunk
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream is open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: state\n"), "{text}");
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let seq: serde_json::Value = serde_json::from_str(data).unwrap();
    seq["seq"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatchers_claims_are_not_announced_and_a_change_is_one_step() {
    // Arrange
    let kefu = Kefu::start();
    let http = reqwest::Client::new();
    let first = counter(&http, &kefu.base).await;

    // Act: wait until the dispatcher has committed at least three claims of
    // the (empty) outbox, then make one change.
    let before = commits(&http, &kefu.base).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while commits(&http, &kefu.base).await < before + 3 {
        assert!(tokio::time::Instant::now() < deadline, "no claims within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fans = format!("{}/_kefu/apps/{}/fans", kefu.base, kefu.demo.appid);
    assert_eq!(http.post(fans).send().await.unwrap().status(), 200);

    // Assert: the claims moved nothing (a commit is counted before its
    // caller hears of it); the follower is the one change.
    assert_eq!(counter(&http, &kefu.base).await, first + 1);
}
