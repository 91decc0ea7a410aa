//! What time alone causes, run by a background loop and at once after the
//! virtual clock jumps: sessions idle for 30 minutes close (and their
//! `kf_close_session` is pushed at the timeout), and third-party platforms
//! get the `component_verify_ticket` that is due. It sits above `service`
//! (it calls three service modules) so that no service module has to call
//! another one back.

use crate::error::ControlError;
use crate::service::{clock, components, sessions};
use crate::state::AppState;
use kefu_api::control as c;
use std::time::Duration;

/// How often the loop looks for what time made due.
const EVERY: Duration = Duration::from_secs(1);

/// Starts the loop on the current runtime.
pub(crate) fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            on_time_passed(&state).await;
        }
    });
}

/// `POST /_kefu/clock/advance`: moves the virtual clock, then does what the
/// jump made due before answering, not at the loop's next round.
pub(crate) async fn advance(state: &AppState, req: c::Advance) -> Result<c::Clock, ControlError> {
    let moved = clock::advance_clock(state, req).await?;
    on_time_passed(state).await;
    Ok(moved)
}

/// Closes idle sessions and pushes due tickets. Failures are logged; the
/// next round tries again.
async fn on_time_passed(state: &AppState) {
    // Another process sharing the store may have moved the clock.
    clock::sync(state).await;
    if let Err(e) = sessions::sweep_idle(state).await {
        tracing::warn!(error = %e, "cannot close idle sessions");
    }
    if let Err(e) = components::push_due_tickets(state).await {
        tracing::warn!(error = %e, "cannot push due component tickets");
    }
}
