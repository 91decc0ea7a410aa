//! What only the SQLite backend promises under faults: a job that panics
//! fails alone and the writer goes on; the database file deleted, moved
//! away or replaced while the store runs makes every write fail (nothing is
//! acknowledged into a file a restart would not open) and the probe say so,
//! and a file moved back is written again; the probe answers from a recent
//! commit without writing.

#[path = "sqlite/support.rs"]
#[allow(dead_code)]
mod support;

use kefu_store::{JobError, JobOutput, Store, StoreError, Tx, WriteJob, PROBE_KEY};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use support::{app, app_ids, put_app, Fresh, E};

const WAIT: Duration = Duration::from_secs(10);

/// A raw job writing the app `id`, then panicking when `panic` says so.
fn job(id: &'static str, write: bool, panic: bool) -> WriteJob {
    Box::new(move |tx: &mut dyn Tx| {
        if write {
            tx.put_app(&app(id)).map_err(JobError::Store)?;
        }
        if panic {
            panic!("job {id} panics");
        }
        Ok(Box::new(()) as JobOutput)
    })
}

/// Submits a job that holds the writer until the returned sender is
/// dropped, and returns once the writer is inside it.
fn hold_the_writer(s: &dyn Store) -> mpsc::Sender<()> {
    let (release, gate) = mpsc::channel::<()>();
    let (entered, inside) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let held = s.submit_write(
        Box::new(move |_tx: &mut dyn Tx| {
            let _ = entered.send(());
            let _ = gate.lock().map(|g| g.recv());
            Ok(Box::new(()) as JobOutput)
        }),
        None,
    );
    tokio::spawn(held);
    inside.recv_timeout(WAIT).expect("the writer runs the holding job");
    release
}

fn store_error(answer: Result<JobOutput, JobError>) -> String {
    match answer {
        Err(JobError::Store(e)) => e.to_string(),
        Err(JobError::Reject(_)) => "rejected".into(),
        Ok(_) => "ok".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_job_fails_alone_and_the_writer_goes_on() {
    // Arrange: four jobs queued behind a held one, so they share a batch.
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    let release = hold_the_writer(s);
    let answers = [
        s.submit_write(job("wx_a", true, false), None),
        s.submit_write(job("wx_after", true, true), None),
        s.submit_write(job("wx_before", false, true), None),
        s.submit_write(job("wx_b", true, false), None),
    ];

    // Act
    drop(release);
    let mut got = Vec::new();
    for answer in answers {
        got.push(store_error(answer.await));
    }
    let later = put_app(s, "wx_c").await;
    let probe = s.probe().await;

    // Assert
    let panicked = "storage backend error: the write job panicked; its changes were rolled back";
    assert_eq!(got, ["ok", panicked, panicked, "ok"]);
    assert_eq!((later, probe), (Ok(()), Ok(())));
    assert_eq!(app_ids(s).await, ["wx_a", "wx_b", "wx_c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_file_moved_away_refuses_writes_until_it_is_back() {
    // Arrange
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    put_app(s, "wx1").await.unwrap();
    let aside = f.dir.path().join("aside.db");

    // Act
    std::fs::rename(&f.path, &aside).unwrap();
    let refused = put_app(s, "wx2").await;
    let unhealthy = s.probe().await;
    std::fs::rename(&aside, &f.path).unwrap();
    let accepted = put_app(s, "wx3").await;
    let healthy = s.probe().await;

    // Assert
    let refused = refused.expect_err("a write into a file no longer at its path");
    assert!(
        refused.text().contains("was deleted after kefu opened it"),
        "{refused:?}"
    );
    assert!(
        matches!(&unhealthy, Err(StoreError::Backend(e)) if e.contains("deleted")),
        "{unhealthy:?}"
    );
    assert_eq!((accepted, healthy), (Ok(()), Ok(())));
    assert_eq!(app_ids(s).await, ["wx1", "wx3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_database_file_refuses_every_write() {
    // Arrange
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    put_app(s, "wx1").await.unwrap();

    // Act
    std::fs::remove_file(&f.path).unwrap();
    let first = put_app(s, "wx2").await;
    let second = put_app(s, "wx3").await;
    let probe = s.probe().await;

    // Assert
    for refused in [first, second] {
        let refused = refused.expect_err("a write into a deleted file");
        assert!(
            refused.text().contains("was deleted after kefu opened it"),
            "{refused:?}"
        );
    }
    assert!(
        matches!(&probe, Err(StoreError::Backend(e)) if e.contains("deleted")),
        "{probe:?}"
    );
    assert!(!f.path.exists(), "nothing recreated the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_database_file_refuses_every_write() {
    // Arrange: another database, written and closed, ready to replace it.
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    put_app(s, "wx1").await.unwrap();
    let other = Fresh::open(Default::default());
    put_app(&*other.store, "wx_other").await.unwrap();
    let Fresh { store, path, dir } = other;
    drop(store);

    // Act
    std::fs::rename(&path, &f.path).unwrap();
    let refused = put_app(s, "wx2").await;
    let probe = s.probe().await;
    drop(dir);

    // Assert
    let refused = refused.expect_err("a write into a replaced file");
    assert!(refused.text().contains("was replaced by another file"), "{refused:?}");
    assert!(
        matches!(&probe, Err(StoreError::Backend(e)) if e.contains("replaced")),
        "{probe:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_writes_only_without_a_recent_commit() {
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    let probe_row = || s.read(|tx: &mut dyn Tx| tx.meta(PROBE_KEY).map_err(E::from));

    // Nothing committed since the store opened: the probe writes its row.
    s.probe().await.unwrap();
    assert_eq!(probe_row().await, Ok(Some("1".to_owned())));

    // Just committed: the probe answers from that.
    s.write(|tx: &mut dyn Tx| tx.set_meta(PROBE_KEY, "0").map_err(E::from))
        .await
        .unwrap();
    s.probe().await.unwrap();
    assert_eq!(probe_row().await, Ok(Some("0".to_owned())));
}

/// A store dropped with writes queued answers each of them before its
/// writer ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writes_are_answered_when_the_store_is_dropped() {
    let f = Fresh::open(Default::default());
    let store: Arc<dyn Store> = f.store;
    let release = hold_the_writer(&*store);
    let queued = store.submit_write(job("wx1", true, false), None);
    drop(store);
    drop(release);
    assert_eq!(store_error(queued.await), "ok");
}

/// A batch that changed nothing writes nothing, so its commit proves nothing
/// about the disk: after a failed batch, only a write that changed rows
/// spares the probe its own write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failure_a_commit_that_changed_nothing_does_not_vouch_for_health() {
    // Arrange: a failed batch.
    let f = Fresh::open(Default::default());
    let s = &*f.store;
    let aside = f.dir.path().join("aside.db");
    std::fs::rename(&f.path, &aside).unwrap();
    put_app(s, "wx1").await.expect_err("the file is away");
    std::fs::rename(&aside, &f.path).unwrap();

    // Act
    s.write(|tx: &mut dyn Tx| tx.meta("nothing").map_err(E::from))
        .await
        .unwrap();
    let probe = s.probe().await;

    // Assert: the probe wrote its row.
    let row = s.read(|tx: &mut dyn Tx| tx.meta(PROBE_KEY).map_err(E::from)).await;
    assert_eq!((probe, row), (Ok(()), Ok(Some("1".to_owned()))));
}
