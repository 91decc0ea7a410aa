//! A typed async client for WeChat's customer-service API, for a WeChat back
//! end's own code and for its tests: pointed at real WeChat
//! (`https://api.weixin.qq.com`) it is a client like any SDK; pointed at kefu
//! it is the same client against a server you control, and
//! [`ControlClient`] then plays the human side through kefu's `/_kefu/`
//! control API (the invited WeChat user, the worker, the follower, the
//! clock).
//!
//! - [`Client`]: one app's calls. It fetches and caches the access token,
//!   refreshes it before it runs out, and retries a call once when the
//!   server says the token is invalid, replaced or expired (40001, 40014,
//!   42001).
//! - [`ComponentClient`]: a third-party platform; [`ComponentClient::act_for`]
//!   gives a [`Client`] that calls for a merchant with authorizer tokens.
//! - [`ControlClient`]: kefu only.
//! - [`api`]: the wire types (requests, answers, and the push envelope:
//!   signatures and AES for a developer's server, in [`api::callback`]).
//!
//! Errors are typed: match on [`ClientError::Api`]'s `errcode`. Secrets (app
//! and component secrets, tokens, tickets, the admin token) never show in
//! `Debug` output or in an error's URL: they read `<redacted>`.
//!
//! ```no_run
//! use kefu_client::{Client, ClientError, ControlClient};
//!
//! # async fn flow() -> Result<(), ClientError> {
//! let base = "http://127.0.0.1:8080"; // or "https://api.weixin.qq.com"
//! let wechat = Client::new(base, "wx0123456789abcdef", "the app secret");
//! wechat.add_kf_account("alice@kefu_demo", "Alice").await?;
//! wechat.invite_worker("alice@kefu_demo", "alice_wx").await?;
//!
//! // kefu only: the invited user accepts and logs in, a user follows.
//! let human = ControlClient::new(base, None);
//! human.answer_invitation("wx0123456789abcdef", "alice@kefu_demo", true).await?;
//! human.set_worker_online("wx0123456789abcdef", "alice@kefu_demo", true).await?;
//! let openid = human.follow("wx0123456789abcdef", None).await?.openid;
//!
//! match wechat.create_session("alice@kefu_demo", &openid).await {
//!     Ok(_) => {}
//!     Err(ClientError::Api { errcode: 65415, .. }) => println!("the worker is offline"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Runnable examples (against a running kefu): `examples/kf_flow.rs`,
//! `examples/third_party.rs`, and `examples/open_push.rs` (verifying and
//! opening a push, no server needed).

mod control;
mod conversation;
mod platform;
mod snapshot;
mod traffic;
mod wechat;

pub use control::ControlClient;
/// The wire types kefu and WeChat exchange (`kefu-api`), re-exported so that
/// a project needs only this crate.
pub use kefu_api as api;
pub use platform::ComponentClient;
pub use traffic::{JournalQuery, JournalStream};
pub use wechat::{Client, TokenMode};

use serde::de::DeserializeOwned;

/// What `Debug` shows in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Query parameters whose values are secrets, hidden in an error's URL.
const SECRET_PARAMS: [&str; 3] = ["secret", "access_token", "component_access_token"];

/// What can go wrong talking to WeChat or kefu.
///
/// ```
/// use kefu_client::ClientError;
/// let refused = ClientError::Api { errcode: 65414, errmsg: "client is talking with kf rid: …".into() };
/// assert_eq!(refused.errcode(), Some(65414));
/// ```
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
