//! The SQLite write-ahead log stays under its limit under sustained
//! concurrent writes and reads: the writer restarts it once it passes half
//! the limit. The test writes for a few seconds with a 4 MiB limit while a
//! thread samples the WAL's size and header every millisecond; it prints
//! the peak, how often the log was restarted, and the slowest write.

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
    /// Changes of the WAL header's checkpoint sequence number: each is a
    /// restart of a log that held at least half the limit.
    restarts: u64,
}

/// The checkpoint sequence number of a WAL file's header (bytes 12-15).
fn checkpoint_sequence(wal: &Path) -> Option<u32> {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(wal).ok()?.read_exact(&mut header).ok()?;
    Some(u32::from_be_bytes([header[12], header[13], header[14], header[15]]))
}

fn wal_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Samples the file's size every millisecond until `stop`.
fn sample(wal: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Seen> {
    std::thread::spawn(move || {
        let (mut seen, mut last) = (Seen::default(), None);
        while !stop.load(Ordering::Relaxed) {
            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            seen.peak = seen.peak.max(size);
            let sequence = checkpoint_sequence(&wal);
            if sequence.is_some() && last.is_some() && sequence != last {
                seen.restarts += 1;
            }
            last = sequence.or(last);
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
        "WAL limit {:.1} MiB: peak {:.2} MiB, {} restarts (each after at least {:.1} MiB), {writes} writes \
         ({:.0}/s), {reads} reads, slowest write {slowest:?}",
        mib(LIMIT),
        mib(seen.peak),
        seen.restarts,
        mib(LIMIT / 2),
        writes as f64 / RUN.as_secs_f64()
    );
    // Four restarts: at least twice the limit went through the log.
    assert!(seen.restarts >= 4, "too little written to test the limit: {seen:?}");
    assert!(seen.peak <= LIMIT, "the WAL passed its limit: {seen:?}");
}
