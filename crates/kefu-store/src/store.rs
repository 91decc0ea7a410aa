//! The [`Store`] trait every backend implements, and the typed `write` /
//! `read` calls the server makes on it.

use crate::error::StoreError;
use crate::job::{self, BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
use crate::tx::Tx;

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
    /// Whether a write can commit now: `Ok` when it can, else the cause.
    /// Health asks this. The default commits a probe write (one meta row);
    /// a backend may answer from what it knows already (a recent commit).
    fn probe(&self) -> BoxFuture<Result<(), StoreError>> {
        probe_write(self)
    }
    /// Tells the other processes sharing the data that this one committed
    /// changes: a hint for what shows state (the console), never relied on
    /// for correctness; coalesced. Nothing when nobody shares the data.
    fn tell_peers(&self) {}
    /// Calls `heard` whenever another process sharing the data says it
    /// committed changes, and after hearing was interrupted (some may have
    /// been missed). Never, when nobody shares the data.
    fn hear_peers(&self, heard: Box<dyn Fn() + Send + Sync>) {
        drop(heard);
    }
}

/// The default [`Store::probe`]: commits the meta row [`PROBE_KEY`].
pub(crate) fn probe_write<S: Store + ?Sized>(store: &S) -> BoxFuture<Result<(), StoreError>> {
    let write = store.submit_write(job::boxed(|tx: &mut dyn Tx| tx.set_meta(PROBE_KEY, "1")), None);
    Box::pin(async move { job::unwrap::<(), StoreError>(write.await) })
}

/// The meta row the default [`Store::probe`] writes.
pub const PROBE_KEY: &str = "health_probe";

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
