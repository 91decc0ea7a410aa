//! The embedded SQLite backend.
//!
//! One writer thread owns the only read-write connection and commits whatever
//! jobs are queued as one transaction (group commit): each job runs inside its
//! own savepoint, so a rejected job rolls back alone, and every caller is
//! answered only after the batch's commit has reached the disk (WAL with
//! `synchronous=FULL`). Reads run on separate read-only connections, which WAL
//! lets proceed while the writer works: reads never wait for writes. The WAL
//! is checkpointed by a thread of its own (passive checkpoints), so the
//! writer never stops to copy pages into the database file, except to empty
//! the WAL when it passes half its limit (`wal.rs`).
//!
//! Under faults (`writer.rs`, `health.rs`): a batch that cannot commit (full
//! disk, I/O error, a panic, the database file deleted or replaced) answers
//! its callers with an error and leaves nothing behind, and later batches
//! commit again once the cause is gone, without a restart. `probe` answers
//! from the last commit when it is recent, else with a probe write.
//!
//! The statements themselves are the shared ones of `crate::sql`; this
//! module only runs them (`tx.rs`).

mod batch;
mod health;
mod migrate;
mod open;
mod tx;
mod wal;
mod writer;

use crate::error::StoreError;
use crate::job::{BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
use crate::store::{probe_write, Store};
use health::{writer_stopped, DbFile, Health, Known};
use open::{backend, create_dir, open_connection, open_writer, Access};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;
use tx::SqliteTx;
use wal::{checkpoint_loop, CheckpointTurn, WalLimit};
use writer::{Job, Writer};

pub use migrate::migrate_file;
pub use wal::DEFAULT_WAL_LIMIT;

/// How an SQLite store runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteSettings {
    /// The size the write-ahead log is kept under: once a commit leaves it
    /// past half of this, the writer checkpoints it and empties it. A
    /// smaller limit costs more frequent (shorter) pauses of the writer.
    pub wal_limit_bytes: u64,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings {
            wal_limit_bytes: DEFAULT_WAL_LIMIT,
        }
    }
}

/// The SQLite store: a writer thread and a pool of read connections.
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    health: Arc<Health>,
    /// Dropped with the store, which ends the checkpointer.
    _checkpointer: mpsc::Sender<()>,
}

impl SqliteStore {
    /// Opens or creates the database file (and its directory), applies
    /// migrations and starts the writer, with the default settings.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, SqliteSettings::default())
    }

    /// As [`open`](Self::open), with `settings`.
    pub fn open_with(path: &Path, settings: SqliteSettings) -> Result<SqliteStore, StoreError> {
        create_dir(path)?;
        let limit = settings.wal_limit_bytes;
        let mut conn = open_writer(path, Access::Create, limit)?;
        let health = Health::new(DbFile::opened(path)?);
        migrate::run(&mut conn)?;
        let turn = CheckpointTurn::default();
        let writer = Writer::new(conn, health.clone(), WalLimit::new(path, limit, turn.clone()), limit);
        let (jobs, queue) = mpsc::channel();
        spawn("kefu-sqlite-writer", move || writer.serve(queue))?;
        let (checkpointer, stop) = mpsc::channel();
        let checkpoints = open_connection(path, Access::Write)?;
        spawn("kefu-sqlite-checkpoint", move || {
            checkpoint_loop(checkpoints, stop, turn)
        })?;
        Ok(SqliteStore {
            jobs,
            readers: Mutex::new(Vec::new()),
            path: path.to_owned(),
            health,
            _checkpointer: checkpointer,
        })
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(c) => Ok(c),
            None => open_connection(&self.path, Access::Read),
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
        // The store is alive, so a closed queue means the writer stopped.
        let sent = self.jobs.send(Job { run, reply }).map_err(|_| writer_stopped());
        Box::pin(async move {
            sent.map_err(JobError::Store)?;
            answer.await.map_err(|_| JobError::Store(abandoned()))?
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

    /// `Ok` from a commit in the last second; an error at once when the
    /// writer stopped or the database file is not the one opened; else a
    /// probe write (also after a failed batch: the fault may be gone).
    fn probe(&self) -> BoxFuture<Result<(), StoreError>> {
        match self.health.known() {
            Known::Committing => Box::pin(std::future::ready(Ok(()))),
            Known::Broken(e) => Box::pin(std::future::ready(Err(e))),
            Known::Unknown => probe_write(self),
        }
    }
}

/// A write whose reply was dropped: the writer panicked before answering,
/// so before committing it.
fn abandoned() -> StoreError {
    StoreError::Backend("the SQLite writer failed while running this write; it was not committed".into())
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(drop)
        .map_err(|e| StoreError::Backend(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::boxed;
    use crate::tx::Tx;
    use std::time::{Duration, Instant};

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("kefu.db")).unwrap();
        (dir, store)
    }

    fn meta_write() -> WriteJob {
        boxed(|tx: &mut dyn Tx| tx.set_meta("k", "v"))
    }

    fn store_error(answer: Result<JobOutput, JobError>) -> Option<StoreError> {
        match answer {
            Err(JobError::Store(e)) => Some(e),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_writer_thread_that_ended_fails_writes_and_the_probe() {
        let (_dir, mut store) = store();
        // The writer's queue loses its only sender: the thread ends.
        let (closed, queue) = mpsc::channel();
        drop(queue);
        store.jobs = closed;
        let started = Instant::now();
        while store.health.known() != Known::Broken(writer_stopped()) {
            assert!(started.elapsed() < Duration::from_secs(10), "the writer did not end");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let write = store.submit_write(meta_write(), None).await;
        assert_eq!(store_error(write), Some(writer_stopped()));
        assert_eq!(store.probe().await, Err(writer_stopped()));
    }

    #[tokio::test]
    async fn a_write_dropped_unanswered_fails() {
        let (_dir, mut store) = store();
        let (jobs, queue) = mpsc::channel();
        store.jobs = jobs;
        let answer = store.submit_write(meta_write(), None);
        drop(queue.recv().unwrap());
        assert_eq!(store_error(answer.await), Some(abandoned()));
    }
}
