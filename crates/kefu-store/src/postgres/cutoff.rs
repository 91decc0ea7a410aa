//! A kill switch on one connection's socket, under TLS when the URL asks.
//!
//! The synchronous client blocks its thread in a read or a write for as long
//! as the socket neither delivers nor fails, and keeps no handle on that
//! socket for anyone else: over a path that keeps TCP alive but delivers
//! nothing, a worker would wait forever and keepalives never fire (the path
//! acknowledges them). The client does let a TLS connector wrap the raw
//! stream, so [`CutoffConnect`] is the connector of every TCP connection:
//! every read and write of the raw socket first asks its [`Cutoff`].
//! Tripping the switch (from any thread) wakes the blocked read or write and
//! makes it, and every later one, fail; the client then gives up the
//! connection and the thread goes on.
//!
//! Without TLS the bytes pass through unchanged: the client calls a TLS
//! connector only when TLS is required, and without the `SSLRequest`
//! exchange only with direct negotiation; `config.rs` asks for both, so the
//! server receives the ordinary startup message, exactly as without TLS (a
//! PostgreSQL server tells a TLS handshake from a startup message by its
//! first byte). With TLS (`tls.rs`) the client asks the server for it as
//! usual, and rustls runs over the switched socket.

use futures_util::task::AtomicWaker;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::future::{ready, Future};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsConnector;

/// The switch of one connection: once tripped, its socket fails every read
/// and write.
#[derive(Default)]
pub(crate) struct Cutoff {
    tripped: AtomicBool,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl Cutoff {
    /// Cuts the connection: a read or write blocked on it returns an error.
    pub(crate) fn trip(&self) {
        self.tripped.store(true, Ordering::SeqCst);
        self.reader.wake();
        self.writer.wake();
    }

    pub(crate) fn is_tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// `Err` when tripped; otherwise `waker` is woken when it is.
    fn check(&self, waker: &AtomicWaker, cx: &Context<'_>) -> io::Result<()> {
        if !self.is_tripped() {
            waker.register(cx.waker());
            // Tripped between the first look and the registration.
            if !self.is_tripped() {
                return Ok(());
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "connection given up: its job passed the caller's deadline",
        ))
    }
}

/// The connector that puts a [`Cutoff`] between the client and its socket,
/// and rustls above it when `tls` is given.
#[derive(Clone)]
pub(crate) struct CutoffConnect {
    pub(crate) cutoff: Arc<Cutoff>,
    pub(crate) tls: Option<Arc<ClientConfig>>,
}

impl<S> MakeTlsConnect<S> for CutoffConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Switched<S>;
    type TlsConnect = CutoffHandshake;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> io::Result<CutoffHandshake> {
        let tls = match &self.tls {
            None => None,
            Some(config) => {
                let name = ServerName::try_from(domain.to_owned())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                Some((config.clone(), name))
            }
        };
        Ok(CutoffHandshake {
            cutoff: self.cutoff.clone(),
            tls,
        })
    }
}

/// One connection's side of [`CutoffConnect`]: the host's name for TLS.
pub(crate) struct CutoffHandshake {
    cutoff: Arc<Cutoff>,
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
}

impl<S> TlsConnect<S> for CutoffHandshake
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Switched<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Switched<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let raw = CutoffStream {
            inner: stream,
            cutoff: self.cutoff,
        };
        match self.tls {
            None => Box::pin(ready(Ok(Switched::Plain(raw)))),
            Some((config, name)) => Box::pin(async move {
                let tls = TlsConnector::from(config).connect(name, raw).await?;
                Ok(Switched::Tls(Box::new(tls)))
            }),
        }
    }
}

/// A switched socket, as the client reads and writes it: the raw bytes, or
/// TLS over them.
pub(crate) enum Switched<S> {
    Plain(CutoffStream<S>),
    Tls(Box<tokio_rustls::client::TlsStream<CutoffStream<S>>>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Switched<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Switched::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Switched::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Switched<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Switched::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Switched::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Switched::Plain(s) => Pin::new(s).poll_flush(cx),
            Switched::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Switched::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Switched::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Switched<S> {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM is not bound to the TLS channel (SCRAM-SHA-256, not -PLUS).
        ChannelBinding::none()
    }
}

/// The raw socket, unchanged, behind its [`Cutoff`].
pub(crate) struct CutoffStream<S> {
    inner: S,
    cutoff: Arc<Cutoff>,
}

impl<S: AsyncRead + Unpin> AsyncRead for CutoffStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Err(e) = this.cutoff.check(&this.cutoff.reader, cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CutoffStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Err(e) = this.cutoff.check(&this.cutoff.writer, cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Err(e) = this.cutoff.check(&this.cutoff.writer, cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.cutoff.is_tripped() {
            // Nothing more goes out; the socket closes when dropped.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn wrapped(cutoff: &Arc<Cutoff>) -> (CutoffStream<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (near, far) = tokio::io::duplex(64);
        let stream = CutoffStream {
            inner: near,
            cutoff: cutoff.clone(),
        };
        (stream, far)
    }

    #[tokio::test]
    async fn bytes_pass_through_unchanged_until_tripped() {
        let cutoff = Arc::new(Cutoff::default());
        let (mut stream, mut far) = wrapped(&cutoff);
        stream.write_all(b"startup").await.unwrap();
        let mut got = [0; 7];
        far.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"startup");
        far.write_all(b"R").await.unwrap();
        assert_eq!(stream.read_u8().await.unwrap(), b'R');

        cutoff.trip();
        far.write_all(b"late").await.unwrap();
        assert_eq!(stream.read_u8().await.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(stream.write(b"x").await.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tripping_wakes_a_read_blocked_on_a_silent_peer() {
        let cutoff = Arc::new(Cutoff::default());
        let (mut stream, _silent) = wrapped(&cutoff);
        let mut read = std::pin::pin!(stream.read_u8());
        // One poll: the peer is open and silent, so the read waits.
        let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        assert!(first.is_pending());

        let tripper = cutoff.clone();
        std::thread::spawn(move || tripper.trip());
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), read).await;
        let err = woken.expect("the read was woken").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
