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

mod claim;
pub mod codec;
mod job;
pub mod postgres;
pub mod sqlite;
mod tx;
mod url;

pub use job::{BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
pub use tx::{CallbackTx, ConversationTx, HeadImage, PlatformTx, Tx};
pub use url::DatabaseUrl;

use std::sync::Arc;

/// A failure of the storage layer itself (never a business rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (IO, SQL, constraint); the detail is for logs only.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// A stored row could not be read back into a domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The store has shut down.
    #[error("the store is closed")]
    Closed,
    /// The database URL names no backend this build has.
    #[error("unsupported database url: {0}")]
    Unsupported(String),
}

/// Persistence behind one interface. Use [`Store::write`] and [`Store::read`]
/// (on `dyn Store`) rather than the `submit_*` methods.
pub trait Store: Send + Sync + 'static {
    /// Runs a job in a read-write transaction; resolves once it is durable.
    /// Jobs given the same `queue_on` key are run one after the other by
    /// every process sharing the data (a hint for hot rows; a backend with a
    /// single writer already does).
    fn submit_write(&self, job: WriteJob, queue_on: Option<String>) -> BoxFuture<Result<JobOutput, JobError>>;
    /// Runs a job on a consistent snapshot; never waits for writers.
    fn submit_read(&self, job: ReadJob) -> BoxFuture<Result<JobOutput, JobError>>;
    /// The backend's name, for logs and health.
    fn backend(&self) -> &'static str;
    /// Whether other processes may write the same data. When they may not,
    /// the server can keep in-process caches coherent by itself.
    fn shared(&self) -> bool;
}

impl dyn Store {
    /// Runs `f` in a transaction. `Ok` is committed and durable when this
    /// returns; `Err` (a business rejection or a store error) changes nothing.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnMut(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        job::unwrap(self.submit_write(job::boxed(f), None).await)
    }

    /// As [`write`](Self::write), queued behind every other write with the
    /// same `key`: for writes that all touch one hot row (an app's current
    /// token), which would otherwise keep losing races to one another.
    pub async fn write_queued<T, E, F>(&self, key: String, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnMut(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        job::unwrap(self.submit_write(job::boxed(f), Some(key)).await)
    }

    /// Runs `f` on a read-only snapshot.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnMut(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        job::unwrap(self.submit_read(job::boxed(f)).await)
    }
}

/// Opens (creating if needed) the store a URL names and applies migrations.
pub fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open(path)?)),
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
