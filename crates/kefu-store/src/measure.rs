//! What the store tells the metrics facade (`metrics` crate; the server
//! exports it): commits and how many jobs each carried (group commit on
//! SQLite, one per transaction on PostgreSQL), and transactions run again
//! after losing a race. Without an installed recorder these cost nothing.

/// A transaction committed, carrying `jobs` write jobs.
pub(crate) fn commit(backend: &'static str, jobs: usize) {
    metrics::counter!("kefu_store_commits_total", "backend" => backend).increment(1);
    metrics::histogram!("kefu_store_commit_batch_size", "backend" => backend).record(jobs as f64);
}

/// A transaction is run again (serialization failure, deadlock, lost connection).
pub(crate) fn rerun() {
    metrics::counter!("kefu_store_reruns_total").increment(1);
}
