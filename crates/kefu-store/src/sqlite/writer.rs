//! The SQLite writer thread: group commit of whatever jobs are queued
//! (`batch.rs` runs them), and the promise that the writer outlives any
//! fault.
//!
//! A batch that fails (commit error, full disk, the file gone) answers every
//! caller with the error and leaves nothing committed; the next batch tries
//! again on a fresh connection, so writes recover by themselves once the
//! cause is gone. A panic anywhere in the writer's own work (logging
//! included) is caught around the batch: callers not yet answered get an
//! error (their reply is dropped), the connection is replaced, and the loop
//! goes on. Only when every sender is gone (the store dropped) does the
//! thread end; if it ends any other way, the health it shares with the
//! store says so.

use super::batch::{self, panic_message, Answer};
use super::health::Health;
use super::open::{open_writer, Access};
use super::wal::{Checkpointed, WalLimit};
use crate::error::StoreError;
use crate::job::{JobError, WriteJob};
use rusqlite::Connection;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use tokio::sync::oneshot;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;

/// A queued write and where its answer goes.
pub(crate) struct Job {
    pub(crate) run: WriteJob,
    pub(crate) reply: oneshot::Sender<Answer>,
}

/// The thread's state: the only read-write connection and what it shares.
pub(crate) struct Writer {
    conn: Connection,
    health: Arc<Health>,
    wal: WalLimit,
    wal_limit: u64,
}

impl Writer {
    pub(crate) fn new(conn: Connection, health: Arc<Health>, wal: WalLimit, wal_limit: u64) -> Writer {
        Writer {
            conn,
            health,
            wal,
            wal_limit,
        }
    }

    /// Takes the first waiting job, then whatever else is queued, and
    /// commits them together, until every sender is gone.
    pub(crate) fn serve(mut self, queue: mpsc::Receiver<Job>) {
        let _running = self.health.running();
        loop {
            match catch_unwind(AssertUnwindSafe(|| self.step(&queue))) {
                Ok(true) => {}
                Ok(false) => return,
                Err(payload) => self.recover(&*payload),
            }
        }
    }

    /// One batch; `false` once the queue is closed.
    fn step(&mut self, queue: &mpsc::Receiver<Job>) -> bool {
        let Ok(first) = queue.recv() else {
            return false;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        self.commit(batch);
        true
    }

    /// Runs a batch and answers every job once the outcome is final, before
    /// anything else (logging included) can go wrong.
    fn commit(&mut self, batch: Vec<Job>) {
        let (mut runs, replies): (Vec<WriteJob>, Vec<_>) = batch.into_iter().map(|j| (j.run, j.reply)).unzip();
        let changes = self.conn.total_changes();
        let outcome = batch::run(&mut self.conn, &mut runs, &self.health.file);
        match outcome.answers {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
                // A commit that wrote nothing proves nothing about the disk.
                if self.conn.total_changes() != changes {
                    self.health.committed();
                }
                crate::measure::commit("sqlite", runs.len());
                log_panics(&outcome.panics);
                self.keep_wal_bounded();
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(JobError::Store(e.clone())));
                }
                self.health.failed(e.clone());
                log_panics(&outcome.panics);
                tracing::error!(error = %e, jobs = runs.len(), "sqlite batch failed; nothing of it was committed");
                self.reopen();
            }
        }
    }

    fn keep_wal_bounded(&mut self) {
        match self.wal.after_commit(&self.conn) {
            Checkpointed::Nothing => {}
            Checkpointed::Restarted(took) => tracing::debug!(?took, "sqlite WAL checkpointed and restarted"),
            Checkpointed::Busy => tracing::debug!("readers kept the sqlite WAL from being truncated; trying again"),
            Checkpointed::Failed(e) => {
                tracing::warn!(error = %e, "the sqlite WAL cannot be restarted; it grows until a checkpoint succeeds")
            }
        }
    }

    /// After a panic in the writer's own work: the batch's callers not yet
    /// answered were answered with an error when their replies dropped.
    fn recover(&mut self, payload: &(dyn Any + Send)) {
        let why = StoreError::Backend(format!("the SQLite writer panicked: {}", panic_message(payload)));
        self.health.failed(why.clone());
        quietly(
            || tracing::error!(error = %why, "the SQLite writer caught a panic; it goes on with a fresh connection"),
        );
        self.reopen();
    }

    /// Replaces the connection after a failure, whatever state the failure
    /// left it in; never with another file than the one opened (a file that
    /// is gone keeps the old connection, which commits nothing while the
    /// file is gone). The old connection stays when a new one cannot open.
    fn reopen(&mut self) {
        let file = &self.health.file;
        if file.check().is_err() {
            return;
        }
        let fresh = open_writer(file.path(), Access::Write, self.wal_limit).and_then(|conn| {
            file.check()?;
            Ok(conn)
        });
        match fresh {
            Ok(conn) => self.conn = conn,
            Err(e) => quietly(
                || tracing::warn!(error = %e, "cannot reopen the sqlite writer's connection; keeping the old one"),
            ),
        }
    }
}

fn log_panics(panics: &[String]) {
    for message in panics {
        tracing::error!(panic = %message, "a sqlite write job panicked; its caller was answered with an error");
    }
}

/// Runs `log`, swallowing a panic from it: the writer must outlive its logging.
fn quietly(log: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(log));
}

#[cfg(test)]
mod tests {
    use super::super::health::DbFile;
    use super::super::wal::CheckpointTurn;
    use super::*;
    use std::path::Path;

    /// A writer on `db`, whose file identity is taken from `identity`, with
    /// a temporary table only its current connection sees.
    fn writer(db: &Path, identity: &Path) -> Writer {
        let conn = open_writer(db, Access::Create, 1 << 20).unwrap();
        conn.execute_batch("CREATE TEMP TABLE mark (x)").unwrap();
        let health = Health::new(DbFile::opened(identity).unwrap());
        let wal = WalLimit::new(db, 1 << 20, CheckpointTurn::default());
        Writer::new(conn, health, wal, 1 << 20)
    }

    fn same_connection(w: &Writer) -> bool {
        w.conn.execute_batch("SELECT * FROM temp.mark").is_ok()
    }

    #[test]
    fn a_failure_replaces_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kefu.db");
        let mut w = writer(&db, &db);
        w.reopen();
        assert!(!same_connection(&w));
        w.conn.execute_batch("CREATE TABLE t (x)").unwrap();
    }

    #[test]
    fn a_file_gone_keeps_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kefu.db");
        let mut w = writer(&db, &db);
        std::fs::rename(&db, dir.path().join("aside.db")).unwrap();
        w.reopen();
        assert!(same_connection(&w));
        assert!(!db.exists(), "nothing was created at the path");
    }

    #[test]
    fn a_connection_that_cannot_reopen_is_kept() {
        // The identity is the directory's: it stays, and no database opens there.
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kefu.db");
        let mut w = writer(&db, dir.path());
        w.reopen();
        assert!(same_connection(&w));
    }
}
