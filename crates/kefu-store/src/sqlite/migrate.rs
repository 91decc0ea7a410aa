//! Embedded SQLite migrations, applied in order inside one transaction at
//! start-up (and by `kefu migrate`). Applied versions are recorded in
//! `schema_migrations`; a file, once released, is never edited.

use super::open::{backend, create_dir, open_connection, Access};
use crate::error::StoreError;
use rusqlite::Connection;
use std::path::Path;

/// `(version, sql)`, in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_conversation.sql")),
    (3, include_str!("../../migrations/sqlite/0003_platform.sql")),
    (4, include_str!("../../migrations/sqlite/0004_callbacks.sql")),
    (5, include_str!("../../migrations/sqlite/0005_snapshots.sql")),
    (6, include_str!("../../migrations/sqlite/0006_kf_load.sql")),
];

/// Applies pending migrations; returns how many ran.
pub(crate) fn run(conn: &mut Connection) -> Result<usize, StoreError> {
    let txn = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend)?;
    txn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        .map_err(backend)?;
    let current: i64 = txn
        .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .map_err(backend)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        txn.execute_batch(sql).map_err(backend)?;
        txn.execute("INSERT INTO schema_migrations (version) VALUES (?1)", [version])
            .map_err(backend)?;
        applied += 1;
    }
    txn.commit().map_err(backend)?;
    Ok(applied)
}

/// Opens the file (creating it and its directory) and applies migrations.
pub fn migrate_file(path: &Path) -> Result<usize, StoreError> {
    create_dir(path)?;
    run(&mut open_connection(path, Access::Create)?)
}
