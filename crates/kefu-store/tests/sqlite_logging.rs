//! The SQLite writer outlives its own logging: with every log line
//! panicking (as a log macro does when its writer fails), a job's failure,
//! which the writer logs after answering, costs the writer nothing: the
//! panic is caught around the batch, the connection replaced, and later
//! writes commit. Its own binary, as the panicking logger is global.

#[path = "sqlite/support.rs"]
#[allow(dead_code)]
mod support;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::{app_ids, put_app, Fresh, E};

/// A log writer whose every write panics, counting them.
#[derive(Clone)]
struct Panicking(Arc<AtomicUsize>);

impl io::Write for Panicking {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("the log cannot be written");
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_logger_does_not_stop_the_writer() {
    // Arrange
    let panics = Arc::new(AtomicUsize::new(0));
    let writer = Panicking(panics.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    put_app(s, "wx1").await.unwrap();

    // Act: a job panics; the writer logs that, and the log line panics.
    let failed: Result<(), E> = s.write(|_tx| -> Result<(), E> { panic!("the job panics") }).await;
    let later = put_app(s, "wx2").await;
    let probe = s.probe().await;

    // Assert
    assert!(failed.is_err());
    assert!(panics.load(Ordering::SeqCst) >= 1, "the writer logged nothing");
    assert_eq!((later, probe), (Ok(()), Ok(())));
    assert_eq!(app_ids(s).await, ["wx1", "wx2"]);
}
