//! Prometheus metrics (`GET /metrics`), through the `metrics` facade and
//! its Prometheus exporter: requests by endpoint and errcode, their
//! latency, push tries by outcome, journal drops, fault hits, and what the
//! store reports (commits and their batch sizes). Labels are bounded: an
//! endpoint is a documented path or `other`, never a path a client made up.
//! Nothing secret is a label.

use kefu_core::endpoint;
use kefu_core::ErrCode;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Batch-size buckets (jobs per commit).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The process's exporter, installed as the global recorder on first use.
pub(crate) fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("kefu_store_commit_batch_size".into()),
                    BATCH_BUCKETS,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's) keeps
        // its place; `/metrics` then shows what this one saw: nothing.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "kefu_store_jobs_expired_total",
        "PostgreSQL store calls given up at their deadline (nothing committed)"
    );
    metrics::describe_counter!(
        "kefu_store_commits_unknown_total",
        "PostgreSQL COMMITs sent whose answer never came (outcome unknown)"
    );
    metrics::describe_counter!(
        "kefu_log_lines_dropped_total",
        "Log lines dropped because stderr could not take them"
    );
    metrics::describe_counter!(
        "kefu_connections_refused_total",
        "Connections closed at once because the connection limit was reached"
    );
    metrics::describe_counter!("kefu_requests_total", "WeChat-side requests by endpoint and errcode");
    metrics::describe_histogram!(
        "kefu_request_duration_seconds",
        metrics::Unit::Seconds,
        "WeChat-side request latency by endpoint"
    );
    metrics::describe_counter!("kefu_push_tries_total", "Tries to deliver pushes, by outcome");
    metrics::describe_counter!(
        "kefu_journal_dropped_total",
        "Journal entries dropped to keep it bounded"
    );
    metrics::describe_counter!("kefu_fault_hits_total", "Requests and pushes a fault rule acted on");
    metrics::describe_gauge!("kefu_outbox_depth", "Pushes waiting in the outbox");
    metrics::describe_gauge!("kefu_journal_entries", "Requests kept in the journal");
    metrics::describe_counter!("kefu_store_commits_total", "Store transactions committed");
    metrics::describe_histogram!("kefu_store_commit_batch_size", "Write jobs per committed transaction");
    metrics::describe_counter!(
        "kefu_store_reruns_total",
        "Store transactions run again after losing a race"
    );
}

/// The exposition text.
pub(crate) fn render() -> String {
    handle().render()
}

/// The label of an errcode: one of the table's codes, `other`, or `none`
/// (an answer that is not WeChat JSON). Labels are made once, not per request.
fn errcode_label(code: Option<i64>) -> &'static str {
    static LABELS: OnceLock<Vec<(i64, &'static str)>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| {
        let leak = |c: i64| -> &'static str { Box::leak(c.to_string().into_boxed_str()) };
        ErrCode::ALL.iter().map(|c| (c.code(), leak(c.code()))).collect()
    });
    match code {
        None => "none",
        Some(c) => labels.iter().find(|(n, _)| *n == c).map_or("other", |(_, l)| l),
    }
}

/// An endpoint's registered metrics: its latency histogram and its
/// counters by errcode label, so a request costs no registry look-up.
struct EndpointMetrics {
    latency: Histogram,
    counts: Mutex<Vec<(&'static str, Counter)>>,
}

/// The metrics of `path`'s endpoint (`other` for a path not in the table).
fn endpoint_metrics(path: &str) -> &'static EndpointMetrics {
    static ALL: OnceLock<Vec<(&'static str, EndpointMetrics)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let paths = endpoint::ENDPOINTS.iter().map(|e| e.path).chain(["other"]);
        paths
            .map(|p| {
                let latency = metrics::histogram!("kefu_request_duration_seconds", "endpoint" => p);
                (
                    p,
                    EndpointMetrics {
                        latency,
                        counts: Mutex::new(Vec::new()),
                    },
                )
            })
            .collect()
    });
    // The list ends with `other`, so it is never empty.
    let i = all.iter().position(|(p, _)| *p == path).unwrap_or(all.len() - 1);
    &all[i].1
}

/// One WeChat-side request answered.
pub(crate) fn request(path: &str, errcode: Option<i64>, latency: Duration) {
    let m = endpoint_metrics(path);
    m.latency.record(latency.as_secs_f64());
    let label = errcode_label(errcode);
    let mut counts = m.counts.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = counts.iter().find(|(l, _)| *l == label) {
        c.increment(1);
        return;
    }
    let endpoint: &'static str = endpoint::find(path).map_or("other", |e| e.path);
    let counter = metrics::counter!("kefu_requests_total", "endpoint" => endpoint, "errcode" => label);
    counter.increment(1);
    counts.push((label, counter));
}

/// One push try ended.
pub(crate) fn push_try(outcome: &'static str) {
    metrics::counter!("kefu_push_tries_total", "outcome" => outcome).increment(1);
}

/// Journal entries dropped.
pub(crate) fn journal_dropped(n: usize) {
    static DROPPED: OnceLock<Counter> = OnceLock::new();
    if n > 0 {
        DROPPED
            .get_or_init(|| metrics::counter!("kefu_journal_dropped_total"))
            .increment(n as u64);
    }
}

/// A fault rule acted.
pub(crate) fn fault_hit(rule: u64) {
    metrics::counter!("kefu_fault_hits_total", "rule" => rule.to_string()).increment(1);
}

/// Gauges read at scrape time.
pub(crate) fn gauges(outbox: Option<u64>, journal: usize) {
    if let Some(depth) = outbox {
        metrics::gauge!("kefu_outbox_depth").set(depth as f64);
    }
    metrics::gauge!("kefu_journal_entries").set(journal as f64);
}
