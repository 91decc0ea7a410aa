//! 200 avatar uploads of nearly 5 MiB arriving together: every one is
//! answered (ok), and the server's memory stays bounded, because only a few
//! uploads are read at once while the others wait with only their
//! connection. The peak and the after-burst resident sizes are printed.

use crate::support::Kefu;
use std::sync::Arc;

const UPLOADS: usize = 200;
/// A PNG signature and then zeros, just under the 5 MiB limit.
const FILE_SIZE: usize = (5 << 20) - 4096;
/// Peak resident memory allowed for the whole process during the burst.
const PEAK_LIMIT_KIB: u64 = 320 * 1024;

/// `VmHWM` (peak) and `VmRSS` (now) of a process, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_avatar_uploads_are_answered_within_bounded_memory() {
    let kefu = Kefu::start();
    let client = Arc::new(kefu.client());
    let account = format!("avatar@{}", kefu.demo.wechat_id);
    client
        .add_kf_account(&account, "avatar")
        .await
        .expect("kf account added");
    let mut file = vec![0u8; FILE_SIZE];
    file[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    let (before, _) = memory(kefu.pid());
    let uploads: Vec<_> = (0..UPLOADS)
        .map(|_| {
            let (client, account, file) = (client.clone(), account.clone(), file.clone());
            tokio::spawn(async move { client.upload_head_img(&account, "a.png", file).await })
        })
        .collect();
    for upload in futures_util::future::join_all(uploads).await {
        let status = upload.expect("upload task");
        let status = status.unwrap_or_else(|e| panic!("upload answered {e:?}; log:\n{}", kefu.output()));
        assert_eq!(status.errcode, 0, "{status:?}");
    }
    let (peak, after) = memory(kefu.pid());
    println!("avatar uploads: {UPLOADS} x {FILE_SIZE} B; RSS peak {peak} KiB (start {before} KiB), after {after} KiB");
    assert!(peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
}
