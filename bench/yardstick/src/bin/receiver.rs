//! The push benchmark's developer server: what `bench/pushes.sh` points an
//! app's callback URL at.
//!
//! - `POST` anything: reads the whole body and answers `200` `success` at
//!   once (WeChat's "nothing to do"), counting the request, its body bytes
//!   and, when the URL carries a `nonce` query parameter, the distinct
//!   nonces seen (kefu derives each push's nonce from the push, so a push
//!   delivered twice shows as fewer nonces than requests);
//! - `GET /_stats`: `posts=N nonces=D bytes=B`;
//! - any other `GET`: the value of its `echostr` query parameter, verbatim
//!   (the URL verification handshake), or `400` without one.
//!
//! HTTP/1.1 with keep-alive on a multi-threaded runtime.
//!
//! Usage: `receiver [ADDR]` (default `127.0.0.1:8091`).

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

#[derive(Default)]
struct Stats {
    posts: AtomicU64,
    bytes: AtomicU64,
    nonces: Mutex<HashSet<u64>>,
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body.into()));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
    res
}

/// The first value of query parameter `name`, percent-decoded (`+` is a space).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let pair = query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })?;
    let bytes = pair.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

async fn answer(stats: Arc<Stats>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::POST {
        let nonce = query_param(req.uri().query(), "nonce").and_then(|n| n.parse::<u64>().ok());
        let body = match req.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return Ok(text(StatusCode::BAD_REQUEST, "the body broke off")),
        };
        stats.posts.fetch_add(1, Ordering::Relaxed);
        stats.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        if let Some(n) = nonce {
            stats.nonces.lock().unwrap_or_else(|e| e.into_inner()).insert(n);
        }
        return Ok(text(StatusCode::OK, Bytes::from_static(b"success")));
    }
    if req.method() != Method::GET {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "POST or GET"));
    }
    if req.uri().path() == "/_stats" {
        let nonces = stats.nonces.lock().unwrap_or_else(|e| e.into_inner()).len();
        let line = format!(
            "posts={} nonces={} bytes={}\n",
            stats.posts.load(Ordering::Relaxed),
            nonces,
            stats.bytes.load(Ordering::Relaxed)
        );
        return Ok(text(StatusCode::OK, line));
    }
    Ok(match query_param(req.uri().query(), "echostr") {
        Some(echostr) => text(StatusCode::OK, echostr),
        None => text(StatusCode::BAD_REQUEST, "no echostr"),
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args().nth(1).as_deref().unwrap_or("127.0.0.1:8091").parse()?;
    let listener = TcpListener::bind(addr).await?;
    println!("receiver listening on http://{}", listener.local_addr()?);
    let stats = Arc::new(Stats::default());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: keep serving the others.
                eprintln!("receiver: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let stats = stats.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(stats.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
