//! What tells the console that something changed, so that every view
//! follows the API, the CLI and other browsers without a reload.
//!
//! Every write the store commits (a WeChat call, a control call, the
//! background loop, a push's log) passes through [`Announcing`], a store
//! that forwards to the real one and bumps [`Changes`] after each commit;
//! fault rules bump it too. The push dispatcher's claims and heartbeats,
//! which commit every 250 ms and change nothing a view shows, use the
//! store unwrapped (`AppState::bookkeeping`). `GET /_kefu/events` streams
//! the counter. It
//! says *that* something changed, not what: a view reads again what it
//! shows. Writes made by another process sharing a PostgreSQL database
//! reach it as that process's hint (the store's `hear_peers`, a `NOTIFY`),
//! and this process's commits are hinted to the others (`tell_peers`).

use kefu_store::{BoxFuture, JobError, JobOutput, ReadJob, Store, StoreError, WriteJob};
use std::sync::Arc;
use tokio::sync::watch;

/// A counter of state changes, watched by every open event stream.
#[derive(Debug)]
pub(crate) struct Changes {
    counter: watch::Sender<u64>,
    closed: watch::Sender<bool>,
}

impl Changes {
    pub(crate) fn new() -> Self {
        Changes {
            counter: watch::Sender::new(0),
            closed: watch::Sender::new(false),
        }
    }

    /// The server is stopping: every open stream ends, so that the
    /// connections holding them can close.
    pub(crate) fn close(&self) {
        self.closed.send_replace(true);
    }

    /// The server serves again (the same state may be served more than once).
    pub(crate) fn reopen(&self) {
        self.closed.send_replace(false);
    }

    /// Resolves once [`close`](Self::close) was called.
    pub(crate) fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closed = self.closed.subscribe();
        async move {
            let _ = closed.wait_for(|c| *c).await;
        }
    }

    /// Something changed: wakes every stream.
    pub(crate) fn bump(&self) {
        self.counter.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that wakes at the next change.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.counter.subscribe()
    }
}

/// The store every handler uses: the real one, announcing its commits.
pub(crate) struct Announcing {
    inner: Arc<dyn Store>,
    changes: Arc<Changes>,
}

impl Announcing {
    /// Announces this process's commits, and (on a shared store) what
    /// other processes say they committed.
    pub(crate) fn wrap(inner: Arc<dyn Store>, changes: Arc<Changes>) -> Arc<dyn Store> {
        if inner.shared() {
            let heard = changes.clone();
            inner.hear_peers(Box::new(move || heard.bump()));
        }
        Arc::new(Announcing { inner, changes })
    }
}

impl Store for Announcing {
    fn submit_write(&self, job: WriteJob, queue_on: Option<String>) -> BoxFuture<Result<JobOutput, JobError>> {
        let write = self.inner.submit_write(job, queue_on);
        let (changes, inner) = (self.changes.clone(), self.inner.clone());
        Box::pin(async move {
            let done = write.await;
            if done.is_ok() {
                changes.bump();
                inner.tell_peers();
            }
            done
        })
    }

    fn submit_read(&self, job: ReadJob) -> BoxFuture<Result<JobOutput, JobError>> {
        self.inner.submit_read(job)
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn shared(&self) -> bool {
        self.inner.shared()
    }

    fn probe(&self) -> BoxFuture<Result<(), StoreError>> {
        self.inner.probe()
    }

    fn tell_peers(&self) {
        self.inner.tell_peers();
    }

    fn hear_peers(&self, heard: Box<dyn Fn() + Send + Sync>) {
        self.inner.hear_peers(heard);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_store::{DatabaseUrl, Tx};

    #[tokio::test]
    async fn only_committed_writes_are_announced() {
        let dir = tempfile::tempdir().unwrap();
        let inner = kefu_store::open(&DatabaseUrl::Sqlite(dir.path().join("kefu.db"))).unwrap();
        let changes = Arc::new(Changes::new());
        let store = Announcing::wrap(inner, changes.clone());
        let seen = changes.watch();
        let refused: Result<(), StoreError> = store
            .write(|tx: &mut dyn Tx| {
                tx.set_meta("console_test", "1")?;
                Err(StoreError::Corrupt("refused on purpose".into()))
            })
            .await;
        assert!(refused.is_err());
        assert_eq!(*seen.borrow(), 0, "a rolled-back write is no change");
        let read: Result<Option<String>, StoreError> = store.read(|tx: &mut dyn Tx| tx.meta("console_test")).await;
        assert_eq!((read.unwrap(), *seen.borrow()), (None, 0), "a read is no change");
        let done: Result<(), StoreError> = store.write(|tx: &mut dyn Tx| tx.set_meta("console_test", "2")).await;
        done.unwrap();
        assert_eq!(*seen.borrow(), 1, "a commit is announced before its caller hears of it");
    }
}
