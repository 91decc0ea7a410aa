//! A typed async client for WeChat's customer-service API, pointed at real
//! WeChat (`https://api.weixin.qq.com`) or at kefu, plus [`ControlClient`]
//! for kefu's `/_kefu/` control API.
//!
//! [`Client`] fetches and caches the access token, refreshes it before it
//! runs out, and retries a call once when the server says the token is
//! invalid, replaced or expired (40001, 40014, 42001). Errors are typed:
//! match on [`ClientError::Api`]'s `errcode`.
//!
//! Secrets (app and component secrets, tokens, tickets, the admin token)
//! never show in `Debug` output or in an error's URL: they read `<redacted>`.

mod control;
mod conversation;
mod platform;
mod traffic;
mod wechat;

pub use control::ControlClient;
pub use platform::ComponentClient;
pub use traffic::{JournalQuery, JournalStream};
pub use wechat::{Client, TokenMode};

use serde::de::DeserializeOwned;

/// What `Debug` shows in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Query parameters whose values are secrets, hidden in an error's URL.
const SECRET_PARAMS: [&str; 3] = ["secret", "access_token", "component_access_token"];

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
    /// The request did not complete (secrets in its URL are hidden).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
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

impl From<reqwest::Error> for ClientError {
    fn from(mut error: reqwest::Error) -> Self {
        if let Some(url) = error.url_mut() {
            hide_secret_params(url);
        }
        ClientError::Transport(error)
    }
}

/// Replaces the value of every secret query parameter with `redacted`.
fn hide_secret_params(url: &mut reqwest::Url) {
    if !url.query_pairs().any(|(key, _)| SECRET_PARAMS.contains(&key.as_ref())) {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let hidden = SECRET_PARAMS.contains(&key.as_ref());
            let value = if hidden {
                "redacted".to_owned()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transport_error_hides_secrets_in_its_url() {
        // Nothing listens on port 1 of the loopback.
        let client = Client::new("http://127.0.0.1:1", "wx123", "s3cr3t-app-secret");
        let err = client.fetch_token().await.expect_err("nothing listens");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("s3cr3t-app-secret"), "{shown}");
            assert!(
                shown.contains("127.0.0.1:1") && shown.contains("secret=redacted"),
                "{shown}"
            );
        }
    }

    #[test]
    fn only_secret_parameters_are_hidden() {
        let mut url = reqwest::Url::parse("http://h/p?appid=wx1&secret=s&access_token=t&kf_account=a%40b").unwrap();
        hide_secret_params(&mut url);
        assert_eq!(
            url.query(),
            Some("appid=wx1&secret=redacted&access_token=redacted&kf_account=a%40b")
        );
        let mut plain = reqwest::Url::parse("http://h/p?appid=wx1&x=%20").unwrap();
        hide_secret_params(&mut plain);
        assert_eq!(plain.query(), Some("appid=wx1&x=%20"));
    }
}
