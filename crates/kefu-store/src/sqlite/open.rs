//! How the SQLite backend opens its connections: the writer's settings
//! (WAL, `synchronous=FULL`, no automatic checkpoints, the WAL's size
//! limit), read-only ones for readers, and how SQLite's errors become
//! [`StoreError`]s.

use crate::error::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How long a statement waits for a lock another connection holds.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Creates the directory a database file is to live in.
pub(crate) fn create_dir(path: &Path) -> Result<(), StoreError> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(e.to_string())),
        None => Ok(()),
    }
}

/// What a connection may do to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read only (the readers).
    Read,
    /// Read and write a file that must exist already.
    Write,
    /// Read and write, creating the file when missing.
    Create,
}

pub(crate) fn open_connection(path: &Path, access: Access) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX
        | match access {
            Access::Read => OpenFlags::SQLITE_OPEN_READ_ONLY,
            Access::Write => OpenFlags::SQLITE_OPEN_READ_WRITE,
            Access::Create => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        };
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    if access != Access::Read {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        // The checkpointer thread checkpoints; no commit stops to do it.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(backend)?;
        conn.pragma_update(None, "cache_size", -16384).map_err(backend)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The writer's connection: as any read-write one, and a restarted WAL
/// keeps at most `wal_limit` bytes on disk.
pub(crate) fn open_writer(path: &Path, access: Access, wal_limit: u64) -> Result<Connection, StoreError> {
    let conn = open_connection(path, access)?;
    let limit = i64::try_from(wal_limit).unwrap_or(i64::MAX);
    conn.pragma_update(None, "journal_size_limit", limit).map_err(backend)?;
    Ok(conn)
}
