//! The control API under `/_kefu/`: JSON in, JSON out, HTTP statuses for
//! errors. It plays the human side (invited users, workers, followers) and
//! drives the test harness (virtual clock, reset). When an admin token is
//! configured every call but `health` and avatar images needs it.

mod conversation;
mod handlers;
mod platform;
mod push;
mod traffic;

use crate::error::ControlError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, delete, get, post, put};
use axum::Router;
use serde::de::DeserializeOwned;

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    use conversation as c;
    use handlers as h;
    use traffic as t;
    let guarded = Router::new()
        .route("/_kefu/apps", post(h::create_app).get(h::list_apps))
        .route("/_kefu/apps/{appid}", get(h::app_state).patch(h::patch_app))
        .route("/_kefu/apps/{appid}/fans", post(c::follow))
        .route("/_kefu/apps/{appid}/fans/{openid}/events", post(c::event))
        .route(
            "/_kefu/apps/{appid}/fans/{openid}/messages",
            post(c::write).get(c::messages),
        )
        .route("/_kefu/apps/{appid}/waitcase", post(c::enqueue))
        .route("/_kefu/apps/{appid}/kf/{kf_account}/accept", post(c::accept))
        .route("/_kefu/apps/{appid}/kf/{kf_account}/messages", post(c::reply))
        .route("/_kefu/apps/{appid}/kf/{kf_account}/transfer", post(c::transfer))
        .route("/_kefu/apps/{appid}/kf/{kf_account}/close", post(c::close))
        .route(
            "/_kefu/apps/{appid}/kf/{kf_account}/invitation/accept",
            post(h::accept_invitation),
        )
        .route(
            "/_kefu/apps/{appid}/kf/{kf_account}/invitation/reject",
            post(h::reject_invitation),
        )
        .route("/_kefu/apps/{appid}/kf/{kf_account}/status", put(h::set_status))
        .route(
            "/_kefu/apps/{appid}/callback",
            put(push::configure).get(push::show).delete(push::remove),
        )
        .route("/_kefu/apps/{appid}/deliveries", get(push::deliveries))
        .route("/_kefu/wechat-users/{wx}", put(h::set_wechat_user))
        .route("/_kefu/components", post(platform::create))
        .route("/_kefu/components/{component_appid}", get(platform::show))
        .route("/_kefu/components/{component_appid}/ticket", post(platform::ticket))
        .route(
            "/_kefu/components/{component_appid}/callback",
            put(push::configure).get(push::show).delete(push::remove),
        )
        .route("/_kefu/components/{component_appid}/deliveries", get(push::deliveries))
        .route(
            "/_kefu/components/{component_appid}/authorizations",
            post(platform::authorize),
        )
        .route(
            "/_kefu/components/{component_appid}/authorizations/{appid}",
            delete(platform::revoke),
        )
        .route("/_kefu/clock", get(h::clock))
        .route("/_kefu/clock/advance", post(h::advance_clock))
        .route("/_kefu/reset", post(h::reset))
        .route("/_kefu/journal", get(t::journal).delete(t::clear_journal))
        .route("/_kefu/journal/stream", get(t::stream))
        .route("/_kefu/journal/{id}", get(t::entry))
        .route(
            "/_kefu/faults",
            post(t::add_fault).get(t::faults).delete(t::clear_faults),
        )
        .route("/_kefu/faults/{id}", delete(t::remove_fault))
        .route("/_kefu/compat", get(t::compat).delete(t::clear_compat))
        .route("/_kefu/{*rest}", any(t::no_route))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_admin));
    Router::new()
        .merge(guarded)
        .route("/_kefu/health", get(h::health))
        .route("/_kefu/media/headimg/{appid}/{kf_account}", get(h::head_image))
        .route("/metrics", get(h::metrics))
}

/// `Authorization: Bearer <admin token>` when one is configured.
async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ControlError> {
    if let Some(expected) = &state.config.admin_token {
        let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if given.and_then(|v| v.strip_prefix("Bearer ")) != Some(expected.as_str()) {
            return Err(ControlError::Unauthorized);
        }
    }
    Ok(next.run(req).await)
}

/// A control-API JSON body; an empty body reads as `{}`.
pub(crate) struct CJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CJson<T> {
    type Rejection = ControlError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ControlError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ControlError::BadRequest(e.body_text()))?;
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
