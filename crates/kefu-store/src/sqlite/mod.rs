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
//!
//! The statements themselves are the shared ones of `crate::sql`; this
//! module only runs them (`tx.rs`).

mod migrate;
mod open;
mod tx;
mod writer;

use crate::error::StoreError;
use crate::job::{BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
use crate::store::Store;
use open::{backend, create_dir, open_connection};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;
use tx::SqliteTx;
use writer::{write_loop, Job};

pub use migrate::migrate_file;

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

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
        create_dir(path)?;
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
