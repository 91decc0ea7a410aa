//! Connections that speak TLS: those to the `--tls-listen` port and the
//! tunnels `CONNECT` opens on the main listener. Each handshake runs on a
//! task of its own with a deadline, so a client that connects and sends
//! nothing (or speaks plain HTTP) holds up no one else; finished
//! handshakes are handed to one [`SecureListener`], which `axum::serve`
//! serves like the plain listener, graceful shutdown included.

use axum::serve::Listener;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to complete its TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The first byte of every TLS handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// What a TLS session runs over: a TCP connection or a `CONNECT` tunnel.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// A finished handshake and the client's address.
type Secured = (TlsStream<Box<dyn Io>>, SocketAddr);

/// Starts handshakes; cheap to clone.
#[derive(Clone)]
pub(crate) struct Handshakes {
    acceptor: TlsAcceptor,
    done: mpsc::Sender<Secured>,
}

/// The connections whose handshake succeeded, as an `axum::serve` listener.
pub(crate) struct SecureListener {
    secured: mpsc::Receiver<Secured>,
    local: SocketAddr,
}

/// A pair: where handshakes start, and where their connections come out.
/// `local` is what the listener reports as its address.
pub(crate) fn channel(acceptor: TlsAcceptor, local: SocketAddr) -> (Handshakes, SecureListener) {
    let (done, secured) = mpsc::channel(64);
    (Handshakes { acceptor, done }, SecureListener { secured, local })
}

impl Listener for SecureListener {
    type Io = TlsStream<Box<dyn Io>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        match self.secured.recv().await {
            Some(secured) => secured,
            // Every source is gone: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// Why a connection was closed before its first request.
enum Refused {
    Closed,
    PlainHttp,
    Tls(std::io::Error),
}

impl Handshakes {
    /// Accepts TLS on a connection to the TLS port, on its own task.
    pub(crate) fn accept_port(&self, tcp: TcpStream, peer: SocketAddr) {
        let this = self.clone();
        tokio::spawn(async move {
            let handshake = async {
                starts_tls(&tcp).await?;
                this.acceptor
                    .accept(Box::new(tcp) as Box<dyn Io>)
                    .await
                    .map_err(Refused::Tls)
            };
            let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await;
            this.finish(outcome, peer, "the TLS port").await;
        });
    }

    /// Accepts TLS inside a `CONNECT` tunnel, on its own task.
    pub(crate) fn accept_tunnel(&self, io: Box<dyn Io>, peer: SocketAddr) {
        let this = self.clone();
        tokio::spawn(async move {
            let handshake = async { this.acceptor.accept(io).await.map_err(Refused::Tls) };
            let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await;
            this.finish(outcome, peer, "a CONNECT tunnel").await;
        });
    }

    async fn finish(
        &self,
        outcome: Result<Result<TlsStream<Box<dyn Io>>, Refused>, tokio::time::error::Elapsed>,
        peer: SocketAddr,
        over: &'static str,
    ) {
        match outcome {
            Ok(Ok(tls)) => {
                let _ = self.done.send((tls, peer)).await;
            }
            Ok(Err(Refused::Closed)) => tracing::debug!(%peer, over, "connection closed before a TLS handshake"),
            Ok(Err(Refused::PlainHttp)) => tracing::warn!(
                %peer,
                over,
                "plain HTTP sent to the TLS port: connection closed (this port speaks HTTPS only)"
            ),
            Ok(Err(Refused::Tls(e))) => {
                tracing::warn!(%peer, over, error = %e, "TLS handshake failed: connection closed")
            }
            Err(_) => tracing::warn!(
                %peer,
                over,
                timeout_s = HANDSHAKE_TIMEOUT.as_secs(),
                "no TLS handshake in time: connection closed"
            ),
        }
    }
}

/// Waits for the client's first byte without consuming it: a TLS
/// handshake record, or something else (plain HTTP, most likely).
async fn starts_tls(tcp: &TcpStream) -> Result<(), Refused> {
    let mut first = [0u8; 1];
    match tcp.peek(&mut first).await {
        Ok(0) | Err(_) => Err(Refused::Closed),
        Ok(_) if first[0] == TLS_HANDSHAKE_RECORD => Ok(()),
        Ok(_) => Err(Refused::PlainHttp),
    }
}

/// Accepts connections on the TLS port until `shutdown` resolves.
pub(crate) async fn run_port(
    listener: TcpListener,
    handshakes: Handshakes,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    handshakes.accept_port(tcp, peer);
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "cannot accept on the TLS port");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut shutdown => return,
        }
    }
}
