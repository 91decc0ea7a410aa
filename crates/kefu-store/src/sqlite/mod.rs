//! The embedded SQLite backend.
//!
//! One writer thread owns the only read-write connection and commits whatever
//! jobs are queued as one transaction (group commit): each job runs inside its
//! own savepoint, so a rejected job rolls back alone, and every caller is
//! answered only after the batch's commit has reached the disk (WAL with
//! `synchronous=FULL`). Reads run on separate read-only connections, which WAL
//! lets proceed while the writer works: reads never wait for writes. The WAL
//! is checkpointed by a thread of its own (passive checkpoints), so the
//! writer never stops to copy pages into the database file.

#[macro_use]
mod rows;
mod callback;
mod conversation;
mod migrate;
mod platform;
mod tx;

use crate::job::{BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
use crate::{Store, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

pub use migrate::migrate_file;
use tx::SqliteTx;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;
/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

struct Job {
    run: WriteJob,
    reply: oneshot::Sender<Result<JobOutput, JobError>>,
}

/// The SQLite store: a writer thread and a pool of read connections.
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    /// Dropped with the store, which ends the checkpointer.
    _checkpointer: mpsc::Sender<()>,
}

impl SqliteStore {
    /// Opens or creates the database file (and its directory), applies
    /// migrations and starts the writer.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        let mut writer = open_connection(path, false)?;
        migrate::run(&mut writer)?;
        let (jobs, queue) = mpsc::channel();
        spawn("kefu-sqlite-writer", move || write_loop(writer, queue))?;
        let (checkpointer, stop) = mpsc::channel();
        let checkpoints = open_connection(path, false)?;
        spawn("kefu-sqlite-checkpoint", move || checkpoint_loop(checkpoints, stop))?;
        Ok(SqliteStore {
            jobs,
            readers: Mutex::new(Vec::new()),
            path: path.to_owned(),
            _checkpointer: checkpointer,
        })
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(c) => Ok(c),
            None => open_connection(&self.path, true),
        }
    }

    fn run_read(&self, mut job: ReadJob) -> Result<JobOutput, JobError> {
        let mut conn = self.reader().map_err(JobError::Store)?;
        let result = {
            let txn = conn.transaction().map_err(|e| JobError::Store(backend(e)))?;
            let out = job(&mut SqliteTx::new(&txn));
            // A read-only snapshot: ending it either way changes nothing.
            let _ = txn.rollback();
            out
        };
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        result
    }
}

impl Store for SqliteStore {
    fn submit_write(&self, run: WriteJob, _queue_on: Option<String>) -> BoxFuture<Result<JobOutput, JobError>> {
        // One writer thread: every write is queued behind the others already.
        let (reply, answer) = oneshot::channel();
        let sent = self.jobs.send(Job { run, reply });
        Box::pin(async move {
            sent.map_err(|_| JobError::Store(StoreError::Closed))?;
            answer.await.map_err(|_| JobError::Store(StoreError::Closed))?
        })
    }

    fn submit_read(&self, job: ReadJob) -> BoxFuture<Result<JobOutput, JobError>> {
        // SQLite reads are local and short: run them here, without a thread hop.
        let result = self.run_read(job);
        Box::pin(std::future::ready(result))
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn shared(&self) -> bool {
        // One kefu process owns an embedded database.
        false
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(drop)
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// Passive checkpoints until the store is dropped: they copy what they can
/// without blocking the writer or the readers.
fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "sqlite checkpoint failed");
        }
    }
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn open_connection(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        // The checkpointer thread checkpoints; no commit stops to do it.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(backend)?;
        conn.pragma_update(None, "cache_size", -65536).map_err(backend)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Takes the first waiting job, then whatever else is queued, and commits
/// them together. Ends when every sender is gone.
fn write_loop(mut conn: Connection, queue: mpsc::Receiver<Job>) {
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

type Results = Vec<Result<JobOutput, JobError>>;

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
    let results = outcome.unwrap_or_else(|e| {
        tracing::error!(error = %e, "sqlite batch failed");
        batch.iter().map(|_| Err(JobError::Store(e.clone()))).collect()
    });
    for (job, result) in batch.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

fn begin(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
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

fn run_in_savepoint(txn: &rusqlite::Transaction<'_>, run: &mut WriteJob) -> Result<JobOutput, JobError> {
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
