//! How the SQLite backend opens its connections: the writer's settings
//! (WAL, `synchronous=FULL`, no automatic checkpoints), read-only ones for
//! readers, and how SQLite's errors become [`StoreError`]s.

use crate::error::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

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

pub(crate) fn open_connection(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(backend)?;
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
