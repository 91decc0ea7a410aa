//! Extractors for the WeChat side, applied in the contract's order of checks:
//! [`Caller`] (credential, then authority) runs before the body extractors
//! ([`WxBody`], [`DelTarget`], [`HeadImgUpload`]), which turn empty bodies into
//! 44002, malformed (or unreadable) ones into 47001 and oversized ones into
//! 45002.

use crate::error::ApiError;
use crate::service::credentials;
use crate::state::AppState;
use crate::traffic::marks::CallerSlot;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Multipart, Request};
use axum::http::request::Parts;
use axum::http::Method;
use kefu_core::app::AccountType;
use kefu_core::endpoint::{self, Endpoint};
use kefu_core::ids::AppId;
use kefu_core::ErrCode;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The value of one query parameter (`+` and `%XX` decoded, raw `@` kept).
pub(crate) fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The caller's address: the socket's peer, or the first `X-Forwarded-For`
/// entry when kefu is configured to trust a proxy. In-process requests
/// (tests) without either read as loopback.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let forwarded = || {
            let header = parts.headers.get("x-forwarded-for")?.to_str().ok()?;
            header.split(',').next()?.trim().parse().ok()
        };
        if state.config.trust_proxy {
            if let Some(ip) = forwarded() {
                return Ok(ClientIp(ip));
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientIp(peer.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))))
    }
}

/// The app behind a valid `access_token`, allowed to call this endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The calling app.
    pub appid: AppId,
    /// Its account type (which message types it may send).
    pub account_type: AccountType,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let endpoint = matched_endpoint(parts)?;
        let token = query_param(parts.uri.query(), "access_token").unwrap_or_default();
        let principal = credentials::authenticate(state, token).await?;
        if let Some(slot) = parts.extensions.get::<CallerSlot>() {
            let _ = slot.0.set(principal.appid.clone());
        }
        credentials::permit(endpoint, &principal)?;
        credentials::spend_quota(state, &principal, endpoint.path).await?;
        Ok(Caller {
            appid: principal.appid.clone(),
            account_type: principal.account_type,
        })
    }
}

/// The endpoint a request reached; an alias (lenient mode only) is logged
/// as a compatibility warning and treated as its documented path.
fn matched_endpoint(parts: &Parts) -> Result<&'static Endpoint, ApiError> {
    let path = parts
        .extensions
        .get::<MatchedPath>()
        .map_or(parts.uri.path(), |m| m.as_str());
    endpoint_of(path)
}

fn endpoint_of(path: &str) -> Result<&'static Endpoint, ApiError> {
    if let Some(found) = endpoint::find(path) {
        return Ok(found);
    }
    if let Some(legacy) = endpoint::legacy(path) {
        tracing::warn!(
            path,
            documented = legacy.replaced_by,
            "compatibility: retired endpoint that real WeChat no longer documents"
        );
        return Ok(&legacy.endpoint);
    }
    let documented = endpoint::documented(path).ok_or(ErrCode::InvalidUrl)?;
    tracing::warn!(
        path,
        documented,
        "compatibility: undocumented path that real WeChat would reject"
    );
    Ok(endpoint::find(documented).ok_or(ErrCode::InvalidUrl)?)
}

/// The body limit of the endpoint a request reached (from the table).
fn body_limit(req: &Request) -> usize {
    let path = req.extensions().get::<MatchedPath>().map(|m| m.as_str());
    path.and_then(|p| endpoint_of(p).ok())
        .map_or(endpoint::JSON_BODY_LIMIT, |e| e.body_limit)
}

/// Reads at most `limit` bytes of a body; more is 45002 and is not
/// buffered. A body that cannot be read whole (malformed chunked framing,
/// a connection cut or stalled past the body timeout) is 47001: what
/// arrived is not data of any format.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if too_large(&e) {
            ApiError::from(ErrCode::ContentSizeOutOfLimit)
        } else {
            tracing::debug!(error = %e, "the request body could not be read");
            ApiError::from(ErrCode::DataFormatError)
        }
    })
}

/// Whether a body read failed on its size limit (and not on the wire).
fn too_large(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Parses a JSON object body whatever its content type: empty is 44002,
/// anything but an object of the right field types is 47001.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(ErrCode::EmptyPostData.into()),
        // Only an object: serde would also read a struct from a JSON array.
        Some(b'{') => serde_json::from_slice(bytes).map_err(|_| ErrCode::DataFormatError.into()),
        Some(_) => Err(ErrCode::DataFormatError.into()),
    }
}

/// A JSON request body.
pub(crate) struct WxBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for WxBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, ApiError> {
        let limit = body_limit(&req);
        let bytes = read_body(req.into_body(), limit).await?;
        parse_json(&bytes).map(WxBody)
    }
}

/// The account `kfaccount/del` names, from any of the three shapes SDKs send:
/// `?kf_account=` (GET, or POST with any body), or a JSON body.
pub(crate) struct DelTarget(pub String);

impl FromRequest<AppState> for DelTarget {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, ApiError> {
        if let Some(account) = query_param(req.uri().query(), "kf_account") {
            return Ok(DelTarget(account));
        }
        if req.method() == Method::GET {
            return Ok(DelTarget(String::new()));
        }
        let limit = body_limit(&req);
        let bytes = read_body(req.into_body(), limit).await?;
        let body: kefu_api::wechat::KfAccountRef = parse_json(&bytes)?;
        Ok(DelTarget(body.kf_account))
    }
}

/// The `media` part of a multipart avatar upload, and `?kf_account=`.
pub(crate) struct HeadImgUpload {
    /// The account named in the query string.
    pub kf_account: String,
    /// The file's bytes (at most [`endpoint::AVATAR_LIMIT`]).
    pub data: Bytes,
}

impl FromRequest<AppState> for HeadImgUpload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let kf_account = query_param(req.uri().query(), "kf_account").unwrap_or_default();
        let limit = body_limit(&req);
        let (parts, body) = req.into_parts();
        let bytes = read_body(body, limit).await?;
        if bytes.is_empty() {
            return Err(ErrCode::EmptyPostData.into());
        }
        let req = Request::from_parts(parts, Body::from(bytes));
        let missing = |why: &dyn std::fmt::Debug| {
            tracing::debug!(error = ?why, "no media in the upload");
            ApiError::from(ErrCode::MediaDataMissing)
        };
        let mut form = Multipart::from_request(req, state).await.map_err(|e| missing(&e))?;
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some("media") {
                let data = field.bytes().await.map_err(|e| missing(&e))?;
                if data.len() > endpoint::AVATAR_LIMIT {
                    return Err(ErrCode::ContentSizeOutOfLimit.into());
                }
                return Ok(HeadImgUpload { kf_account, data });
            }
        }
        Err(missing(&"no part named media"))
    }
}
