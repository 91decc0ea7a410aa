//! The WeChat side: routes at the documented paths, method rules (43002),
//! and the 40066 answer for every other path.

mod extract;
mod handlers;

use crate::error::{wx_json, ApiError};
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use kefu_core::ErrCode;
use serde::Serialize;

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

pub(crate) fn router() -> Router<AppState> {
    use handlers as h;
    Router::new()
        .route("/cgi-bin/token", any(h::token))
        .route("/cgi-bin/stable_token", post_only(h::stable_token))
        .route("/cgi-bin/clear_quota", post_only(h::clear_quota))
        .route("/cgi-bin/clear_quota/v2", post_only(h::clear_quota_v2))
        .route("/customservice/kfaccount/add", post_only(h::add_kf_account))
        .route("/customservice/kfaccount/update", post_only(h::update_kf_account))
        .route(
            "/customservice/kfaccount/del",
            get(h::del_kf_account).post(h::del_kf_account),
        )
        .route("/customservice/kfaccount/uploadheadimg", post_only(h::upload_head_img))
        .route("/customservice/kfaccount/inviteworker", post_only(h::invite_worker))
        .route("/cgi-bin/customservice/getkflist", any(h::get_kf_list))
        .route("/cgi-bin/customservice/getonlinekflist", any(h::get_online_kf_list))
        .route("/customservice/kfsession/create", post_only(h::create_session))
        // Bodies are read by our own extractors, each with its documented limit.
        .layer(DefaultBodyLimit::disable())
}
