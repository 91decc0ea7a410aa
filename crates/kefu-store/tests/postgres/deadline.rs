//! The deadline every PostgreSQL job has (10 s from its submission): a job
//! blocked on a path that swallows everything is cut and answered by then,
//! and the store goes on at once when the path is back; a job whose caller
//! stopped waiting is rolled back instead of committed; a COMMIT whose
//! answer never comes is answered as a failure whose outcome is unknown.
//!
//! Each test holds its job inside its transaction (the closure waits for the
//! test's word) while the test changes the path, so that the failure meets
//! the job exactly where the test means it to.

use super::proxy::{upstream, via, Proxy};
use super::{app, app_ids, logged, logs, open, put_app, E};
use kefu_store::{Store, StoreError, Tx};
use kefu_test_support::PgSchema;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The store's job deadline, documented.
pub(super) const DEADLINE: Duration = Duration::from_secs(10);
/// How late after it the worker's answer may come (the watchdog looks
/// every 100 ms; the caller's own safety net waits 2 s more).
pub(super) const LATE: Duration = Duration::from_millis(1500);
/// Longest a closure waits for the test's word.
const WORD: Duration = Duration::from_secs(30);
/// Longest a write may take on a sound path.
const PROMPT: Duration = Duration::from_secs(3);

/// What a held job does once the test lets it go.
#[derive(Clone, Copy)]
pub(super) enum Then {
    /// Returns: the worker commits.
    Commit,
    /// Writes once more first.
    WriteAgain,
}

/// A job held inside its transaction, after writing app `appid`.
pub(super) struct Held {
    write: JoinHandle<Result<(), E>>,
    is_ready: Receiver<()>,
    go: Sender<()>,
}

impl Held {
    pub(super) fn start(store: &Arc<dyn Store>, appid: &'static str, then: Then) -> Held {
        let (ready, is_ready) = channel();
        let (go, wait) = channel::<()>();
        let store = store.clone();
        let write = tokio::spawn(async move {
            let job = move |tx: &mut dyn Tx| {
                tx.put_app(&app(appid))?;
                let _ = ready.send(());
                let _ = wait.recv_timeout(WORD);
                if let Then::WriteAgain = then {
                    tx.set_meta("held", "again")?;
                }
                Ok::<_, E>(())
            };
            store.write(job).await
        });
        Held { write, is_ready, go }
    }

    /// Waits until the job has written and stopped.
    pub(super) fn ready(&self) {
        let ready = tokio::task::block_in_place(|| self.is_ready.recv_timeout(WORD));
        ready.expect("the job started");
    }

    /// Lets the job go on and waits for its answer: its error text, and how
    /// long the answer took since `since`.
    pub(super) async fn go(self, since: Instant) -> (String, Duration) {
        self.go.send(()).unwrap();
        let answer = self.write.await.unwrap();
        let took = since.elapsed();
        match answer {
            Err(E::Store(StoreError::Backend(message))) => (message, took),
            other => panic!("not a backend error: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_blocked_in_a_black_hole_is_cut_at_its_deadline_and_the_store_goes_on() {
    // Arrange: writers with connections, one job held in its transaction.
    logs();
    let Some(schema) = PgSchema::fresh() else { return };
    let proxy = Proxy::start(upstream());
    let store = open(&via(&schema, proxy.port).0);
    let warm: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { put_app(&*store, "wx0").await })
        })
        .collect();
    for write in warm {
        write.await.unwrap().unwrap();
    }
    let submitted = Instant::now();
    let held = Held::start(&store, "wx1", Then::WriteAgain);
    held.ready();

    // Act: every connection goes silent for good; the job writes again.
    proxy.black_hole();
    let (message, took) = held.go(submitted).await;

    // Assert: answered by the worker at the deadline, nothing committed.
    assert!(message.contains("passed its deadline"), "{message}");
    assert!(took < DEADLINE + LATE, "answered after {took:?}");

    // Act: new connections pass again; the swallowed ones never will.
    proxy.up();
    let back = Instant::now();
    for _ in 0..8 {
        put_app(&*store, "wx2").await.unwrap();
    }

    // Assert: no write met a swallowed connection.
    assert!(back.elapsed() < PROMPT, "writes took {:?}", back.elapsed());
    assert_eq!(app_ids(&*store).await.unwrap(), ["wx0", "wx2"]);
    assert!(logged().contains("connection cut after a job passed its deadline"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_answer_never_comes_is_answered_as_unknown() {
    // Arrange
    logs();
    let Some(schema) = PgSchema::fresh() else { return };
    let proxy = Proxy::start(upstream());
    let store = open(&via(&schema, proxy.port).0);
    let submitted = Instant::now();
    let held = Held::start(&store, "wx1", Then::Commit);
    held.ready();

    // Act: the path swallows the COMMIT.
    proxy.black_hole();
    let (message, took) = held.go(submitted).await;

    // Assert: a failure that says the outcome is unknown, at the deadline.
    assert!(message.contains("outcome is unknown"), "{message}");
    assert!(took < DEADLINE + LATE, "answered after {took:?}");
    assert!(logged().contains("the write's outcome is unknown"));
    // (Here the COMMIT never reached the server: it was not applied.)
    proxy.up();
    assert!(app_ids(&*store).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_caller_stopped_waiting_is_rolled_back_not_committed() {
    // Arrange
    let Some(schema) = PgSchema::fresh() else { return };
    let store = open(&schema.url(""));
    let held = Held::start(&store, "wx1", Then::Commit);
    held.ready();

    // Act: the caller stops waiting, then the job is ready to commit.
    held.write.abort();
    assert!(held.write.await.unwrap_err().is_cancelled());
    held.go.send(()).unwrap();

    // Assert: creating the app now finds none; had the held job committed,
    // before or after this write, one of the two would have found the other's.
    let created = store
        .write(|tx: &mut dyn Tx| match tx.app(&app("wx1").appid)? {
            Some(_) => Ok::<_, E>(false),
            None => tx.put_app(&app("wx1")).map(|()| true).map_err(E::from),
        })
        .await;
    assert_eq!(created, Ok(true));
}
