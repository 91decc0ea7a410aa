//! A full filesystem under a running `kefu serve`: the data directory is a
//! small `tmpfs` (the logs and the CA live elsewhere) filled up by another
//! file. Writes that need space answer `-1 system error` and health turns
//! `unavailable`; once the file is deleted, writes commit again and health
//! is `ok` without a restart, and exactly the writes that were acknowledged
//! are there. Prints how long recovery took.
//!
//! Mounting needs root: otherwise the test prints a `SKIPPED` line and
//! passes. The filesystem is unmounted however the test ends.

use crate::sqlite_faults::{Rig, HEALTHY, OK, SYSTEM_ERROR, UNAVAILABLE};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const SIZE: &str = "16m";
/// Longest the fault may take to show, and kefu to recover after it.
const DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// A mounted `tmpfs`, unmounted when dropped.
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    /// `None` (after printing `SKIPPED`) when not root.
    fn mount() -> Option<Tmpfs> {
        let uid = Command::new("id").arg("-u").output().expect("run id -u");
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            println!("SKIPPED full_disk: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().expect("a mount point");
        let size = format!("size={SIZE}");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(mounted.success(), "root cannot mount a tmpfs: {mounted}");
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(self.dir.path()).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
        }
    }
}

/// Writes a file in `dir` until the filesystem is full.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("create the filler");
    for chunk in [1 << 20, 4096, 1] {
        let bytes = vec![0u8; chunk];
        while file.write_all(&bytes).is_ok() {}
    }
    let full = file.write_all(&[0]).and_then(|_| file.sync_all());
    assert_eq!(full.map_err(|e| e.kind()), Err(std::io::ErrorKind::StorageFull));
    path
}

/// Polls `done` until it holds; how long that took.
async fn within<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < DEADLINE, "{what}: not within {DEADLINE:?}");
        tokio::time::sleep(POLL).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_filesystem_fails_writes_until_space_is_freed() {
    // Arrange (kefu is dropped before the filesystem: declared after it)
    let Some(tmpfs) = Tmpfs::mount() else { return };
    let rig = Rig::start(&tmpfs.path().join("kefu.db")).await;
    let control = rig.kefu.control();
    let appid = rig.kefu.demo.appid.clone();
    assert_eq!(rig.add("a").await, OK);

    // Act: the filesystem fills; new followers grow the database until
    // one cannot be written (the WAL's free space is used up first).
    let filler = fill(tmpfs.path());
    within("a follow failing", || async {
        control.follow(&appid, None).await.is_err()
    })
    .await;
    let unhealthy = within("health unavailable", || async {
        rig.health().await == (503, UNAVAILABLE.to_owned())
    })
    .await;
    let refused = rig.add("b").await;

    // Act: space again.
    std::fs::remove_file(&filler).expect("delete the filler");
    let mut tries = 0;
    let committed = within("a write committing", || {
        tries += 1;
        let prefix = format!("r{tries}");
        let rig = &rig;
        async move {
            let answer = rig.add(&prefix).await;
            assert!(answer == OK || answer == SYSTEM_ERROR, "{answer}");
            answer == OK
        }
    })
    .await;
    let healthy = within("health ok", || async {
        rig.health().await == (200, HEALTHY.to_owned())
    })
    .await;

    // Assert
    println!(
        "full filesystem: health unavailable {unhealthy:?} after the first failed write; \
         after the space came back, a write committed in {committed:?} ({tries} tries), health ok {healthy:?} later"
    );
    assert_eq!(refused, SYSTEM_ERROR);
    assert_eq!(rig.accounts().await, ["a".to_owned(), format!("r{tries}")]);
}
