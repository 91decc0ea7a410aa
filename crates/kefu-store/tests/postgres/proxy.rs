//! A TCP relay to the test server that can be cut (open connections closed,
//! new ones closed as they arrive) or turned into a black hole: every
//! connection open then or arriving meanwhile stays open but passes nothing
//! any more, for as long as the relay lives, even after it lets new
//! connections through again, as a path that keeps TCP alive but delivers
//! nothing.

use kefu_test_support as common;

use common::PgSchema;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// What the relay does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Up,
    Down,
    BlackHole,
}

pub struct Proxy {
    pub port: u16,
    relay: Arc<Relay>,
}

struct Relay {
    state: Mutex<State>,
    /// Signalled when the relay is dropped: held connections end.
    dropped: Condvar,
}

struct State {
    mode: Mode,
    /// Relayed connections, both ends, for a cut.
    open: Vec<TcpStream>,
    /// Whether each relayed connection is in the black hole.
    swallowed: Vec<Arc<AtomicBool>>,
    gone: bool,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let relay = Arc::new(Relay {
            state: Mutex::new(State {
                mode: Mode::Up,
                open: Vec::new(),
                swallowed: Vec::new(),
                gone: false,
            }),
            dropped: Condvar::new(),
        });
        let accepting = relay.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                accepting.accept(client, upstream);
            }
        });
        Proxy { port, relay }
    }

    /// Closes every relayed connection, and new ones as they arrive.
    pub fn down(&self) {
        let mut state = self.relay.state();
        state.mode = Mode::Down;
        for stream in state.open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Holds every connection, open or new, silent for good.
    pub fn black_hole(&self) {
        let mut state = self.relay.state();
        state.mode = Mode::BlackHole;
        for connection in &state.swallowed {
            connection.store(true, Ordering::SeqCst);
        }
    }

    /// Relays new connections (those in the black hole stay there).
    pub fn up(&self) {
        self.relay.state().mode = Mode::Up;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.relay.state().gone = true;
        self.relay.dropped.notify_all();
    }
}

impl Relay {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn accept(self: &Arc<Self>, client: TcpStream, upstream: SocketAddr) {
        match self.state().mode {
            Mode::Down => return,
            Mode::BlackHole => return self.hold_in_thread(client),
            Mode::Up => {}
        }
        let Ok(server) = TcpStream::connect(upstream) else {
            return;
        };
        let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) else {
            return;
        };
        let swallowed = Arc::new(AtomicBool::new(false));
        let mut state = self.state();
        state.open.extend([c, s]);
        state.swallowed.push(swallowed.clone());
        drop(state);
        if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
            self.pipe(c, s, swallowed.clone());
            self.pipe(server, client, swallowed);
        }
    }

    /// Copies one direction until it ends, then closes the other side; once
    /// the connection is in the black hole, swallows what comes and holds
    /// both ends open.
    fn pipe(self: &Arc<Self>, mut from: TcpStream, mut to: TcpStream, swallowed: Arc<AtomicBool>) {
        let relay = self.clone();
        std::thread::spawn(move || {
            let mut chunk = [0; 8192];
            while let Ok(n @ 1..) = from.read(&mut chunk) {
                if swallowed.load(Ordering::SeqCst) {
                    return relay.hold((from, to));
                }
                if to.write_all(&chunk[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Both);
        });
    }

    fn hold_in_thread(self: &Arc<Self>, held: TcpStream) {
        let relay = self.clone();
        std::thread::spawn(move || relay.hold(held));
    }

    /// Keeps `held` open, reading and writing nothing, until the relay is dropped.
    fn hold<T>(&self, held: T) {
        let mut state = self.state();
        while !state.gone {
            state = self.dropped.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        drop(held);
    }
}

/// The test server's TCP address.
pub fn upstream() -> SocketAddr {
    let config: postgres::Config = common::base_url().parse().unwrap();
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    (host.as_str(), port).to_socket_addrs().unwrap().next().unwrap()
}

/// A URL for the test server's user and database through a local port, with
/// a password (the server's own, or one it ignores); and that password.
pub fn via(schema: &PgSchema, port: u16) -> (String, String) {
    let config: postgres::Config = common::base_url().parse().unwrap();
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let db = config.get_dbname().unwrap_or(&user).to_owned();
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "hunter2-not-needed".to_owned());
    let url = format!(
        "postgres://{user}:{password}@127.0.0.1:{port}/{db}?schema={}",
        schema.name
    );
    (url, password)
}
