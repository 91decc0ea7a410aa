//! Type erasure for transaction closures, so that [`crate::Store`] stays
//! object-safe while callers keep their own result and error types.

use crate::error::StoreError;
use crate::tx::Tx;
use std::any::Any;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// A job's successful value, erased.
pub type JobOutput = Box<dyn Any + Send>;
/// A closure run inside a read-write transaction (may be re-run on retry).
pub type WriteJob = Box<dyn FnMut(&mut dyn Tx) -> Result<JobOutput, JobError> + Send>;
/// A closure run on a read-only snapshot.
pub type ReadJob = WriteJob;

/// Why a job did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// The closure returned `Err`: its changes are rolled back and the value
    /// goes back to the caller.
    Reject(Box<dyn Any + Send>),
    /// The store failed around the closure (commit, connection).
    Store(StoreError),
}

pub(crate) fn boxed<T, E, F>(mut f: F) -> WriteJob
where
    T: Send + 'static,
    E: Send + 'static,
    F: FnMut(&mut dyn Tx) -> Result<T, E> + Send + 'static,
{
    Box::new(move |tx| match f(tx) {
        Ok(v) => Ok(Box::new(v) as JobOutput),
        Err(e) => Err(JobError::Reject(Box::new(e))),
    })
}

pub(crate) fn unwrap<T: 'static, E: From<StoreError> + 'static>(r: Result<JobOutput, JobError>) -> Result<T, E> {
    match r {
        Ok(v) => v
            .downcast::<T>()
            .map(|b| *b)
            .map_err(|_| E::from(StoreError::Corrupt("job output type".into()))),
        Err(JobError::Reject(e)) => Err(e
            .downcast::<E>()
            .map(|b| *b)
            .unwrap_or_else(|_| E::from(StoreError::Corrupt("job error type".into())))),
        Err(JobError::Store(e)) => Err(E::from(e)),
    }
}
