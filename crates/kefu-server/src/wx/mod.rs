//! The WeChat side: routes at the documented paths, method rules (43002),
//! and the 40066 answer for every other path.

mod conversation;
mod extract;
mod handlers;
mod platform;

use crate::error::{wx_json, ApiError};
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
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

/// A POST-only route: any other method answers 43002.
fn post_only<H, T>(h: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    post(h).fallback(require_post)
}

/// Every documented WeChat route with its handler.
fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    use conversation as c;
    use handlers as h;
    vec![
        ("/cgi-bin/token", any(h::token)),
        ("/cgi-bin/stable_token", post_only(h::stable_token)),
        ("/cgi-bin/clear_quota", post_only(h::clear_quota)),
        ("/cgi-bin/clear_quota/v2", post_only(h::clear_quota_v2)),
        (
            "/cgi-bin/component/api_component_token",
            post_only(platform::component_token),
        ),
        (
            "/cgi-bin/component/api_authorizer_token",
            post_only(platform::authorizer_token),
        ),
        ("/customservice/kfaccount/add", post_only(h::add_kf_account)),
        ("/customservice/kfaccount/update", post_only(h::update_kf_account)),
        (
            "/customservice/kfaccount/del",
            get(h::del_kf_account).post(h::del_kf_account),
        ),
        ("/customservice/kfaccount/uploadheadimg", post_only(h::upload_head_img)),
        ("/customservice/kfaccount/inviteworker", post_only(h::invite_worker)),
        ("/cgi-bin/customservice/getkflist", any(h::get_kf_list)),
        ("/cgi-bin/customservice/getonlinekflist", any(h::get_online_kf_list)),
        ("/customservice/kfsession/create", post_only(h::create_session)),
        ("/customservice/kfsession/close", post_only(c::close_session)),
        ("/customservice/kfsession/getsession", any(c::get_session)),
        ("/customservice/kfsession/getsessionlist", any(c::get_session_list)),
        ("/customservice/kfsession/getwaitcase", any(c::get_wait_case)),
        ("/customservice/msgrecord/getmsglist", post_only(c::get_msg_list)),
        ("/cgi-bin/message/custom/send", post_only(c::custom_send)),
        ("/cgi-bin/message/custom/typing", post_only(c::typing)),
        ("/cgi-bin/message/custom/business/typing", post_only(c::typing)),
    ]
}

/// The WeChat side; with `lenient`, also the undocumented paths SDKs send.
pub(crate) fn router(lenient: bool) -> Router<AppState> {
    let routes = routes();
    let mut router = Router::new();
    for (path, handler) in &routes {
        router = router.route(path, handler.clone());
    }
    let aliases = kefu_core::endpoint::ALIASES.iter().filter(|_| lenient);
    for (alias, documented) in aliases {
        if let Some((_, handler)) = routes.iter().find(|(p, _)| p == documented) {
            router = router.route(alias, handler.clone());
        }
    }
    // Bodies are read by our own extractors, each with its documented limit.
    router.layer(DefaultBodyLimit::disable())
}
