//! The TCP relay the outage tests put between kefu and PostgreSQL: it can
//! cut every connection, hold them all silent for a while, or swallow them
//! for good (a black hole), and let new ones through again.

use crate::pg::base_url;
use postgres::config::Host;
use std::net::{SocketAddr, ToSocketAddrs};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the relay does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Relays them.
    Open,
    /// Closes every relayed connection; closes new ones as they arrive.
    Cut,
    /// Keeps every connection open but passes nothing either way, as a hung
    /// server whose host still acknowledges packets; new connections are
    /// accepted and never answered. They are closed when the relay opens.
    Stall,
    /// As `Stall`, but the connections it catches stay silent for good,
    /// even after the relay opens again and relays new ones: a path that
    /// keeps TCP alive but delivers nothing (a relay that accepts and
    /// acknowledges but never forwards).
    BlackHole,
}

/// A TCP relay to the database server, on an ephemeral loopback port.
pub(super) struct Relay {
    pub(super) addr: SocketAddr,
    mode: watch::Sender<Mode>,
    accept: JoinHandle<()>,
}

impl Relay {
    pub(super) async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay listens");
        let addr = listener.local_addr().expect("relay address");
        let (mode, _) = watch::channel(Mode::Open);
        let modes = mode.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, modes.subscribe()));
            }
        });
        Relay { addr, mode, accept }
    }

    pub(super) fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Connections held in a black hole end with the mode channel.
        self.accept.abort();
    }
}

/// One connection: relayed while the relay is open, then closed at once
/// (cut), held silent until it opens again (stall), or until the relay is
/// dropped (black hole).
async fn relay(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let arrived = *mode.borrow_and_update();
    let mut server = None;
    if arrived == Mode::Open {
        let Ok(mut upstream) = TcpStream::connect(upstream).await else {
            return;
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => return,
            _ = mode.wait_for(|m| *m != Mode::Open) => {}
        }
        server = Some(upstream);
    }
    let caught = *mode.borrow();
    match caught {
        // Nothing is read or written until the relay opens again.
        Mode::Stall => drop(mode.wait_for(|m| *m == Mode::Open).await),
        // Nothing is read or written ever again; both ends stay open.
        Mode::BlackHole => while mode.changed().await.is_ok() {},
        Mode::Open | Mode::Cut => {}
    }
    drop((client, server));
}

/// The test server's address and its parsed URL.
pub(super) fn upstream() -> (SocketAddr, postgres::Config) {
    let config: postgres::Config = base_url().parse().expect("a postgres:// URL");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        other => panic!("the relay needs a TCP host, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .expect("resolve the database host")
        .next()
        .expect("an address for the database host");
    (addr, config)
}

/// `postgres://USER:PASSWORD@RELAY/DB?schema=NAME`.
pub(super) fn relayed_url(config: &postgres::Config, relay: SocketAddr, schema: &str, password: &str) -> String {
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    format!(
        "postgres://{}:{}@{relay}/{}?schema={schema}",
        encode(user),
        encode(password),
        encode(db)
    )
}

/// Percent-encodes all but unreserved URL characters.
pub(super) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
