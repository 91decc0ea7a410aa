//! The delivery log's writer: tries finished at about the same time are
//! logged in one store job, so a busy outbox costs the store one write per
//! batch rather than one per push. A try is acknowledged only once its
//! entry (and the outbox change it implies) is durable.

use crate::state::AppState;
use kefu_core::push::Delivery;
use kefu_store::StoreError;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long to wait before asking a failing store again.
const STORE_RETRY: Duration = Duration::from_millis(500);

/// Most entries one store job writes.
const BATCH: usize = 32;

type Entry = (Delivery, oneshot::Sender<()>);

/// A handle to the log's writer task.
pub(super) struct Recorder {
    tx: mpsc::UnboundedSender<Entry>,
}

impl Recorder {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(state: AppState) -> Recorder {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(state, rx));
        Recorder { tx }
    }

    /// Logs one try; returns once it is durable.
    pub(super) async fn record(&self, d: Delivery) {
        let (done, wait) = oneshot::channel();
        if self.tx.send((d, done)).is_ok() {
            let _ = wait.await;
        }
    }
}

async fn run(state: AppState, mut rx: mpsc::UnboundedReceiver<Entry>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(entry) => batch.push(entry),
                Err(_) => break,
            }
        }
        let (entries, acks): (Vec<Delivery>, Vec<_>) = batch.into_iter().unzip();
        let entries = Arc::new(entries);
        persist("log the tries", || {
            let entries = entries.clone();
            state.store.write(move |tx| {
                for d in entries.iter() {
                    tx.record_delivery(d)?;
                }
                Ok(())
            })
        })
        .await;
        for ack in acks {
            let _ = ack.send(());
        }
    }
}

/// Runs a store call until it succeeds (the store is down: nothing else
/// works either, and the push must not be lost).
pub(super) async fn persist<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) => {
                tracing::warn!(error = %e, "push delivery: cannot {what}; trying again");
                tokio::time::sleep(STORE_RETRY).await;
            }
        }
    }
}
