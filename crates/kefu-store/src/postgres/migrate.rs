//! Embedded PostgreSQL migrations, applied in order inside one transaction at
//! open (and by `kefu migrate`). Applied versions are recorded in
//! `schema_migrations`; a file, once released, is never edited. Versions are
//! numbered like the SQLite ones, so a schema change adds one file to each.
//!
//! Several kefu processes may start at once against one database: the run
//! holds a transaction-scoped advisory lock (one per schema), so the others
//! wait, then find the work done.

use super::failure::backend;
use crate::error::StoreError;
use postgres::{Client, IsolationLevel, Transaction};

/// `(version, sql)`, in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (2, include_str!("../../migrations/postgres/0002_conversation.sql")),
    (3, include_str!("../../migrations/postgres/0003_platform.sql")),
    (4, include_str!("../../migrations/postgres/0004_callbacks.sql")),
    (5, include_str!("../../migrations/postgres/0005_snapshots.sql")),
    (6, include_str!("../../migrations/postgres/0006_kf_load.sql")),
];

/// First key of kefu's advisory locks (the bytes of "kefu"); the second is
/// the schema's hash.
const LOCK_CLASS: i32 = 0x6b65_6675;

/// Applies pending migrations, creating `schema` first when it is missing;
/// returns how many ran.
pub(crate) fn run(client: &mut Client, schema: Option<&str>) -> Result<usize, StoreError> {
    // READ COMMITTED: every statement after the lock sees what the process
    // that held it before committed.
    let mut txn = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .map_err(backend)?;
    // Another process's migration may take a while; wait for it.
    txn.batch_execute("SET LOCAL lock_timeout = '5min'; SET LOCAL statement_timeout = '5min'")
        .map_err(backend)?;
    txn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&LOCK_CLASS, &schema.unwrap_or("")],
    )
    .map_err(backend)?;
    if let Some(schema) = schema {
        create_schema(&mut txn, schema)?;
    }
    let applied = apply_pending(&mut txn)?;
    txn.commit().map_err(backend)?;
    Ok(applied)
}

/// Creates the schema unless it exists (checked first, so that a role without
/// the CREATE privilege can use a schema made for it).
fn create_schema(txn: &mut Transaction<'_>, schema: &str) -> Result<(), StoreError> {
    let exists = txn
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .map_err(backend)?
        .is_some();
    if !exists {
        // `schema` is checked to be a plain lower-case identifier.
        txn.batch_execute(&format!("CREATE SCHEMA {schema}")).map_err(backend)?;
        tracing::info!(schema, "created PostgreSQL schema");
    }
    Ok(())
}

fn apply_pending(txn: &mut Transaction<'_>) -> Result<usize, StoreError> {
    txn.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
        .map_err(backend)?;
    let current: i64 = txn
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
        .and_then(|row| row.try_get(0))
        .map_err(backend)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        txn.batch_execute(sql).map_err(backend)?;
        txn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
            .map_err(backend)?;
        applied += 1;
    }
    Ok(applied)
}
