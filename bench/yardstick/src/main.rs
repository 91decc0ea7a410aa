//! The benchmark yardstick: the smallest useful hyper 1 HTTP/1.1 server.
//!
//! It answers every request with `200` and `{"errcode":0,"errmsg":"ok"}`,
//! doing no work at all, so `bench/run.sh` can compare kefu's throughput and
//! latency with what the machine (and wrk) can do on a bare HTTP stack.
//!
//! Usage: `yardstick [ADDR]` (default `127.0.0.1:8090`).

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"errcode":0,"errmsg":"ok"}"#;
const CONTENT_TYPE_JSON: &str = "application/json; encoding=utf-8";

async fn answer(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut res = Response::new(Full::new(Bytes::from_static(BODY)));
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
    Ok(res)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args().nth(1).as_deref().unwrap_or("127.0.0.1:8090").parse()?;
    let listener = TcpListener::bind(addr).await?;
    println!("yardstick listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
