//! What the SQLite store knows of its own health, so that `probe` can be
//! honest and cheap.
//!
//! The writer records every batch's outcome here, and a drop guard on its
//! thread records when it ends. The database file's identity (device and
//! inode) is taken when the store opens it and compared with what the path
//! names now before every commit and every probe: a file deleted or replaced
//! under a running kefu would otherwise keep taking commits that the next
//! start never sees (the open connection writes to the old, unlinked file).

use crate::error::StoreError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A commit this recent (of a batch that changed rows: one that changed
/// nothing writes nothing) proves, by itself, that writes can commit.
const RECENT: Duration = Duration::from_secs(1);

/// The database file the store opened, by identity rather than by name.
#[derive(Debug)]
pub(crate) struct DbFile {
    path: PathBuf,
    id: FileId,
}

/// `(device, inode)`: what the path named when the store opened it.
type FileId = (u64, u64);

impl DbFile {
    /// The file `path` names now (call it right after opening it).
    pub(crate) fn opened(path: &Path) -> Result<DbFile, StoreError> {
        let id = identity(path).map_err(|e| StoreError::Backend(format!("cannot stat {}: {e}", path.display())))?;
        Ok(DbFile {
            path: path.to_owned(),
            id,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `Ok` while the path still names the opened file.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        match identity(&self.path) {
            Ok(id) if id == self.id => Ok(()),
            Ok(_) => Err(self.lost("replaced by another file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(self.lost("deleted")),
            Err(e) => Err(StoreError::Backend(format!(
                "cannot stat the database file {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn lost(&self, how: &str) -> StoreError {
        StoreError::Backend(format!(
            "the database file {} was {how} after kefu opened it; writes are refused \
             until the opened file is back at that path or kefu restarts",
            self.path.display()
        ))
    }
}

#[cfg(unix)]
fn identity(path: &Path) -> std::io::Result<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

/// Without inodes, only a deleted file is noticed.
#[cfg(not(unix))]
fn identity(path: &Path) -> std::io::Result<FileId> {
    std::fs::metadata(path).map(|_| (0, 0))
}

/// Shared by the writer (which records) and the store (which asks).
#[derive(Debug)]
pub(crate) struct Health {
    pub(crate) file: DbFile,
    born: Instant,
    /// Nanoseconds after `born` of the last commit's end; 0: none yet.
    last_commit: AtomicU64,
    /// Why the last batch failed; cleared by the next commit.
    failure: Mutex<Option<StoreError>>,
    writer_running: AtomicBool,
}

/// What [`Health::known`] can tell without writing.
#[derive(Debug, PartialEq)]
pub(crate) enum Known {
    /// A batch that changed rows committed within the last second, and the
    /// file is the same.
    Committing,
    /// Writes cannot commit: the writer stopped or the file is not the one opened.
    Broken(StoreError),
    /// Only a write can tell (nothing committed lately, or the last batch failed).
    Unknown,
}

impl Health {
    pub(crate) fn new(file: DbFile) -> Arc<Health> {
        Arc::new(Health {
            file,
            born: Instant::now(),
            last_commit: AtomicU64::new(0),
            failure: Mutex::new(None),
            writer_running: AtomicBool::new(true),
        })
    }

    /// A batch that changed rows committed just now.
    pub(crate) fn committed(&self) {
        let now = u64::try_from(self.born.elapsed().as_nanos()).unwrap_or(u64::MAX).max(1);
        self.last_commit.store(now, Ordering::Release);
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// A batch failed as a whole (nothing of it committed).
    pub(crate) fn failed(&self, why: StoreError) {
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
    }

    /// The last batch's failure, while no commit has followed it.
    pub(crate) fn failure(&self) -> Option<StoreError> {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn known(&self) -> Known {
        if !self.writer_running.load(Ordering::Acquire) {
            return Known::Broken(writer_stopped());
        }
        if let Err(e) = self.file.check() {
            return Known::Broken(e);
        }
        let last = self.last_commit.load(Ordering::Acquire);
        let since = self.born.elapsed().saturating_sub(Duration::from_nanos(last));
        if last != 0 && since < RECENT && self.failure().is_none() {
            Known::Committing
        } else {
            Known::Unknown
        }
    }

    /// Held by the writer thread: dropping it (the thread ends, by any
    /// means) marks the writer stopped.
    pub(crate) fn running(self: &Arc<Self>) -> Running {
        Running(self.clone())
    }
}

pub(crate) fn writer_stopped() -> StoreError {
    StoreError::Backend("the SQLite writer thread has stopped; restart kefu".into())
}

/// See [`Health::running`].
pub(crate) struct Running(Arc<Health>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.writer_running.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health() -> (tempfile::TempDir, Arc<Health>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        std::fs::write(&path, b"x").unwrap();
        let health = Health::new(DbFile::opened(&path).unwrap());
        (dir, health)
    }

    #[test]
    fn a_recent_commit_is_known_and_a_failure_makes_it_unknown() {
        let (_dir, h) = health();
        assert_eq!(h.known(), Known::Unknown);
        h.committed();
        assert_eq!(h.known(), Known::Committing);
        h.failed(StoreError::Backend("disk full".into()));
        assert_eq!(h.known(), Known::Unknown);
        assert_eq!(h.failure(), Some(StoreError::Backend("disk full".into())));
        h.committed();
        assert_eq!((h.known(), h.failure()), (Known::Committing, None));
    }

    #[test]
    fn a_stopped_writer_is_known_broken() {
        let (_dir, h) = health();
        h.committed();
        let running = h.running();
        let thread = std::thread::spawn(move || drop(running));
        thread.join().unwrap();
        assert_eq!(h.known(), Known::Broken(writer_stopped()));
    }

    #[test]
    fn a_deleted_or_replaced_file_is_known_broken() {
        let (dir, h) = health();
        h.committed();
        let path = h.file.path().to_owned();
        let aside = dir.path().join("aside");
        std::fs::rename(&path, &aside).unwrap();
        assert!(matches!(h.known(), Known::Broken(StoreError::Backend(e)) if e.contains("deleted")));
        std::fs::write(&path, b"x").unwrap();
        assert!(matches!(h.known(), Known::Broken(StoreError::Backend(e)) if e.contains("replaced")));
        std::fs::rename(&aside, &path).unwrap();
        assert_eq!(h.known(), Known::Committing);
    }
}
