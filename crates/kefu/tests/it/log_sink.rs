//! A log sink that fails never stops kefu: with stderr on a full device, on
//! a pipe nobody reads any more, or on a pipe whose reader went away, every
//! write is still answered and acknowledged durably, health stays `ok`, and
//! the lines that could not be written are counted in
//! `kefu_log_lines_dropped_total`.

use crate::support::Kefu;
use serde_json::{json, Value};
use std::process::Stdio;

/// Requests made while the log cannot be written: each one logs an access
/// line, far more than the pipe buffer and the writer's queue hold.
const WRITES: usize = 300;

async fn follow_many(kefu: &Kefu) {
    let http = reqwest::Client::new();
    let url = format!("{}/_kefu/apps/{}/fans", kefu.base, kefu.demo.appid);
    for i in 0..WRITES {
        let res = http
            .post(&url)
            .json(&json!({ "openid": format!("o-log-sink-{i:04}") }))
            .send()
            .await
            .expect("kefu answers while its log fails");
        assert_eq!(
            res.status(),
            200,
            "follow {i}: {}",
            res.text().await.unwrap_or_default()
        );
    }
    let health: Value = http
        .get(format!("{}/_kefu/health", kefu.base))
        .send()
        .await
        .expect("health answers")
        .json()
        .await
        .expect("health is JSON");
    assert_eq!(health["status"], "ok", "{health}");
}

async fn dropped_lines(kefu: &Kefu) -> u64 {
    let text = reqwest::get(format!("{}/metrics", kefu.base))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("kefu_log_lines_dropped_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// The followers were stored: a restart-proof read through the control API.
async fn all_followed(kefu: &Kefu) {
    let app: Value = reqwest::get(format!("{}/_kefu/apps/{}", kefu.base, kefu.demo.appid))
        .await
        .expect("app answers")
        .json()
        .await
        .expect("app is JSON");
    let fans = app["followers"].as_array().map_or(0, |f| {
        f.iter()
            .filter(|f| f["openid"].as_str().is_some_and(|o| o.starts_with("o-log-sink-")))
            .count()
    });
    assert_eq!(fans, WRITES, "every acknowledged follow is stored");
}

#[tokio::test]
async fn a_full_log_device_drops_lines_and_serves_on() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let kefu = Kefu::start_logging_to(Stdio::from(full), &[], &[]);
    follow_many(&kefu).await;
    all_followed(&kefu).await;
    assert!(dropped_lines(&kefu).await >= WRITES as u64, "dropped lines are counted");
}

#[tokio::test]
async fn a_log_pipe_whose_reader_left_drops_lines_and_serves_on() {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let kefu = Kefu::start_logging_to(Stdio::from(writer), &[], &[]);
    follow_many(&kefu).await;
    all_followed(&kefu).await;
    assert!(dropped_lines(&kefu).await > 0, "dropped lines are counted");
}

/// More lines than the writer's queue holds (16 384), one access line each.
const LINES_PAST_THE_QUEUE: usize = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_pipe_nobody_reads_never_makes_requests_wait() {
    // The reader stays open and never reads: the pipe fills after ~64 KiB,
    // the writer thread blocks on it, then its queue fills; requests must
    // go on regardless.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    let kefu = Kefu::start_logging_to(Stdio::from(writer), &[], &[]);
    let http = reqwest::Client::new();
    let url = format!("{}/_kefu/clock", kefu.base);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                for _ in 0..LINES_PAST_THE_QUEUE / 8 {
                    let res = http.get(&url).send().await.expect("answered");
                    assert_eq!(res.status(), 200);
                }
            })
        })
        .collect();
    // The bound is generous: what it guards against is waiting forever.
    let all = futures_util::future::join_all(tasks);
    let done = tokio::time::timeout(std::time::Duration::from_secs(120), all)
        .await
        .expect("requests are answered while the log pipe is full");
    assert!(done.iter().all(Result::is_ok));
    follow_many(&kefu).await;
    assert!(dropped_lines(&kefu).await > 0, "dropped lines are counted");
    drop(reader);
}
