//! A typed async client for WeChat's customer-service API, pointed at real
//! WeChat (`https://api.weixin.qq.com`) or at kefu, plus [`ControlClient`]
//! for kefu's `/_kefu/` control API.
//!
//! [`Client`] fetches and caches the access token, refreshes it before it
//! runs out, and retries a call once when the server says the token is
//! invalid, replaced or expired (40001, 40014, 42001). Errors are typed:
//! match on [`ClientError::Api`]'s `errcode`.

mod control;
mod conversation;
mod platform;
mod wechat;

pub use control::ControlClient;
pub use platform::ComponentClient;
pub use wechat::{Client, TokenMode};

use serde::de::DeserializeOwned;

/// What can go wrong talking to WeChat or kefu.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered a WeChat error.
    #[error("api error {errcode}: {errmsg}")]
    Api {
        /// The WeChat error code.
        errcode: i64,
        /// The errmsg, as sent (with its rid).
        errmsg: String,
    },
    /// The control API refused the call.
    #[error("control error {status} {error}: {message}")]
    Control {
        /// HTTP status.
        status: u16,
        /// Machine-readable code.
        error: String,
        /// Human-readable message.
        message: String,
    },
    /// The request did not complete.
    #[error("transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// The answer was not what the endpoint documents.
    #[error("unexpected response body: {0}")]
    Decode(String),
}

impl ClientError {
    /// The WeChat errcode, when the server sent one.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            ClientError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }
}

/// Decodes a WeChat answer: a non-zero `errcode` is an error, anything else
/// is the documented body.
pub(crate) fn decode_wx<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ClientError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| ClientError::Decode(e.to_string()))?;
    if let Some(code) = value.get("errcode").and_then(serde_json::Value::as_i64) {
        if code != 0 {
            let errmsg = value
                .get("errmsg")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_owned();
            return Err(ClientError::Api { errcode: code, errmsg });
        }
    }
    serde_json::from_value(value).map_err(|e| ClientError::Decode(e.to_string()))
}
