//! 200 avatar uploads of nearly 5 MiB arriving together: every one is
//! answered (ok), and the server's memory stays bounded, because only a few
//! uploads are read at once while the others wait with only their
//! connection. The peak and the after-burst resident sizes are printed.

use crate::support::Kefu;

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

/// One multipart body, made once: every upload sends the same bytes
/// (shared, not copied 200 times in the test's own memory).
fn multipart(file: &[u8]) -> (String, reqwest::Body) {
    let boundary = "kefuUploadBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        reqwest::Body::from(body),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_avatar_uploads_are_answered_within_bounded_memory() {
    let kefu = Kefu::start();
    let client = kefu.client();
    let account = format!("avatar@{}", kefu.demo.wechat_id);
    client
        .add_kf_account(&account, "avatar")
        .await
        .expect("kf account added");
    let token = client.access_token().await.expect("a token");
    let mut file = vec![0u8; FILE_SIZE];
    file[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    let (content_type, body) = multipart(&file);
    let bytes = body
        .as_bytes()
        .map(bytes::Bytes::copy_from_slice)
        .expect("a body in memory");
    drop(file);
    let url = format!("{}/customservice/kfaccount/uploadheadimg", kefu.base);
    let http = reqwest::Client::new();
    let (before, _) = memory(kefu.pid());
    let uploads: Vec<_> = (0..UPLOADS)
        .map(|_| {
            let req = http
                .post(&url)
                .query(&[("access_token", token.as_str()), ("kf_account", account.as_str())])
                .header("content-type", content_type.as_str())
                .body(bytes.clone());
            tokio::spawn(async move { req.send().await?.text().await })
        })
        .collect();
    for upload in futures_util::future::join_all(uploads).await {
        let answer = upload.expect("upload task");
        let answer = answer.unwrap_or_else(|e| panic!("upload answered {e:?}; log:\n{}", kefu.output()));
        assert_eq!(answer, r#"{"errcode":0,"errmsg":"ok"}"#);
    }
    let (peak, after) = memory(kefu.pid());
    println!("avatar uploads: {UPLOADS} x {FILE_SIZE} B; RSS peak {peak} KiB (start {before} KiB), after {after} KiB");
    assert!(peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
}
