//! Hints between kefu processes sharing one database, over PostgreSQL's
//! `LISTEN` and `NOTIFY`: "I committed changes", so that what shows state
//! (the console's event stream) can read again when another process wrote.
//!
//! A hint is never relied on for correctness: no cache depends on it, and a
//! hint may be late, merged with others or, while the connection is down,
//! lost (after connecting again every listener is called once, as some may
//! have been missed). So it costs a write nothing: [`Herald::tell`] only
//! sets a flag, and one thread per store, on a connection of its own, sends
//! at most one `NOTIFY` per [`WAIT`] and listens in between. The channel is
//! named after the schema; a process skips its own notifications by its
//! backend's pid.

use super::config::Target;
use super::cutoff::Cutoff;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the thread listens before it looks for something to send.
const WAIT: Duration = Duration::from_millis(50);
/// How long it waits before connecting again after a failure.
const RETRY: Duration = Duration::from_secs(1);

type Listener = Box<dyn Fn() + Send + Sync>;

/// What the store and its herald thread share.
#[derive(Default)]
struct Shared {
    pending: AtomicBool,
    stopped: AtomicBool,
    listeners: Mutex<Vec<Listener>>,
    /// The switch of the thread's connection, tripped when the store goes
    /// (a send blocked on a silent path then ends too).
    cutoff: Mutex<Option<Arc<Cutoff>>>,
}

impl Shared {
    fn heard(&self) {
        for listener in self.listeners.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            listener();
        }
    }
}

/// One store's side: tell, and add listeners. The thread stops when this
/// is dropped.
pub(crate) struct Herald {
    shared: Arc<Shared>,
}

impl Herald {
    pub(crate) fn start(target: Arc<Target>) -> Herald {
        let shared = Arc::new(Shared::default());
        let thread = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("kefu-pg-herald".into())
            .spawn(move || serve(&target, &thread));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the PostgreSQL change hints; other instances' changes will not be shown");
        }
        Herald { shared }
    }

    pub(crate) fn tell(&self) {
        self.shared.pending.store(true, Ordering::Release);
    }

    pub(crate) fn listen(&self, heard: Listener) {
        self.shared
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(heard);
    }
}

impl Drop for Herald {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::Release);
        if let Some(cutoff) = self.shared.cutoff.lock().unwrap_or_else(|p| p.into_inner()).take() {
            cutoff.trip();
        }
    }
}

/// The channel of the store's schema (names are at most 63 bytes).
fn channel(target: &Target) -> String {
    let mut name = format!("kefu_{}", target.schema().unwrap_or("changes"));
    name.truncate(63);
    name
}

fn serve(target: &Target, shared: &Shared) {
    let channel = channel(target);
    while !shared.stopped.load(Ordering::Acquire) {
        let cutoff = Arc::new(Cutoff::default());
        *shared.cutoff.lock().unwrap_or_else(|p| p.into_inner()) = Some(cutoff.clone());
        match connect(target, &channel, &cutoff) {
            Ok((client, pid)) => {
                // Changes made while not listening went unheard.
                shared.heard();
                let why = relay(client, pid, &channel, shared);
                if let Some(why) = why {
                    tracing::debug!(error = %why, "PostgreSQL change hints interrupted; listening again");
                }
            }
            Err(why) => tracing::debug!(error = %why, "cannot listen for PostgreSQL change hints"),
        }
        if !shared.stopped.load(Ordering::Acquire) {
            std::thread::sleep(RETRY);
        }
    }
}

/// A connection listening on `channel`, and its backend's pid.
fn connect(target: &Target, channel: &str, cutoff: &Arc<Cutoff>) -> Result<(Client, i32), String> {
    let mut client = target.connect(cutoff).map_err(|e| e.to_string())?;
    // `channel` is "kefu_" and a checked schema name: a plain identifier.
    client
        .batch_execute(&format!("LISTEN {channel}"))
        .map_err(|e| e.to_string())?;
    let pid = client
        .query_one("SELECT pg_backend_pid()", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    Ok((client, pid))
}

/// Listens and sends until the connection fails (its error) or the store
/// is dropped (`None`).
fn relay(mut client: Client, pid: i32, channel: &str, shared: &Shared) -> Option<String> {
    while !shared.stopped.load(Ordering::Acquire) {
        // One deadline a round: a steady stream of notifications (each
        // would start the client's timer again) cannot hold the round open.
        let (mut others, deadline) = (false, Instant::now() + WAIT);
        while let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            match client.notifications().timeout_iter(left).next() {
                Ok(Some(n)) => others |= n.process_id() != pid,
                Ok(None) => break,
                Err(e) => return Some(e.to_string()),
            }
        }
        if others {
            shared.heard();
        }
        if client.is_closed() {
            return Some("the connection closed".into());
        }
        if shared.pending.swap(false, Ordering::AcqRel) {
            if let Err(e) = client.execute("SELECT pg_notify($1, '')", &[&channel]) {
                return Some(e.to_string());
            }
        }
    }
    None
}
