//! Delivery of pushes to developers' servers, as WeChat delivers them.
//!
//! Changes write their pushes to the store's outbox in their own
//! transaction (see `service::outbox::push`); this module takes them out
//! again. A dispatcher claims pushes from the outbox, keeps each follower's
//! pushes in order, lets each app have a bounded number in flight (so one
//! slow server delays only its own app), and records every try in the
//! delivery log. Claims are stored, so with a shared database each push is
//! delivered by one process; a process that stops sending heartbeats loses
//! its claims to the others.
//!
//! - `deliver`: the tries of one push (requests and answers are
//!   `crate::outbound`'s), and acting on the answer.
//! - `record`: the delivery log's writer, which batches tries.
//! - `dispatch`: claiming, ordering, and the heartbeat loop.

mod deliver;
mod dispatch;
mod record;

pub use dispatch::start;

use crate::outbound::render::Target;
use kefu_core::ids::AppId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// While API requests are being answered, tries (of all apps together) start
/// at most one per this interval: under load, pushes take a small, bounded
/// share of the machine and the API keeps its latency. Only starts are paced,
/// so a try waiting on a slow server holds nothing back.
const BUSY_INTERVAL: Duration = Duration::from_millis(4);

/// Counts an API request while it is answered.
pub(crate) struct ApiRequest(Arc<Pushes>);

impl Drop for ApiRequest {
    fn drop(&mut self) {
        self.0.api_in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How long a dispatcher trusts the push settings it read.
const SETTINGS_TTL: Duration = Duration::from_secs(1);

/// An app's push settings as last read, and when.
type Cached = (Instant, Option<Arc<Target>>);

/// What the rest of the server shares with the dispatcher.
pub struct Pushes {
    notify: Notify,
    /// API requests being answered now: while there are any, pushes yield.
    api_in_flight: AtomicUsize,
    /// When the next try may start while the API is busy.
    next_start: Mutex<Instant>,
    owner: String,
    targets: Mutex<HashMap<AppId, Cached>>,
}

impl Pushes {
    /// A handle for one process; `owner` names it in outbox claims.
    pub(crate) fn new(owner: String) -> Self {
        Pushes {
            notify: Notify::new(),
            api_in_flight: AtomicUsize::new(0),
            next_start: Mutex::new(Instant::now()),
            owner,
            targets: Mutex::new(HashMap::new()),
        }
    }

    /// Something may have entered the outbox: look now.
    pub(crate) fn wake(&self) {
        self.notify.notify_one();
    }

    /// An API request started; it counts until the guard is dropped.
    pub(crate) fn api_request(self: &Arc<Self>) -> ApiRequest {
        self.api_in_flight.fetch_add(1, Ordering::Relaxed);
        ApiRequest(self.clone())
    }

    /// Waits until a try may start: at once while the API is idle, in turn
    /// every [`BUSY_INTERVAL`] while it answers requests, so pushes draining
    /// a long outbox do not slow the API down.
    async fn pace(&self) {
        if self.api_in_flight.load(Ordering::Relaxed) == 0 {
            return;
        }
        let start = {
            let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + BUSY_INTERVAL;
            start
        };
        tokio::time::sleep_until(start.into()).await;
    }

    /// The app's settings changed: read them again.
    pub(crate) fn forget(&self, appid: &AppId) {
        self.targets.lock().unwrap_or_else(|e| e.into_inner()).remove(appid);
    }

    fn cached(&self, appid: &AppId) -> Option<Option<Arc<Target>>> {
        let targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets
            .get(appid)
            .filter(|(at, _)| at.elapsed() < SETTINGS_TTL)
            .map(|(_, t)| t.clone())
    }

    fn remember(&self, appid: &AppId, target: Option<Arc<Target>>) {
        let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets.insert(appid.clone(), (Instant::now(), target));
    }
}
