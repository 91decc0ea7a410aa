//! What `/metrics` reads at scrape time: the gauges that are cheaper to
//! read when asked than to keep current (the outbox's depth, the journal's
//! size), then the exposition of every metric.

use crate::state::AppState;
use kefu_store::{StoreError, Tx};

/// Pushes waiting in the outbox, of every app and third-party platform.
fn outbox_depth(tx: &mut dyn Tx) -> Result<u64, StoreError> {
    let mut owners: Vec<_> = tx.apps()?.into_iter().map(|a| a.appid).collect();
    owners.extend(tx.pushed_components()?);
    owners.iter().try_fold(0, |sum, id| Ok(sum + tx.pending_pushes(id)?))
}

/// The Prometheus text, with the scrape-time gauges refreshed. A store that
/// cannot answer leaves the outbox gauge as it was.
pub(crate) async fn scrape(state: &AppState) -> String {
    let depth = state.store.read(outbox_depth).await;
    let journal = state.traffic.journal.len();
    match depth {
        Ok(depth) => crate::metrics::gauges(Some(depth), journal),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the outbox depth");
            crate::metrics::gauges(None, journal);
        }
    }
    crate::metrics::render()
}
