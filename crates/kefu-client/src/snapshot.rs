//! The control client's whole-state calls: export and import the state as
//! one JSON document (kept as the server's exact text), and named snapshots.

use crate::control::ControlClient;
use crate::ClientError;
use kefu_api::control as c;
use kefu_api::snapshot as s;
use reqwest::{header, Method};

impl ControlClient {
    /// `GET /_kefu/export`: the whole state, the document's text as sent.
    pub async fn export(&self) -> Result<String, ClientError> {
        let res = self.request(Method::GET, "/export").send().await?;
        let status = res.status();
        let text = res.text().await?;
        if status.is_success() {
            return Ok(text);
        }
        let body: c::ControlError = serde_json::from_str(&text).unwrap_or(c::ControlError {
            error: "unknown".into(),
            message: text,
        });
        Err(ClientError::Control {
            status: status.as_u16(),
            error: body.error,
            message: body.message,
        })
    }

    /// `POST /_kefu/import`: replaces the whole state with `document`'s
    /// (JSON text), all or nothing.
    pub async fn import(&self, document: String) -> Result<s::Imported, ClientError> {
        let req = self.request(Method::POST, "/import");
        let req = req.header(header::CONTENT_TYPE, "application/json").body(document);
        self.send(req).await
    }

    /// `POST /_kefu/snapshots`: saves the whole state under `name`.
    pub async fn save_snapshot(&self, name: &str) -> Result<s::SnapshotInfo, ClientError> {
        let body = s::SaveSnapshot { name: name.into() };
        self.call(Method::POST, "/snapshots", Some(&body)).await
    }

    /// `POST /_kefu/snapshots/{name}/restore`: replaces the whole state with
    /// the snapshot's.
    pub async fn restore_snapshot(&self, name: &str) -> Result<s::Imported, ClientError> {
        let path = format!("/snapshots/{}/restore", segment(name));
        self.call::<(), _>(Method::POST, &path, None).await
    }

    /// `GET /_kefu/snapshots`.
    pub async fn snapshots(&self) -> Result<Vec<s::SnapshotInfo>, ClientError> {
        self.call::<(), _>(Method::GET, "/snapshots", None).await
    }

    /// `DELETE /_kefu/snapshots/{name}`.
    pub async fn delete_snapshot(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/snapshots/{}", segment(name));
        self.call::<(), ()>(Method::DELETE, &path, None).await
    }
}

/// A name as one path segment (valid names need no escaping; others are
/// escaped so that the server, not the URL, refuses them).
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
