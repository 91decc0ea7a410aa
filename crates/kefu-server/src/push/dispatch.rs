//! The dispatcher: claims pushes from the outbox and runs their deliveries,
//! plus the heartbeats a shared store needs to tell its claims are alive.
//!
//! Each follower's pushes go out one after another, in outbox order; an app
//! has at most [`IN_FLIGHT`] deliveries running and at most about
//! [`HELD`] pushes claimed, so a dead server holds back only its own app.

use super::deliver;
use super::record::Recorder;
use crate::state::AppState;
use kefu_core::ids::{AppId, OpenId};
use kefu_core::push::Pending;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// Pushes claimed in one transaction.
const BATCH: u32 = 256;
/// Pushes of one app claimed at a time; an app holding this many more is
/// left out of the next claim.
const HELD: u32 = 256;
/// Deliveries of one app running at once.
const IN_FLIGHT: usize = 16;
/// How often the outbox is looked at without being woken (retries of other
/// processes' claims, pushes written by other processes).
const POLL: Duration = Duration::from_millis(250);
/// How often a process sharing the store says it is alive, and how long
/// its claims last after it stops.
const HEARTBEAT: Duration = Duration::from_secs(2);
const STALE_MS: i64 = 10_000;
/// Log entries between two prunes of an app's log.
const PRUNE_EVERY: u32 = 200;

type Chain = (AppId, OpenId);

struct Dispatcher {
    state: AppState,
    http: reqwest::Client,
    log: Recorder,
    /// Each follower's claimed pushes, in order; present while a task runs it.
    chains: Mutex<HashMap<Chain, VecDeque<Pending>>>,
    /// Per app: pushes claimed and not yet done, deliveries allowed, tries logged.
    apps: Mutex<HashMap<AppId, AppSlot>>,
}

struct AppSlot {
    held: u32,
    gate: Arc<Semaphore>,
    logged: u32,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts delivering pushes and closing idle sessions, in the background of
/// the current tokio runtime.
pub fn start(state: &AppState) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT * 4)
        .tcp_nodelay(true)
        .build()
        .unwrap_or_default();
    let d = Arc::new(Dispatcher {
        state: state.clone(),
        http,
        log: Recorder::start(state.clone()),
        chains: Mutex::new(HashMap::new()),
        apps: Mutex::new(HashMap::new()),
    });
    tokio::spawn(d.run());
    if state.store.shared() {
        tokio::spawn(heartbeat(state.clone()));
    }
}

impl Dispatcher {
    async fn run(self: Arc<Self>) {
        let owner = self.state.pushes.owner.clone();
        if self.state.store.shared() {
            // Claims are made only once others can see this process is alive.
            let at = now_ms();
            let beat = self.state.bookkeeping.write(move |tx| tx.heartbeat(&owner, at)).await;
            if let Err(e) = beat {
                tracing::warn!(error = %e, "pushes: cannot send a heartbeat");
            }
        } else {
            // This process owns the data: claims left by an earlier run are free.
            let release = self.state.bookkeeping.write(move |tx| tx.release_pushes(&owner)).await;
            if let Err(e) = release {
                tracing::warn!(error = %e, "pushes: cannot release earlier claims");
            }
        }
        loop {
            self.claim().await;
            let _ = tokio::time::timeout(POLL, self.state.pushes.notify.notified()).await;
        }
    }

    /// Claims what is due, batch after batch, and hands it to chains.
    async fn claim(self: &Arc<Self>) {
        loop {
            let skip: Vec<AppId> = lock(&self.apps)
                .iter()
                .filter(|(_, slot)| slot.held >= HELD)
                .map(|(id, _)| id.clone())
                .collect();
            let owner = self.state.pushes.owner.clone();
            let stale = now_ms() - STALE_MS;
            let claimed = self
                .state
                .bookkeeping
                .write(move |tx| tx.claim_pushes(&owner, stale, HELD, BATCH, &skip))
                .await;
            let batch = match claimed {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "pushes: cannot claim from the outbox");
                    return;
                }
            };
            let full = batch.len() as u32 == BATCH;
            for p in batch {
                self.hold(p);
            }
            if !full {
                return;
            }
        }
    }

    fn hold(self: &Arc<Self>, p: Pending) {
        lock(&self.apps)
            .entry(p.push.appid.clone())
            .or_insert_with(|| AppSlot {
                held: 0,
                gate: Arc::new(Semaphore::new(IN_FLIGHT)),
                logged: 0,
            })
            .held += 1;
        let key = (p.push.appid.clone(), p.push.openid.clone());
        let mut chains = lock(&self.chains);
        if let Some(queue) = chains.get_mut(&key) {
            queue.push_back(p);
            return;
        }
        chains.insert(key.clone(), VecDeque::from([p]));
        tokio::spawn(self.clone().drain(key));
    }

    /// Delivers one follower's pushes in order until none is left.
    async fn drain(self: Arc<Self>, key: Chain) {
        loop {
            let next = {
                let mut chains = lock(&self.chains);
                match chains.get_mut(&key).and_then(VecDeque::pop_front) {
                    Some(p) => p,
                    None => {
                        chains.remove(&key);
                        return;
                    }
                }
            };
            let gate = lock(&self.apps).get(&key.0).map(|slot| slot.gate.clone());
            let _permit = match gate {
                Some(g) => g.acquire_owned().await.ok(),
                None => None,
            };
            deliver::deliver(&self.state, &self.http, &self.log, next).await;
            self.done(&key.0).await;
        }
    }

    /// A push left the outbox: free its place, prune the log now and then.
    async fn done(&self, appid: &AppId) {
        let (wake, prune) = {
            let mut apps = lock(&self.apps);
            let Some(slot) = apps.get_mut(appid) else {
                return;
            };
            slot.held -= 1;
            slot.logged += 1;
            let prune = slot.logged >= PRUNE_EVERY;
            if prune {
                slot.logged = 0;
            }
            // An app that was left out of claims has room again.
            (slot.held + 1 == HELD, prune)
        };
        if wake {
            self.state.pushes.wake();
        }
        if prune {
            deliver::prune(&self.state, appid.clone()).await;
        }
    }
}

/// Tells the processes sharing the store that this one still holds its claims.
async fn heartbeat(state: AppState) {
    loop {
        let owner = state.pushes.owner.clone();
        let at = now_ms();
        if let Err(e) = state.bookkeeping.write(move |tx| tx.heartbeat(&owner, at)).await {
            tracing::warn!(error = %e, "pushes: cannot send a heartbeat");
        }
        tokio::time::sleep(HEARTBEAT).await;
    }
}
