//! The SQLite write-ahead log stays under its limit under sustained
//! concurrent writes and reads: the writer empties it once it passes half
//! the limit. The test writes for a few seconds with a 4 MiB limit while a
//! thread samples the WAL's size every millisecond; it prints the peak, the
//! bytes the WAL took in all, and the slowest write.

#[path = "sqlite/support.rs"]
#[allow(dead_code)]
mod support;

use kefu_core::ids::AppId;
use kefu_store::{SqliteSettings, Store, Tx};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{put_app, Fresh, E};

const LIMIT: u64 = 4 << 20;
const RUN: Duration = Duration::from_secs(4);
const WRITERS: usize = 8;

/// What the sampler saw.
#[derive(Debug, Default)]
struct Seen {
    peak: u64,
    /// Sum of the increases between samples: at least what was appended.
    appended: u64,
}

fn wal_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Samples the file's size every millisecond until `stop`.
fn sample(wal: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Seen> {
    std::thread::spawn(move || {
        let (mut seen, mut last) = (Seen::default(), 0);
        while !stop.load(Ordering::Relaxed) {
            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            seen.peak = seen.peak.max(size);
            seen.appended += size.saturating_sub(last);
            last = size;
            std::thread::sleep(Duration::from_millis(1));
        }
        seen
    })
}

/// Writes apps spread over many pages until `until`; the slowest write.
async fn write_until(s: Arc<dyn Store>, task: usize, until: Instant) -> (u64, Duration) {
    let (mut n, mut slowest) = (0u64, Duration::ZERO);
    while Instant::now() < until {
        // Ids spread over the table's pages, each rewritten many times.
        let id = format!("wx{:05}", (n * 7919 + task as u64 * 104_729) % 20_000);
        let started = Instant::now();
        put_app(&*s, &id).await.expect("a write commits");
        slowest = slowest.max(started.elapsed());
        n += 1;
    }
    (n, slowest)
}

/// Reads one app after another until `until`; how many were read.
async fn read_until(s: Arc<dyn Store>, until: Instant) -> u64 {
    let mut n = 0;
    while Instant::now() < until {
        let id = AppId::new(format!("wx{:05}", n % 20_000));
        let app = s.read(move |tx: &mut dyn Tx| tx.app(&id).map_err(E::from)).await;
        app.expect("a read");
        n += 1;
        tokio::task::yield_now().await;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_under_its_limit_under_sustained_writes() {
    // Arrange
    let f = Fresh::open(SqliteSettings { wal_limit_bytes: LIMIT });
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample(wal_of(&f.path), stop.clone());
    let until = Instant::now() + RUN;

    // Act
    let mut tasks = Vec::new();
    for task in 0..WRITERS {
        tasks.push(tokio::spawn(write_until(f.store.clone(), task, until)));
    }
    let reads = tokio::spawn(read_until(f.store.clone(), until));
    let (mut writes, mut slowest) = (0, Duration::ZERO);
    for t in tasks {
        let (n, slow) = t.await.unwrap();
        writes += n;
        slowest = slowest.max(slow);
    }
    let reads = reads.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let seen = sampler.join().unwrap();

    // Assert
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "WAL limit {:.1} MiB: peak {:.2} MiB, {:.1} MiB appended in all, {writes} writes ({:.0}/s), \
         {reads} reads, slowest write {slowest:?}",
        mib(LIMIT),
        mib(seen.peak),
        mib(seen.appended),
        writes as f64 / RUN.as_secs_f64()
    );
    assert!(
        seen.appended > 2 * LIMIT,
        "too little written to test the limit: {seen:?}"
    );
    assert!(seen.peak <= LIMIT, "the WAL passed its limit: {seen:?}");
}
