//! The state every handler shares, and the virtual clock.

use crate::cache::CredentialCache;
use crate::changes::{Announcing, Changes};
use crate::push::Pushes;
use crate::traffic::Traffic;
use kefu_core::limits::Limits;
use kefu_core::push;
use kefu_core::Timestamp;
use kefu_store::Store;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Settings fixed at start-up. `Debug` never shows the admin token.
#[derive(Clone)]
pub struct ServerConfig {
    /// Limits the documentation leaves open.
    pub limits: Limits,
    /// When set, every `/_kefu/` call needs `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// Also answer the undocumented paths some SDKs send and the retired
    /// endpoints they still call (logged as warnings).
    pub lenient: bool,
    /// Take the caller's address from `X-Forwarded-For` (behind a proxy).
    pub trust_proxy: bool,
    /// How long one push try waits for the developer's server (WeChat: 5 s);
    /// also the deadline of the URL verification handshake.
    pub push_timeout: Duration,
    /// Most WeChat-side requests the journal keeps (0: no journal).
    pub journal_size: usize,
    /// kefu's CA certificate (PEM, public), served at `/_kefu/ca.pem`.
    pub ca_certificate: Option<String>,
    /// Host names the control API answers for besides IP literals,
    /// `localhost` and WeChat's API hosts (`*`: any).
    pub allowed_hosts: Vec<String>,
    /// Connection limits and timeouts.
    pub connections: crate::connections::Connections,
    /// The demo app's chosen credentials (`--demo-appid`, `--demo-secret`).
    pub demo: DemoCredentials,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            admin_token: None,
            lenient: false,
            trust_proxy: false,
            push_timeout: Duration::from_secs(push::TIMEOUT_SECS),
            journal_size: crate::traffic::journal::DEFAULT_SIZE,
            ca_certificate: None,
            allowed_hosts: Vec::new(),
            connections: crate::connections::Connections::default(),
            demo: DemoCredentials::default(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("limits", &self.limits)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<redacted>"))
            .field("lenient", &self.lenient)
            .field("trust_proxy", &self.trust_proxy)
            .field("push_timeout", &self.push_timeout)
            .field("journal_size", &self.journal_size)
            .field("ca_certificate", &self.ca_certificate.is_some())
            .field("allowed_hosts", &self.allowed_hosts)
            .field("connections", &self.connections)
            .field("demo_appid", &self.demo.appid)
            .finish()
    }
}

/// The virtual clock every expiry reads. It runs with real time (or stands
/// still, when frozen) plus an offset that `POST /_kefu/clock/advance` grows.
/// The offset is persisted by the control service, so a restart keeps it.
#[derive(Debug)]
pub struct VirtualClock {
    frozen_at: Option<i64>,
    offset: AtomicI64,
}

impl VirtualClock {
    /// A clock that follows real time, `offset` seconds ahead.
    pub fn real(offset: i64) -> Self {
        VirtualClock {
            frozen_at: None,
            offset: AtomicI64::new(offset),
        }
    }

    /// A clock that stands at `at` until advanced (deterministic tests).
    pub fn frozen(at: i64, offset: i64) -> Self {
        VirtualClock {
            frozen_at: Some(at),
            offset: AtomicI64::new(offset),
        }
    }

    /// The virtual now.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.base().saturating_add(self.offset()))
    }

    /// The time the clock runs from: the frozen instant, or real time.
    pub fn base(&self) -> i64 {
        self.frozen_at.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    /// Whether it stands still between advances.
    pub fn is_frozen(&self) -> bool {
        self.frozen_at.is_some()
    }

    /// Seconds ahead of the base time.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// Sets the offset (after it has been stored).
    pub fn set_offset(&self, offset: i64) {
        self.offset.store(offset, Ordering::SeqCst);
    }
}

/// Credentials the operator chose for the demo app.
#[derive(Debug, Clone, Default)]
pub struct DemoCredentials {
    /// `--demo-appid`.
    pub appid: Option<String>,
    /// `--demo-secret`.
    pub secret: Option<String>,
}

/// What handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Accounts, tokens, workers, followers and sessions.
    pub store: Arc<dyn Store>,
    /// Source of "now" for every rule.
    pub clock: Arc<VirtualClock>,
    /// Start-up settings.
    pub config: Arc<ServerConfig>,
    /// Checked access tokens (on when this process owns the store).
    pub(crate) credentials: Arc<CredentialCache>,
    /// The outbox's wake-up call and this process's claim name.
    pub(crate) pushes: Arc<Pushes>,
    /// The request journal, fault rules and compatibility report.
    pub(crate) traffic: Arc<Traffic>,
    /// Avatar uploads being read and stored (at most [`UPLOADS_AT_ONCE`]);
    /// the others wait their turn before their body is read.
    pub(crate) uploads: Arc<tokio::sync::Semaphore>,
    /// Bumped after every commit and fault change; `GET /_kefu/events`
    /// streams it to the console.
    pub(crate) changes: Arc<Changes>,
    /// The same store, its commits not announced: for the push
    /// dispatcher's claims and heartbeats, which commit every 250 ms and
    /// change nothing a view shows.
    pub(crate) bookkeeping: Arc<dyn Store>,
}

/// Avatar uploads read at once: each may hold its body (5 MiB), the file
/// cut from it and the stored copy, so uploads never hold more than about
/// 4 x 15 MiB however many arrive together.
pub const UPLOADS_AT_ONCE: usize = 4;

impl AppState {
    /// Bundles the parts.
    pub fn new(store: Arc<dyn Store>, clock: VirtualClock, config: ServerConfig) -> Self {
        let credentials = Arc::new(CredentialCache::new(!store.shared()));
        let owner = format!("{:016x}", rand::random::<u64>());
        let traffic = Arc::new(Traffic::new(config.journal_size));
        let changes = Arc::new(Changes::new());
        AppState {
            store: Announcing::wrap(store.clone(), changes.clone()),
            bookkeeping: store,
            changes,
            clock: Arc::new(clock),
            config: Arc::new(config),
            credentials,
            pushes: Arc::new(Pushes::new(owner)),
            traffic,
            uploads: Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE)),
        }
    }

    /// The virtual now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_admin_token() {
        let config = ServerConfig {
            admin_token: Some("s3cret-admin".into()),
            ..ServerConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-admin"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert_eq!(config.push_timeout, Duration::from_secs(5));
    }
}
