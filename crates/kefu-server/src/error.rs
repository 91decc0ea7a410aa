//! The only places errors become responses.
//!
//! WeChat-side errors ([`ApiError`]) answer HTTP 200 with
//! `{"errcode":N,"errmsg":"<documented text> rid: ..."}`; internal failures
//! answer `-1 system error` and their detail goes to the log only, with the
//! same rid. Control-API errors ([`ControlError`]) use HTTP statuses.

use crate::traffic::marks::Answered;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kefu_api::control::ControlError as ControlBody;
use kefu_core::kf::HumanError;
use kefu_core::ErrCode;
use kefu_store::StoreError;

/// The content type WeChat answers with.
pub const WX_CONTENT_TYPE: &str = "application/json; encoding=utf-8";

/// A WeChat-side error.
#[derive(Debug)]
pub struct ApiError {
    code: ErrCode,
    detail: Option<String>,
    message: Option<String>,
}

impl ApiError {
    /// The error code.
    pub fn code(&self) -> ErrCode {
        self.code
    }

    /// An error whose errmsg names the request (40164 names the caller's address).
    pub fn with_message(code: ErrCode, message: String) -> Self {
        ApiError {
            code,
            detail: None,
            message: Some(message),
        }
    }
}

impl From<ErrCode> for ApiError {
    fn from(code: ErrCode) -> Self {
        ApiError {
            code,
            detail: None,
            message: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError {
            code: ErrCode::SystemError,
            detail: Some(e.to_string()),
            message: None,
        }
    }
}

/// A fresh request id: `8hex-8hex-8hex`.
pub fn rid() -> String {
    let [a, b, c]: [u32; 3] = rand::random();
    format!("{a:08x}-{b:08x}-{c:08x}")
}

/// A JSON body with WeChat's content type.
pub fn wx_json(body: Vec<u8>) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(WX_CONTENT_TYPE));
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rid = rid();
        match &self.detail {
            Some(detail) => {
                tracing::error!(%rid, errcode = self.code.code(), %detail, "internal error")
            }
            None => tracing::debug!(%rid, errcode = self.code.code(), "wechat error"),
        }
        let body = serde_json::json!({
            "errcode": self.code.code(),
            "errmsg": format!("{} rid: {rid}", self.message.as_deref().unwrap_or(self.code.message())),
        });
        let mut res = wx_json(body.to_string().into_bytes());
        res.extensions_mut().insert(Answered {
            errcode: self.code.code(),
            rid,
        });
        res
    }
}

/// A control-API error.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// 404: a named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 409: the state does not allow it (code, sentence).
    #[error("{1}")]
    Conflict(&'static str, String),
    /// 422: the request is well formed but was refused (code, sentence),
    /// e.g. a callback URL that fails the verification handshake.
    #[error("{1}")]
    Refused(&'static str, String),
    /// 401: missing or wrong admin token (which of the two).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: a call from another web site, or for a host kefu is not (code,
    /// sentence).
    #[error("{1}")]
    Forbidden(&'static str, String),
    /// 415: a state-changing call that is not JSON.
    #[error("control calls that change state take Content-Type: application/json")]
    UnsupportedMediaType,
    /// 500: storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<HumanError> for ControlError {
    fn from(e: HumanError) -> Self {
        ControlError::Conflict(e.code(), e.to_string())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ControlError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{}_not_found", what.replace(' ', "_"))),
            ControlError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request".into()),
            ControlError::Conflict(code, _) => (StatusCode::CONFLICT, (*code).into()),
            ControlError::Refused(code, _) => (StatusCode::UNPROCESSABLE_ENTITY, (*code).into()),
            ControlError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized".into()),
            ControlError::Forbidden(code, _) => (StatusCode::FORBIDDEN, (*code).into()),
            ControlError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type".into()),
            ControlError::Store(e) => {
                tracing::error!(error = %e, "control request failed in the store");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal".into())
            }
        };
        let message = match self {
            ControlError::Store(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        (status, axum::Json(ControlBody { error: code, message })).into_response()
    }
}
