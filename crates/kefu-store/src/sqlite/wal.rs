//! Keeping the write-ahead log bounded.
//!
//! Commits only append to the WAL; the checkpointer thread's passive
//! checkpoints copy it into the database file without blocking anyone, but
//! they never restart it: under sustained writes the copy never catches up
//! with the end of the log, and the log grows without bound. So after a
//! commit that leaves the WAL past half its limit, the writer itself (it
//! holds no transaction then, so it waits for no other writer) runs a
//! RESTART checkpoint: it copies what the passive ones have not copied yet,
//! and the next commit writes the log from its start again, over the same
//! file (a TRUNCATE would empty the file, and every commit after it would
//! pay for growing it again: measured, a third of the write throughput).
//! The writer restarts the log only when the file has grown since its last
//! restart, so it does not restart a reused log at every commit. Commits
//! queued meanwhile wait for it, a few milliseconds: the passive
//! checkpoints leave little to copy. A reader
//! still on a snapshot older than that copy keeps the file from being
//! emptied: below the limit the writer does not wait for it and tries again
//! after its next commit; past the limit it waits for readers a little (new
//! readers do not hold it up, the log being all copied by then). The two
//! checkpointers take turns through a mutex; the writer never waits for a
//! passive checkpoint, it tries again after its next commit.
//! `journal_size_limit` (the limit) caps what a restarted log keeps on disk.

use super::open::{backend, BUSY_TIMEOUT};
use crate::error::StoreError;
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The default WAL limit.
pub const DEFAULT_WAL_LIMIT: u64 = 64 << 20;
/// How long a RESTART checkpoint of a WAL past its limit waits for readers
/// to leave older snapshots (below the limit it does not wait).
const READER_PATIENCE: Duration = Duration::from_millis(50);

/// Taken by whichever thread checkpoints.
pub(crate) type CheckpointTurn = Arc<Mutex<()>>;

/// The writer's side: when to restart the WAL, and doing it.
pub(crate) struct WalLimit {
    wal: PathBuf,
    limit: u64,
    /// The file's size at the last restart (at most `limit`): a log reused
    /// from its start is not restarted again until the file grows past it.
    restarted_at: u64,
    turn: CheckpointTurn,
    /// Whether the last attempt failed (its error is logged once).
    failing: bool,
}

/// What [`WalLimit::after_commit`] did.
#[derive(Debug)]
pub(crate) enum Checkpointed {
    /// The WAL was under the threshold, or the other checkpointer had the turn.
    Nothing,
    /// The WAL was copied and restarted; the checkpoint took this long.
    Restarted(Duration),
    /// Readers held old snapshots; tried again after the next commit.
    Busy,
    /// The checkpoint failed (first failure of a run only).
    Failed(StoreError),
}

impl WalLimit {
    pub(crate) fn new(db: &Path, limit_bytes: u64, turn: CheckpointTurn) -> WalLimit {
        WalLimit {
            wal: wal_path(db),
            limit: limit_bytes,
            restarted_at: 0,
            turn,
            failing: false,
        }
    }

    /// Called by the writer after each commit, outside any transaction.
    pub(crate) fn after_commit(&mut self, conn: &Connection) -> Checkpointed {
        let size = std::fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0);
        if size < self.limit / 2 || size <= self.restarted_at {
            return Checkpointed::Nothing;
        }
        let Ok(_turn) = self.turn.try_lock() else {
            return Checkpointed::Nothing;
        };
        let started = Instant::now();
        let patience = if size >= self.limit {
            READER_PATIENCE
        } else {
            Duration::ZERO
        };
        match restart(conn, patience) {
            Ok(true) => {
                self.failing = false;
                self.restarted_at = size.min(self.limit);
                Checkpointed::Restarted(started.elapsed())
            }
            Ok(false) => Checkpointed::Busy,
            Err(e) => {
                let first = !self.failing;
                self.failing = true;
                if first {
                    Checkpointed::Failed(e)
                } else {
                    Checkpointed::Nothing
                }
            }
        }
    }
}

/// A RESTART checkpoint on `conn`; `Ok(false)` when readers kept it from
/// completing within `patience`.
fn restart(conn: &Connection, patience: Duration) -> Result<bool, StoreError> {
    conn.busy_timeout(patience).map_err(backend)?;
    let busy = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    Ok(busy.map_err(backend)? == 0)
}

/// `PATH-wal`.
pub(crate) fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// How often the checkpointer thread copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The checkpointer thread: passive checkpoints until the store is dropped
/// (`stop` closes); they copy what they can without blocking the writer or
/// the readers. A failure is logged when it starts, not at every try; a
/// panic (in logging, say) costs one try, not the thread.
pub(crate) fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>, turn: CheckpointTurn) {
    let mut failing = false;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
            match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "sqlite checkpoint failed");
                }
                Err(_) => {}
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::super::open::{open_connection, open_writer, Access};
    use super::*;

    /// A database whose WAL holds a few pages, and its writer connection.
    fn written(limit: u64) -> (tempfile::TempDir, PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kefu.db");
        let conn = open_writer(&db, Access::Create, limit).unwrap();
        conn.execute_batch("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (zeroblob(20000));")
            .unwrap();
        (dir, db, conn)
    }

    fn wal_size(db: &Path) -> u64 {
        std::fs::metadata(wal_path(db)).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn a_wal_under_half_its_limit_is_left_alone() {
        let (_dir, db, conn) = written(1 << 20);
        let mut wal = WalLimit::new(&db, 1 << 20, CheckpointTurn::default());
        assert!(matches!(wal.after_commit(&conn), Checkpointed::Nothing));
        assert!(wal_size(&db) > 0);
    }

    #[test]
    fn a_wal_past_half_its_limit_is_restarted_and_reused() {
        let (_dir, db, conn) = written(64 << 10);
        let mut wal = WalLimit::new(&db, 64 << 10, CheckpointTurn::default());
        assert!(matches!(wal.after_commit(&conn), Checkpointed::Restarted(_)));
        let size = wal_size(&db);
        // The same write again goes over the restarted log: the file does
        // not grow, and a reused log is not restarted again.
        conn.execute("UPDATE t SET x = zeroblob(20000)", []).unwrap();
        assert_eq!(wal_size(&db), size);
        assert!(matches!(wal.after_commit(&conn), Checkpointed::Nothing));
    }

    #[test]
    fn the_writer_does_not_wait_for_the_passive_checkpointer() {
        let (_dir, db, conn) = written(16 << 10);
        let turn = CheckpointTurn::default();
        let mut wal = WalLimit::new(&db, 16 << 10, turn.clone());
        let passive = turn.lock().unwrap();
        assert!(matches!(wal.after_commit(&conn), Checkpointed::Nothing));
        drop(passive);
        assert!(wal_size(&db) > 0);
    }

    #[test]
    fn a_failing_checkpoint_is_reported_once_until_one_succeeds() {
        let (_dir, db, conn) = written(16 << 10);
        let read_only = open_connection(&db, Access::Read).unwrap();
        let mut wal = WalLimit::new(&db, 16 << 10, CheckpointTurn::default());
        let outcomes = [
            wal.after_commit(&read_only),
            wal.after_commit(&read_only),
            wal.after_commit(&conn),
        ];
        assert!(
            matches!(
                outcomes,
                [
                    Checkpointed::Failed(_),
                    Checkpointed::Nothing,
                    Checkpointed::Restarted(_)
                ]
            ),
            "{outcomes:?}"
        );
        assert!(!wal.failing);
    }

    #[test]
    fn a_reader_on_the_log_makes_it_try_again_after_the_next_commit() {
        let (_dir, db, conn) = written(40 << 10);
        let mut wal = WalLimit::new(&db, 40 << 10, CheckpointTurn::default());
        let mut reader = open_connection(&db, Access::Read).unwrap();
        let snapshot = reader.transaction().unwrap();
        let rows: i64 = snapshot.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        let held = wal.after_commit(&conn);
        drop(snapshot);
        let freed = wal.after_commit(&conn);
        assert_eq!(rows, 1);
        assert!(
            matches!((&held, &freed), (Checkpointed::Busy, Checkpointed::Restarted(_))),
            "{held:?} then {freed:?}"
        );
    }
}
