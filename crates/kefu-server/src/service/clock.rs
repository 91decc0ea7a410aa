//! The virtual clock's stored offset, and the store's health.
//!
//! The offset lives in the store so that a restart keeps virtual time and so
//! that several kefu processes sharing one database read the same clock:
//! with a shared store every request first reads the stored offset.

use crate::error::ControlError;
use crate::state::AppState;
use kefu_api::control as c;
use kefu_store::{Store, StoreError, Tx};
use std::time::Duration;

const CLOCK_OFFSET: &str = "clock_offset";
/// How long `health` waits for the store before calling it unavailable.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a request waits for the shared clock before going on without it.
const SYNC_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /_kefu/clock`.
pub(crate) fn clock(state: &AppState) -> c::Clock {
    c::Clock {
        now: state.now().0,
        offset: state.clock.offset(),
        frozen: state.clock.is_frozen(),
    }
}

/// `POST /_kefu/clock/advance`: moves the virtual clock forward, durably.
pub(crate) async fn advance_clock(state: &AppState, req: c::Advance) -> Result<c::Clock, ControlError> {
    let base = state.clock.base();
    kefu_core::clock::advance(base, state.clock.offset(), req.seconds).map_err(bad_advance)?;
    let offset = state
        .store
        .write(move |tx| {
            // The stored offset is the record (another process may have moved it).
            let offset = kefu_core::clock::advance(base, read_offset(tx)?, req.seconds).map_err(bad_advance)?;
            tx.set_meta(CLOCK_OFFSET, &offset.to_string())?;
            Ok::<_, ControlError>(offset)
        })
        .await?;
    state.clock.set_offset(offset);
    Ok(clock(state))
}

fn bad_advance(e: kefu_core::clock::ClockError) -> ControlError {
    ControlError::BadRequest(format!("seconds: {e}"))
}

pub(crate) fn read_offset(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    Ok(tx.meta(CLOCK_OFFSET)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// The stored clock offset, for start-up.
pub async fn load_clock_offset(store: &dyn Store) -> Result<i64, StoreError> {
    store.read(|tx| read_offset(tx)).await
}

/// With a shared store, takes the offset another process may have moved.
/// A store that cannot answer within [`SYNC_TIMEOUT`] leaves the clock as it
/// was (the request then meets the same failure and answers it).
pub(crate) async fn sync(state: &AppState) {
    if !state.store.shared() {
        return;
    }
    let read = tokio::time::timeout(SYNC_TIMEOUT, load_clock_offset(&*state.store)).await;
    if let Ok(Ok(offset)) = read {
        state.clock.set_offset(offset);
    }
}

/// `GET /_kefu/health`: `ok` when a write can commit now (the store's
/// probe answers within a few seconds), else `unavailable` (and the cause
/// in the log).
pub(crate) async fn health(state: &AppState) -> c::Health {
    let probe = tokio::time::timeout(HEALTH_TIMEOUT, state.store.probe()).await;
    let status = match probe {
        Ok(Ok(_)) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health: the store does not answer");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!("health: the store did not answer in time");
            "unavailable"
        }
    };
    c::Health {
        status: status.into(),
        store: state.store.backend().into(),
    }
}
