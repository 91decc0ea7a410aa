//! `GET /_kefu/events`: Server-Sent Events that tell a client (the console)
//! when to read again. A `state` event (`{"seq": N}`) comes at once and
//! after every committed change or fault-rule change; a `journal` event
//! (`{"id": N}`, the newest entry) after WeChat-side requests. Both are
//! coalesced: a burst of changes is one event, at most one of each kind
//! every [`PACE`]. Every stream ends when the server stops.

use crate::state::AppState;
use crate::traffic::journal::Record;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// The shortest time between two events of a stream.
const PACE: Duration = Duration::from_millis(100);

struct Feed {
    changes: watch::Receiver<u64>,
    journal: broadcast::Receiver<Arc<Record>>,
    first: bool,
}

pub(crate) async fn events(State(s): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let feed = Feed {
        changes: s.changes.watch(),
        journal: s.traffic.journal.subscribe(),
        first: true,
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        if std::mem::take(&mut feed.first) {
            let seq = *feed.changes.borrow_and_update();
            return Some((Ok(state_event(seq)), feed));
        }
        tokio::time::sleep(PACE).await;
        let event = tokio::select! {
            changed = feed.changes.changed() => {
                changed.ok()?;
                state_event(*feed.changes.borrow_and_update())
            }
            newest = newest_entry(&mut feed.journal) => journal_event(newest?),
        };
        Some((Ok(event), feed))
    });
    Sse::new(events.take_until(s.changes.closing())).keep_alive(KeepAlive::default())
}

fn state_event(seq: u64) -> Event {
    Event::default().event("state").data(format!("{{\"seq\":{seq}}}"))
}

fn journal_event(id: u64) -> Event {
    Event::default().event("journal").data(format!("{{\"id\":{id}}}"))
}

/// Waits for a journal entry, then skips to the newest one already there;
/// `None` when the journal is gone.
async fn newest_entry(rx: &mut broadcast::Receiver<Arc<Record>>) -> Option<u64> {
    let mut newest = loop {
        match rx.recv().await {
            Ok(e) => break e.id,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    };
    loop {
        match rx.try_recv() {
            Ok(e) => newest = e.id,
            Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
            Err(_) => return Some(newest),
        }
    }
}
