//! The access log: one `info` line per request (method, path, status,
//! errcode, latency, rid), written by `tower-http`'s trace layer inside a
//! span that carries the request's rid once the answer names one. The
//! target is `kefu_server::access`, so `RUST_LOG=kefu_server::access=off`
//! silences it alone.

use crate::traffic::marks::Answered;
use axum::extract::Request;
use axum::response::Response;
use std::time::Duration;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// Makes a request's span.
type MakeSpan = fn(&Request) -> Span;
/// Writes the answer line.
type OnResponse = fn(&Response, Duration, &Span);

/// The layer, with kefu's span and answer line.
pub(crate) fn layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(span as MakeSpan)
        .on_request(())
        .on_response(answered as OnResponse)
}

fn span(req: &Request) -> Span {
    tracing::info_span!(
        target: "kefu_server::access",
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        rid = tracing::field::Empty,
    )
}

fn answered(res: &Response, latency: Duration, span: &Span) {
    let answer = res.extensions().get::<Answered>();
    if let Some(a) = answer {
        span.record("rid", a.rid.as_str());
    }
    let errcode = match answer {
        Some(a) => a.errcode,
        None => 0,
    };
    tracing::info!(
        target: "kefu_server::access",
        status = res.status().as_u16(),
        errcode,
        latency_us = latency.as_micros() as u64,
        "answered"
    );
}
