//! The WeChat side: routes at the documented paths, built from the core
//! endpoint table (path, method, body limit) and a map from path to
//! handler; method rules (43002), and the 40066 answer for every other path.
//! Handler files are named after the service files they call.

mod extract;
mod kf;
mod messages;
mod platform;
mod sessions;
mod tokens;

use crate::error::{wx_json, ApiError};
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use kefu_core::endpoint::{self, Endpoint, Method, ENDPOINTS};
use kefu_core::ErrCode;
use serde::Serialize;

pub(crate) use extract::query_param;

/// A success body with WeChat's content type.
pub(crate) struct Wx<T>(pub T);

impl<T: Serialize> IntoResponse for Wx<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => wx_json(body),
            Err(e) => ApiError::from(kefu_store::StoreError::Corrupt(e.to_string())).into_response(),
        }
    }
}

/// `{"errcode":0,"errmsg":"ok"}`.
pub(crate) struct WxOk;

impl IntoResponse for WxOk {
    fn into_response(self) -> Response {
        wx_json(br#"{"errcode":0,"errmsg":"ok"}"#.to_vec())
    }
}

/// 40066 for paths WeChat does not have.
pub(crate) async fn invalid_url() -> ApiError {
    ErrCode::InvalidUrl.into()
}

async fn require_post() -> ApiError {
    ErrCode::RequirePost.into()
}

/// `h` behind the methods the endpoint table gives: POST-only endpoints
/// answer 43002 to any other method; query endpoints take any method; an
/// endpoint documented for GET and POST (`kfaccount/del`) answers 43002 to
/// the others (a browser's OPTIONS preflight must not delete an account).
fn with_method<H, T>(method: Method, h: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    match method {
        Method::Post => post(h).fallback(require_post),
        Method::Get => any(h),
        Method::Both => get(h.clone()).post(h).fallback(require_post),
    }
}

/// The handler of a documented path, behind its table methods; `None` for
/// a path kefu has no handler for. The path, its method and its body limit
/// live in `kefu_core::endpoint::ENDPOINTS`; this is only the map to code.
fn handler(e: &Endpoint) -> Option<MethodRouter<AppState>> {
    let m = e.method;
    Some(match e.path {
        "/cgi-bin/token" => with_method(m, tokens::token),
        "/cgi-bin/stable_token" => with_method(m, tokens::stable_token),
        "/cgi-bin/clear_quota" => with_method(m, tokens::clear_quota),
        "/cgi-bin/clear_quota/v2" => with_method(m, tokens::clear_quota_v2),
        "/cgi-bin/component/api_component_token" => with_method(m, platform::component_token),
        "/cgi-bin/component/api_authorizer_token" => with_method(m, platform::authorizer_token),
        "/customservice/kfaccount/add" => with_method(m, kf::add_kf_account),
        "/customservice/kfaccount/update" => with_method(m, kf::update_kf_account),
        "/customservice/kfaccount/del" => with_method(m, kf::del_kf_account),
        "/customservice/kfaccount/uploadheadimg" => {
            // The body limit is the table's, checked as it is read; axum's
            // own 2 MiB default would refuse files the table allows.
            with_method(m, kf::upload_head_img).layer(axum::extract::DefaultBodyLimit::disable())
        }
        "/customservice/kfaccount/inviteworker" => with_method(m, kf::invite_worker),
        "/cgi-bin/customservice/getkflist" => with_method(m, kf::get_kf_list),
        "/cgi-bin/customservice/getonlinekflist" => with_method(m, kf::get_online_kf_list),
        "/customservice/kfsession/create" => with_method(m, sessions::create_session),
        "/customservice/kfsession/close" => with_method(m, sessions::close_session),
        "/customservice/kfsession/getsession" => with_method(m, sessions::get_session),
        "/customservice/kfsession/getsessionlist" => with_method(m, sessions::get_session_list),
        "/customservice/kfsession/getwaitcase" => with_method(m, sessions::get_wait_case),
        "/customservice/msgrecord/getmsglist" => with_method(m, messages::get_msg_list),
        "/customservice/msgrecord/getrecord" => with_method(m, messages::get_record),
        "/cgi-bin/message/custom/send" => with_method(m, messages::custom_send),
        "/cgi-bin/message/custom/typing" => with_method(m, messages::typing),
        "/cgi-bin/message/custom/business/typing" => with_method(m, messages::typing),
        _ => return None,
    })
}

/// The WeChat side, built from the endpoint table; with `lenient`, also the
/// undocumented paths SDKs send and the retired endpoints they still call.
pub(crate) fn router(lenient: bool) -> Router<AppState> {
    let mut router = Router::new();
    for e in ENDPOINTS {
        match handler(e) {
            Some(h) => router = router.route(e.path, h),
            None => tracing::error!(path = e.path, "an endpoint of the table has no handler"),
        }
    }
    let aliases = endpoint::ALIASES.iter().filter(|_| lenient);
    for (alias, documented) in aliases {
        if let Some(h) = endpoint::find(documented).and_then(handler) {
            router = router.route(alias, h);
        }
    }
    for legacy in endpoint::LEGACY.iter().filter(|_| lenient) {
        match handler(&legacy.endpoint) {
            Some(h) => router = router.route(legacy.endpoint.path, h),
            None => tracing::error!(path = legacy.endpoint.path, "a legacy endpoint has no handler"),
        }
    }
    // Bodies are read by our own extractors, each with its endpoint's limit.
    router.layer(DefaultBodyLimit::disable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_of_the_table_has_a_handler() {
        for e in ENDPOINTS {
            assert!(handler(e).is_some(), "{}", e.path);
        }
        for l in endpoint::LEGACY {
            assert!(handler(&l.endpoint).is_some(), "{}", l.endpoint.path);
        }
    }
}
