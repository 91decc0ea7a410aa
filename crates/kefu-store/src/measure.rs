//! What the store tells the metrics facade (`metrics` crate; the server
//! exports it): commits and how many jobs each carried (group commit on
//! SQLite, one per transaction on PostgreSQL), transactions run again
//! after losing a race, and on PostgreSQL the jobs given up at their
//! deadline and the COMMITs whose outcome is unknown. Without an installed
//! recorder these cost nothing.

/// A transaction committed, carrying `jobs` write jobs.
pub(crate) fn commit(backend: &'static str, jobs: usize) {
    metrics::counter!("kefu_store_commits_total", "backend" => backend).increment(1);
    metrics::histogram!("kefu_store_commit_batch_size", "backend" => backend).record(jobs as f64);
}

/// A transaction is run again (serialization failure, deadlock, lost connection).
pub(crate) fn rerun() {
    metrics::counter!("kefu_store_reruns_total").increment(1);
}

/// A job given up at its deadline (not started, not run again, or rolled
/// back before COMMIT); nothing of it was committed.
pub(crate) fn expired() {
    metrics::counter!("kefu_store_jobs_expired_total").increment(1);
}

/// A COMMIT was sent and its answer never came: the write may or may not be
/// applied.
pub(crate) fn commit_unknown() {
    metrics::counter!("kefu_store_commits_unknown_total").increment(1);
}
