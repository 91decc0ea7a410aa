//! The control API's side of pushes: an app's push settings and its
//! delivery log (`/_kefu/apps/{appid}/callback`, `.../deliveries`).

use serde::{Deserialize, Serialize};

/// `PUT /_kefu/apps/{appid}/callback` body, and what `GET` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackSettings {
    /// The developer's server (`http://` or `https://`).
    pub url: String,
    /// The Token both sides sign with (3-32 letters or digits).
    pub token: String,
    /// The EncodingAESKey (43 letters or digits); needed unless plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_aes_key: Option<String>,
    /// `plaintext` (default), `compatible` or `safe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `xml` (default) or `json` (Mini Programs and MiniGames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `GET /_kefu/apps/{appid}/callback`: the settings and the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackState {
    /// The saved settings (`mode` and `format` always present).
    pub settings: CallbackSettings,
    /// When they were saved (virtual clock).
    pub updated_at: i64,
    /// Pushes not yet delivered.
    pub pending: u64,
}

/// One try in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryState {
    /// The entry's id (newer entries have larger ids).
    pub id: i64,
    /// The push tried; every try of one push shares it.
    pub push_id: i64,
    /// The follower concerned.
    pub openid: String,
    /// `text`, `image`, `voice`, `video`, or the event's name.
    pub event: String,
    /// 1, 2 or 3.
    pub attempt: u32,
    /// When the try was made (virtual clock).
    pub at: i64,
    /// The URL called, query included.
    pub url: String,
    /// The body sent.
    pub request: String,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The answer's body (at most 4 KiB).
    pub response: String,
    /// Milliseconds until the answer, or until giving up.
    pub latency_ms: u64,
    /// `ok`, `timeout`, `unreachable`, `http_status`, `bad_reply`,
    /// `bad_signature` or `refused`.
    pub outcome: String,
    /// What was done with the answer, or why the try failed.
    pub detail: String,
    /// Whether this was the push's last try.
    pub last: bool,
    /// In compatible and safe mode, `request`'s `Encrypt` opened with the
    /// push settings' current key; none when there is none or it does not open.
    #[serde(default)]
    pub request_plain: Option<String>,
    /// The same for an encrypted answer.
    #[serde(default)]
    pub response_plain: Option<String>,
}
