//! No client can hold kefu's sockets: idle and slow connections are closed
//! after the header timeout, a stalled body is cut after the body timeout
//! (and answered 47001 on the WeChat side, as is a malformed chunked body,
//! never 45002), and past the connection limit new connections are closed
//! at once while those already open are still served.

use crate::support::TestApp;
use kefu_server::{Connections, ServerConfig};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_millis(800);
const BODY_TIMEOUT: Duration = Duration::from_millis(800);
/// What closing may take beyond its timeout on a busy machine.
const SLACK: Duration = Duration::from_secs(5);

async fn app_with(max_connections: usize) -> (TestApp, String) {
    let app = TestApp::with_config(ServerConfig {
        connections: Connections {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            max_connections,
        },
        ..ServerConfig::default()
    })
    .await;
    let base = app.serve().await;
    let addr = base.trim_start_matches("http://").to_owned();
    (app, addr)
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(conn: &mut TcpStream, within: Duration) -> String {
    let mut all = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the server closed the connection");
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let (_app, addr) = app_with(64).await;
    let started = Instant::now();
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    until_closed(&mut idle, HEADER_TIMEOUT + SLACK).await;
    assert!(started.elapsed() >= HEADER_TIMEOUT, "closed before its time");
}

#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_cut_at_the_header_deadline() {
    let (_app, addr) = app_with(64).await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET /_kefu/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    // One byte every 100 ms would take 10 s; the deadline does not move.
    let drip = async {
        for b in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if slow.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server waited for the whole drip");
    };
    tokio::time::timeout(HEADER_TIMEOUT + SLACK, drip)
        .await
        .expect("cut within its deadline");
    assert!(started.elapsed() < Duration::from_secs(9));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let (_app, addr) = app_with(64).await;
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET /_kefu/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answered = until_closed(&mut conn, HEADER_TIMEOUT + SLACK).await;
    assert!(answered.starts_with("HTTP/1.1 200 OK"), "{answered}");
}

#[tokio::test]
async fn a_stalled_body_is_cut_and_answered_47001() {
    let (app, addr) = app_with(64).await;
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /customservice/kfaccount/add?access_token={} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"kf_acc",
        app.token
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut conn, BODY_TIMEOUT + HEADER_TIMEOUT + SLACK).await;
    assert!(
        answer.contains(r#"{"errcode":47001,"errmsg":"data format error rid: "#),
        "{answer}"
    );
}

#[tokio::test]
async fn a_malformed_chunked_body_is_47001_not_45002() {
    let (app, addr) = app_with(64).await;
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    let req = format!(
        "POST /customservice/kfaccount/add?access_token={} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"kf_\r\nzz\r\n",
        app.token
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let answer = until_closed(&mut conn, HEADER_TIMEOUT + SLACK).await;
    assert!(
        answer.contains(r#"{"errcode":47001,"errmsg":"data format error rid: "#),
        "{answer}"
    );
    assert!(app.wx_get("/cgi-bin/customservice/getkflist").await.text() == r#"{"kf_list":[]}"#);
}

#[tokio::test]
async fn past_the_connection_limit_new_connections_are_closed_and_old_ones_served() {
    let (_app, addr) = app_with(3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = TcpStream::connect(&addr).await.unwrap();
        // A full request and its answer: the connection is surely accepted.
        conn.write_all(b"GET /_kefu/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = conn.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
        held.push(conn);
    }
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /_kefu/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let refused = until_closed(&mut extra, SLACK).await;
    assert_eq!(refused, "", "the connection past the limit was served");
    // Those held are still served, and the refusal was counted.
    let conn = &mut held[0];
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let metrics = until_closed(conn, SLACK).await;
    assert!(metrics.starts_with("HTTP/1.1 200 OK"), "{metrics}");
    assert!(metrics.contains("kefu_connections_refused_total"), "{metrics}");
    // Once one closes, a new connection is served again.
    held.remove(0);
    let served = async {
        loop {
            let mut again = TcpStream::connect(&addr).await.unwrap();
            again
                .write_all(b"GET /_kefu/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            if until_closed(&mut again, SLACK).await.starts_with("HTTP/1.1 200 OK") {
                return;
            }
        }
    };
    tokio::time::timeout(SLACK, served)
        .await
        .expect("a freed slot is used again");
}
