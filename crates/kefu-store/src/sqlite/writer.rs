//! The SQLite writer thread: group commit of whatever jobs are queued, each
//! job in a savepoint of its own only when one of them needs undoing.

use super::open::backend;
use super::tx::SqliteTx;
use crate::error::StoreError;
use crate::job::{JobError, JobOutput, WriteJob};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;

type Answer = Result<JobOutput, JobError>;
type Results = Vec<Answer>;

/// A queued write and where its answer goes.
pub(crate) struct Job {
    pub(crate) run: WriteJob,
    pub(crate) reply: oneshot::Sender<Answer>,
}

/// Takes the first waiting job, then whatever else is queued, and commits
/// them together. Ends when every sender is gone.
pub(crate) fn write_loop(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch);
    }
}

/// Runs a batch and answers every job once the outcome is final. Jobs run
/// bare first: a job that fails before writing (every business rejection)
/// leaves nothing to undo. Only when one fails after writing is the batch
/// rolled back and re-run with a savepoint around each job (jobs are
/// deterministic closures, so the re-run decides the same).
fn run_batch(conn: &mut Connection, mut batch: Vec<Job>) {
    let outcome = match run_bare(conn, &mut batch) {
        Some(outcome) => outcome,
        None => run_with_savepoints(conn, &mut batch),
    };
    if outcome.is_ok() {
        crate::measure::commit("sqlite", batch.len());
    }
    let results = outcome.unwrap_or_else(|e| {
        tracing::error!(error = %e, "sqlite batch failed");
        batch.iter().map(|_| Err(JobError::Store(e.clone()))).collect()
    });
    for (job, result) in batch.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

fn begin(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)
}

/// One transaction, no savepoints; `None` (rolled back) when a job failed
/// after writing.
fn run_bare(conn: &mut Connection, batch: &mut [Job]) -> Option<Result<Results, StoreError>> {
    let txn = match begin(conn) {
        Ok(txn) => txn,
        Err(e) => return Some(Err(e)),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch.iter_mut() {
        let mut tx = SqliteTx::new(&txn);
        let result = (job.run)(&mut tx);
        if result.is_err() && tx.wrote() {
            // Dropping the transaction rolls it back.
            return None;
        }
        results.push(result);
    }
    Some(txn.commit().map(|_| results).map_err(backend))
}

/// One transaction with a savepoint around each job.
fn run_with_savepoints(conn: &mut Connection, batch: &mut [Job]) -> Result<Results, StoreError> {
    let txn = begin(conn)?;
    let results = batch
        .iter_mut()
        .map(|job| run_in_savepoint(&txn, &mut job.run))
        .collect();
    txn.commit().map_err(backend)?;
    Ok(results)
}

fn run_in_savepoint(txn: &Transaction<'_>, run: &mut WriteJob) -> Answer {
    let exec = |sql: &str| {
        txn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(backend)
    };
    exec("SAVEPOINT job").map_err(JobError::Store)?;
    let result = run(&mut SqliteTx::new(txn));
    let end = match result {
        Ok(_) => exec("RELEASE job"),
        Err(_) => exec("ROLLBACK TO job").and_then(|_| exec("RELEASE job")),
    };
    match end {
        Ok(()) => result,
        Err(e) => Err(JobError::Store(e)),
    }
}
