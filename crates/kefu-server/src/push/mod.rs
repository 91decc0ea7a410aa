//! Delivery of pushes to developers' servers, as WeChat delivers them.
//!
//! Changes write their pushes to the store's outbox in their own
//! transaction (see `service::callbacks::push`); this module takes them out
//! again. A dispatcher claims pushes from the outbox, keeps each follower's
//! pushes in order, lets each app have a bounded number in flight (so one
//! slow server delays only its own app), and records every try in the
//! delivery log. Claims are stored, so with a shared database each push is
//! delivered by one process; a process that stops sending heartbeats loses
//! its claims to the others.
//!
//! - `render`: the request a push becomes (URL signature, body, envelope).
//! - `answer`: reading the developer's answer (verify, decrypt, interpret).
//! - `deliver`: the tries of one push, and the URL handshake.
//! - `dispatch`: claiming, ordering and the background loops.

mod answer;
mod deliver;
mod dispatch;
mod render;

pub(crate) use deliver::verify_url;
pub use dispatch::start;

use kefu_core::ids::AppId;
use render::Target;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a dispatcher trusts the push settings it read.
const SETTINGS_TTL: Duration = Duration::from_secs(1);

/// An app's push settings as last read, and when.
type Cached = (Instant, Option<Arc<Target>>);

/// What the rest of the server shares with the dispatcher.
pub struct Pushes {
    notify: Notify,
    owner: String,
    targets: Mutex<HashMap<AppId, Cached>>,
}

impl Pushes {
    /// A handle for one process; `owner` names it in outbox claims.
    pub(crate) fn new(owner: String) -> Self {
        Pushes {
            notify: Notify::new(),
            owner,
            targets: Mutex::new(HashMap::new()),
        }
    }

    /// Something may have entered the outbox: look now.
    pub(crate) fn wake(&self) {
        self.notify.notify_one();
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
