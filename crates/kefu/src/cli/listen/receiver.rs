//! The receiver's HTTP side: one route that answers WeChat's GET handshake
//! and every POSTed push (checked, printed, then answered, or passed on
//! with `--forward`).

use super::check::{self, Checked, Keys};
use super::forward::{self, Relayed};
use super::reply::{self, Reply};
use super::show::{self, Handled};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;

/// The path the receiver answers on.
pub(super) const PATH: &str = "/wx";

/// Everything a push is handled with.
#[derive(Debug)]
pub(super) struct Receiver {
    /// What pushes are checked against.
    pub keys: Keys,
    /// How verified pushes are answered (and failed forwards).
    pub reply: Reply,
    /// One JSON object a push instead of a line.
    pub json: bool,
    /// The developer's own server, and the client that reaches it.
    pub forward: Option<(reqwest::Client, String)>,
}

/// The receiver's router.
pub(super) fn router(receiver: Receiver) -> Router {
    Router::new()
        .route(PATH, axum::routing::any(handle))
        .with_state(Arc::new(receiver))
}

async fn handle(
    State(r): State<Arc<Receiver>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = query.unwrap_or_default();
    if method == Method::GET {
        return match check::handshake(&r.keys, &query) {
            Ok(echostr) => echostr.into_response(),
            Err(why) => {
                eprintln!("refused a URL handshake: {why}");
                (StatusCode::UNAUTHORIZED, why).into_response()
            }
        };
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let checked = check::check(&r.keys, &query, &text);
    if checked.problem.is_some() {
        let why = "the push does not verify with this Token and EncodingAESKey";
        print(&r, handled(&query, &text, &checked, "HTTP 401".into(), None));
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let forward_error = match &r.forward {
        Some((http, url)) => match forward::forward(http, url, &query, content_type, body.to_vec()).await {
            Ok(relayed) => {
                let answered = format!("forwarded, answered HTTP {}", relayed.status);
                print(&r, handled(&query, &text, &checked, answered, None));
                return relay(relayed);
            }
            Err(why) => Some(why),
        },
        None => None,
    };
    let (answered, reply) = reply::answer(&r.reply, &r.keys, &query, &checked);
    print(&r, handled(&query, &text, &checked, answered, forward_error));
    let content_type = match reply.as_str() {
        "success" => "text/plain; charset=utf-8",
        _ => checked.format.content_type(),
    };
    ([(header::CONTENT_TYPE, content_type)], reply).into_response()
}

fn handled<'a>(
    query: &'a str,
    body: &'a str,
    checked: &'a Checked,
    answered: String,
    forward_error: Option<String>,
) -> Handled<'a> {
    Handled {
        query,
        body,
        checked,
        answered,
        forward_error,
    }
}

/// Prints a handled push on stdout.
fn print(r: &Receiver, h: Handled<'_>) {
    if r.json {
        println!("{}", show::object(&h));
    } else {
        println!("{}", show::line(&h));
    }
}

/// The forward target's answer, as kefu receives it.
fn relay(relayed: Relayed) -> Response {
    let status = StatusCode::from_u16(relayed.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = (status, relayed.body).into_response();
    if let Some(ct) = relayed.content_type.and_then(|ct| ct.parse().ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
}
