//! A kill switch on one connection's socket.
//!
//! The synchronous client blocks its thread in a read or a write for as long
//! as the socket neither delivers nor fails, and keeps no handle on that
//! socket for anyone else: over a path that keeps TCP alive but delivers
//! nothing, a worker would wait forever and keepalives never fire (the path
//! acknowledges them). The client does let a TLS connector wrap the raw
//! stream, so [`CutoffConnect`] is one that wraps it in no TLS at all: the
//! bytes pass through unchanged, but every read and write first asks its
//! [`Cutoff`]. Tripping the switch (from any thread) wakes the blocked read
//! or write and makes it, and every later one, fail; the client then gives
//! up the connection and the thread goes on.
//!
//! The client calls a TLS connector only when TLS is required, and without
//! the `SSLRequest` exchange only with direct negotiation; `config.rs` asks
//! for both. The server then receives the ordinary startup message, exactly
//! as without TLS (a PostgreSQL server tells a TLS handshake from a startup
//! message by its first byte).

use futures_util::task::AtomicWaker;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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

/// The "TLS" connector that puts a [`Cutoff`] between the client and its socket.
#[derive(Clone)]
pub(crate) struct CutoffConnect(pub(crate) Arc<Cutoff>);

impl<S> MakeTlsConnect<S> for CutoffConnect
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Stream = CutoffStream<S>;
    type TlsConnect = CutoffConnect;
    type Error = Infallible;

    fn make_tls_connect(&mut self, _domain: &str) -> Result<CutoffConnect, Infallible> {
        Ok(self.clone())
    }
}

impl<S> TlsConnect<S> for CutoffConnect
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Stream = CutoffStream<S>;
    type Error = Infallible;
    type Future = Ready<Result<CutoffStream<S>, Infallible>>;

    fn connect(self, stream: S) -> Self::Future {
        ready(Ok(CutoffStream {
            inner: stream,
            cutoff: self.0,
        }))
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

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for CutoffStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        // No TLS, so nothing to bind SCRAM to.
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn wrapped(cutoff: &Arc<Cutoff>) -> (CutoffStream<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (near, far) = tokio::io::duplex(64);
        let connect = CutoffConnect(cutoff.clone());
        let Ok(stream) = TlsConnect::connect(connect, near).into_inner();
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
