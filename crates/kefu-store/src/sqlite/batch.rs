//! One batch of write jobs in one transaction, each job in a savepoint of its
//! own only when one of them needs undoing.
//!
//! A job that panics is a job that failed: the panic is caught around the
//! job, its writes are undone like those of a job returning `Err`, and its
//! caller is answered with an error; the jobs batched with it commit as if
//! it had never run. Just before COMMIT the database file's identity is
//! checked, so a batch is never acknowledged into a file that a restart
//! would not open.

use super::health::DbFile;
use super::open::backend;
use super::tx::SqliteTx;
use crate::error::StoreError;
use crate::job::{JobError, JobOutput, WriteJob};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub(crate) type Answer = Result<JobOutput, JobError>;

/// What a batch came to.
pub(crate) struct Outcome {
    /// Every job's answer in order, once committed; or why nothing was.
    pub(crate) answers: Result<Vec<Answer>, StoreError>,
    /// What the jobs that panicked said, for the log.
    pub(crate) panics: Vec<String>,
}

/// Runs `jobs` in one transaction and commits it. Jobs run bare first: a job
/// that fails before writing (every business rejection) leaves nothing to
/// undo. Only when one fails (or panics) after writing is the batch rolled
/// back and re-run with a savepoint around each job (jobs are deterministic
/// closures, so the re-run decides the same).
pub(crate) fn run(conn: &mut Connection, jobs: &mut [WriteJob], file: &DbFile) -> Outcome {
    let mut panics = Vec::new();
    let answers = match run_bare(conn, jobs, file, &mut panics) {
        Some(answers) => answers,
        None => {
            panics.clear();
            run_with_savepoints(conn, jobs, file, &mut panics)
        }
    };
    Outcome { answers, panics }
}

fn begin(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)
}

/// The last step before COMMIT: the path must still name the opened file.
fn commit(txn: Transaction<'_>, file: &DbFile) -> Result<(), StoreError> {
    // On `Err` the transaction is dropped, which rolls it back.
    file.check()?;
    txn.commit().map_err(backend)
}

/// One transaction, no savepoints; `None` (rolled back) when a job failed
/// after writing.
fn run_bare(
    conn: &mut Connection,
    jobs: &mut [WriteJob],
    file: &DbFile,
    panics: &mut Vec<String>,
) -> Option<Result<Vec<Answer>, StoreError>> {
    let txn = match begin(conn) {
        Ok(txn) => txn,
        Err(e) => return Some(Err(e)),
    };
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        let mut tx = SqliteTx::new(&txn);
        let answer = call(job, &mut tx, panics);
        if answer.is_err() && tx.wrote() {
            // Dropping the transaction rolls it back.
            return None;
        }
        answers.push(answer);
    }
    Some(commit(txn, file).map(|_| answers))
}

/// One transaction with a savepoint around each job.
fn run_with_savepoints(
    conn: &mut Connection,
    jobs: &mut [WriteJob],
    file: &DbFile,
    panics: &mut Vec<String>,
) -> Result<Vec<Answer>, StoreError> {
    let txn = begin(conn)?;
    let answers = jobs.iter_mut().map(|job| run_in_savepoint(&txn, job, panics)).collect();
    commit(txn, file)?;
    Ok(answers)
}

fn run_in_savepoint(txn: &Transaction<'_>, job: &mut WriteJob, panics: &mut Vec<String>) -> Answer {
    let exec = |sql: &str| {
        txn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(backend)
    };
    exec("SAVEPOINT job").map_err(JobError::Store)?;
    let answer = call(job, &mut SqliteTx::new(txn), panics);
    let end = match answer {
        Ok(_) => exec("RELEASE job"),
        Err(_) => exec("ROLLBACK TO job").and_then(|_| exec("RELEASE job")),
    };
    match end {
        Ok(()) => answer,
        Err(e) => Err(JobError::Store(e)),
    }
}

/// Runs one job; a panic becomes the job's error (and a line in `panics`).
fn call(job: &mut WriteJob, tx: &mut SqliteTx<'_>, panics: &mut Vec<String>) -> Answer {
    match catch_unwind(AssertUnwindSafe(|| job(tx))) {
        Ok(answer) => answer,
        Err(payload) => {
            panics.push(panic_message(&*payload));
            Err(JobError::Store(StoreError::Backend(
                "the write job panicked; its changes were rolled back".into(),
            )))
        }
    }
}

/// The text a panic was raised with, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_owned(),
        (None, Some(s)) => s.clone(),
        (None, None) => "(no message)".to_owned(),
    }
}
