//! Where log lines go, and the promise that logging never stops kefu.
//!
//! Lines are formatted on the thread that logs and handed to a thread of
//! their own that writes them to stderr, so a request never waits for the
//! terminal. When stderr cannot take them (a full disk, a closed pipe, a
//! reader that stopped reading), lines are dropped rather than making the
//! service wait or panic, and `kefu_log_lines_dropped_total` counts them.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting for the writer thread before new ones are dropped.
const BUFFERED_LINES: usize = 16_384;
/// The counter of lines that never reached stderr.
const DROPPED: &str = "kefu_log_lines_dropped_total";

/// Installs the global subscriber: stderr, filtered by `RUST_LOG` (default:
/// kefu's own modules at `info`, which includes one access-log line per
/// request), colours only on a terminal. The guard flushes at exit.
pub(crate) fn init(json: bool) -> WorkerGuard {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "kefu=info,kefu_server=info,kefu_store=info".into());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("kefu-logs")
        .finish(Stderr);
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Counted::new(writer))
        // The layer's own report of a failed write would go to stderr with
        // `eprintln!`, which panics when stderr is what failed.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
    guard
}

/// stderr as the writer thread sees it: a line that cannot be written is
/// counted as dropped, never reported as an error (the thread would try to
/// print it, to the same stderr).
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if io::stderr().write_all(buf).is_err() {
            metrics::counter!(DROPPED).increment(1);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

/// The hand-off to the writer thread, counting the lines it drops because
/// its buffer is full.
struct Counted {
    inner: NonBlocking,
    seen: AtomicUsize,
}

impl Counted {
    fn new(inner: NonBlocking) -> Counted {
        Counted {
            inner,
            seen: AtomicUsize::new(0),
        }
    }

    /// Adds the lines dropped since the last look to the counter.
    fn count_drops(&self) {
        let dropped = self.inner.error_counter().dropped_lines();
        let before = self.seen.swap(dropped, Ordering::Relaxed);
        if dropped > before {
            metrics::counter!(DROPPED).increment((dropped - before) as u64);
        }
    }
}

impl<'a> MakeWriter<'a> for Counted {
    type Writer = CountedLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        CountedLine {
            owner: self,
            line: self.inner.make_writer(),
        }
    }
}

/// One line on its way to the writer thread.
struct CountedLine<'a> {
    owner: &'a Counted,
    line: NonBlocking,
}

impl Write for CountedLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.line.write(buf);
        self.owner.count_drops();
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        self.line.flush()
    }
}
