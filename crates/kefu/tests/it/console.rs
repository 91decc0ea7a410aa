//! The console's event stream from the real binary, where the push
//! dispatcher runs: its claims of the outbox (every 250 ms) commit but
//! change nothing a view shows, so an idle server announces nothing, and
//! one change is one step of the counter. With two instances on one
//! PostgreSQL schema, a console on one hears of changes made through the
//! other.

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
    next_state(&mut stream).await
}

/// The counter of the stream's next `state` event (10 s at most).
async fn next_state(stream: &mut reqwest::Response) -> u64 {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_hears_of_changes_made_through_another_instance() {
    // Arrange: two instances on one schema, a console's stream on the second.
    let Some(schema) = crate::pg::PgSchema::fresh() else {
        return;
    };
    let url = schema.url("");
    let (a, b) = (Kefu::start_url(&url, &[], &[]), Kefu::start_url(&url, &[], &[]));
    let http = reqwest::Client::new();
    let mut stream = http.get(format!("{}/_kefu/events", b.base)).send().await.unwrap();
    let mut seen = next_state(&mut stream).await;

    // Act and assert: each follower added through the first instance is
    // followed by an event on the second. (Its hint listener may add one
    // event of its own when it connects, so one change alone proves
    // nothing; a second, made after the first was heard, must be heard too.)
    let fans = format!("{}/_kefu/apps/{}/fans", a.base, a.demo.appid);
    for change in 1..=2 {
        assert_eq!(http.post(&fans).send().await.unwrap().status(), 200);
        let next = next_state(&mut stream).await;
        assert!(next > seen, "change {change}: {next} after {seen}");
        seen = next;
    }
}
