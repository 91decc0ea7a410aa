//! The console: a page and its assets, compiled into the binary, that play
//! the human side in a browser (`/_kefu/console/`). Every path under it
//! answers the same page, so deep links (`/_kefu/console/apps/{appid}`,
//! `…/fans/{openid}`) survive a reload; the page's script reads the path.
//!
//! The page holds no data and is served without the admin token; it calls
//! only the documented control API and WeChat API, so everything it shows
//! can be scripted too, and those calls pass the control API's guard like
//! any other. Its policy allows scripts, styles and connections to this
//! origin only, and no framing.

use crate::state::AppState;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// Where the console lives.
pub(crate) const BASE: &str = "/_kefu/console/";

const PAGE: &str = include_str!("../console/index.html");

/// The assets, by name under `/_kefu/console/assets/`.
const ASSETS: &[(&str, &str)] = &[
    ("console.css", include_str!("../console/console.css")),
    ("api.js", include_str!("../console/api.js")),
    ("dom.js", include_str!("../console/dom.js")),
    ("main.js", include_str!("../console/main.js")),
    ("apps.js", include_str!("../console/apps.js")),
    ("kf.js", include_str!("../console/kf.js")),
    ("fans.js", include_str!("../console/fans.js")),
    ("desk.js", include_str!("../console/desk.js")),
    ("traffic.js", include_str!("../console/traffic.js")),
];

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                      connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/_kefu/console", get(|| async { Redirect::permanent(BASE) }))
        .route("/_kefu/console/", get(page))
        .route("/_kefu/console/assets/{name}", get(asset))
        .route("/_kefu/console/{*deep_link}", get(page))
}

async fn page() -> Response {
    served("text/html; charset=utf-8", PAGE)
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _)| *n == name) {
        Some((n, body)) if n.ends_with(".css") => served("text/css; charset=utf-8", body),
        Some((_, body)) => served("text/javascript; charset=utf-8", body),
        None => (StatusCode::NOT_FOUND, "no such console asset").into_response(),
    }
}

fn served(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}
