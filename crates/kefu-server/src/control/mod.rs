//! The control API under `/_kefu/`: JSON in, JSON out, HTTP statuses for
//! errors. It plays the human side (invited users, workers, followers) and
//! drives the test harness (virtual clock, reset). When an admin token is
//! configured every call but `health`, the CA certificate and avatar images
//! needs it.

mod conversation;
mod events;
mod guard;
mod handlers;
mod platform;
mod push;
pub(crate) mod routes;
mod snapshots;
mod traffic;

use crate::error::ControlError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::middleware;
use axum::routing::{any, delete, get, post, put, MethodRouter};
use axum::Router;
use serde::de::DeserializeOwned;

pub(crate) use routes::{OPEN, ROUTES};

/// The handlers of a control path; `None` for a path kefu has none for.
fn handler(path: &str) -> Option<MethodRouter<AppState>> {
    use conversation as c;
    use handlers as h;
    use traffic as t;
    Some(match path {
        "/_kefu/apps" => post(h::create_app).get(h::list_apps),
        "/_kefu/apps/{appid}" => get(h::app_state).patch(h::patch_app),
        "/_kefu/apps/{appid}/fans" => post(c::follow).get(h::fan_page),
        "/_kefu/apps/{appid}/fans/{openid}" => get(c::fan),
        "/_kefu/apps/{appid}/fans/{openid}/events" => post(c::event),
        "/_kefu/apps/{appid}/fans/{openid}/messages" => post(c::write).get(c::messages),
        "/_kefu/apps/{appid}/waitcase" => post(c::enqueue),
        "/_kefu/apps/{appid}/kf/{kf_account}/accept" => post(c::accept),
        "/_kefu/apps/{appid}/kf/{kf_account}/messages" => post(c::reply),
        "/_kefu/apps/{appid}/kf/{kf_account}/transfer" => post(c::transfer),
        "/_kefu/apps/{appid}/kf/{kf_account}/close" => post(c::close),
        "/_kefu/apps/{appid}/kf/{kf_account}/invitation/accept" => post(h::accept_invitation),
        "/_kefu/apps/{appid}/kf/{kf_account}/invitation/reject" => post(h::reject_invitation),
        "/_kefu/apps/{appid}/kf/{kf_account}/status" => put(h::set_status),
        "/_kefu/apps/{appid}/callback" | "/_kefu/components/{component_appid}/callback" => {
            put(push::configure).get(push::show).delete(push::remove)
        }
        "/_kefu/apps/{appid}/deliveries" | "/_kefu/components/{component_appid}/deliveries" => get(push::deliveries),
        "/_kefu/wechat-users/{wx}" => put(h::set_wechat_user),
        "/_kefu/components" => post(platform::create),
        "/_kefu/components/{component_appid}" => get(platform::show),
        "/_kefu/components/{component_appid}/ticket" => post(platform::ticket),
        "/_kefu/components/{component_appid}/authorizations" => post(platform::authorize),
        "/_kefu/components/{component_appid}/authorizations/{appid}" => delete(platform::revoke),
        "/_kefu/clock" => get(h::clock),
        "/_kefu/clock/advance" => post(h::advance_clock),
        "/_kefu/reset" => post(h::reset),
        "/_kefu/export" => get(snapshots::export),
        "/_kefu/import" => post(snapshots::import).layer(snapshots::import_limit()),
        "/_kefu/snapshots" => post(snapshots::save).get(snapshots::list),
        "/_kefu/snapshots/{name}" => delete(snapshots::delete),
        "/_kefu/snapshots/{name}/restore" => post(snapshots::restore),
        "/_kefu/events" => get(events::events),
        "/_kefu/journal" => get(t::journal).delete(t::clear_journal),
        "/_kefu/journal/stream" => get(t::stream),
        "/_kefu/journal/{id}" => get(t::entry),
        "/_kefu/faults" => post(t::add_fault).get(t::faults).delete(t::clear_faults),
        "/_kefu/faults/{id}" => delete(t::remove_fault),
        "/_kefu/compat" => get(t::compat).delete(t::clear_compat),
        "/_kefu/openapi.json" => get(h::openapi_control),
        "/_kefu/openapi/wechat.json" => get(h::openapi_wechat),
        "/_kefu/health" => get(h::health),
        "/_kefu/ca.pem" => get(h::ca_certificate),
        "/_kefu/media/headimg/{appid}/{kf_account}" => get(h::head_image),
        "/metrics" => get(h::metrics),
        _ => return None,
    })
}

/// The control API, from [`ROUTES`]; every route but the open ones passes
/// the [`guard`] (other sites' pages, the admin token), and any other path
/// under `/_kefu/` answers the control API's 404.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let (mut guarded, mut open) = (Router::new(), Router::new());
    for (path, _) in ROUTES {
        let Some(h) = handler(path) else {
            tracing::error!(path, "a control route of the table has no handler");
            continue;
        };
        if OPEN.contains(path) {
            open = open.route(path, h);
        } else {
            guarded = guarded.route(path, h);
        }
    }
    let guarded = guarded
        .route("/_kefu/{*rest}", any(traffic::no_route))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::guard));
    guarded.merge(open).route_layer(middleware::from_fn(guard::no_nul))
}

/// A control-API JSON body; an empty body reads as `{}`.
pub(crate) struct CJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CJson<T> {
    type Rejection = ControlError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ControlError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ControlError::BadRequest(e.body_text()))?;
        if kefu_core::text::carries_nul("", &bytes) {
            return Err(guard::nul_refused("body"));
        }
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes)
            .map(CJson)
            .map_err(|e| ControlError::BadRequest(e.to_string()))
    }
}
