//! The delivery log's writer: tries finished at about the same time are
//! logged in one store job, so a busy outbox costs the store one write per
//! batch rather than one per push. A try is acknowledged only once its
//! entry (and the outbox change it implies) is durable.

use super::deliver::persist;
use crate::state::AppState;
use kefu_core::push::Delivery;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

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
