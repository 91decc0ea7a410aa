//! Persistence for kefu: one [`Store`] trait, its backends, and the [`Tx`]
//! vocabulary of reads and writes every backend implements.
//!
//! The store never decides anything: the server's service functions run a
//! closure inside a transaction, load rows through [`Tx`], ask `kefu-core` what
//! to do, and write the result back. A closure that returns `Err` is rolled
//! back as a unit; a write is acknowledged only once it is durable.
//!
//! Backends, chosen by [`DatabaseUrl`]: [`sqlite`] (embedded, the default; one
//! process owns the file) and [`postgres`] (a server that several kefu
//! processes may share). Both pass the same conformance suite.
//!
//! The SQL is written once (`src/sql/`): every [`Tx`] method, column list
//! and row decoder is implemented over a small connection trait that each
//! backend implements for its transactions. What stays per backend is what
//! truly differs: SQLite's writer thread and group commit, PostgreSQL's
//! worker pools, retries and connection handling, and each one's migrations.

mod claim;
pub mod codec;
pub mod document;
mod error;
mod job;
mod measure;
pub mod postgres;
mod sql;
pub mod sqlite;
pub mod state;
mod store;
mod tx;
mod url;

pub use document::{Document, DocumentError};
pub use error::StoreError;
pub use job::{BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
pub use sqlite::SqliteSettings;
pub use state::{SnapshotInfo, StateTx};
pub use store::{Store, PROBE_KEY};
pub use tx::{CallbackTx, ConversationTx, HeadImage, PlatformTx, Tx};
pub use url::DatabaseUrl;

use std::sync::Arc;

/// Opens (creating if needed) the store a URL names and applies migrations.
pub fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, SqliteSettings::default())
}

/// As [`open`], with the settings an SQLite store runs with (ignored by
/// other backends).
pub fn open_with(url: &DatabaseUrl, sqlite: SqliteSettings) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open_with(path, sqlite)?)),
        DatabaseUrl::Postgres(raw) => Ok(Arc::new(postgres::PgStore::open(raw)?)),
    }
}

/// Applies pending migrations and reports how many ran.
pub fn migrate(url: &DatabaseUrl) -> Result<usize, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => sqlite::migrate_file(path),
        DatabaseUrl::Postgres(raw) => postgres::migrate_url(raw),
    }
}
