//! The control API's traffic tools: the request journal (read, follow
//! live, clear), fault rules and the compatibility report.

use crate::{ClientError, ControlClient};
use kefu_api::traffic as t;
use reqwest::Method;

/// Which journal entries to read.
#[derive(Debug, Clone, Default)]
pub struct JournalQuery {
    /// Only requests of this app.
    pub appid: Option<String>,
    /// Only this path.
    pub path: Option<String>,
    /// Only answers with this errcode.
    pub errcode: Option<i64>,
    /// Only entries newer than this id.
    pub since_id: Option<u64>,
    /// At most this many (the server's default is 100, its most 1000).
    pub limit: Option<u32>,
}

impl JournalQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let mut add = |k, v: Option<String>| {
            if let Some(v) = v {
                q.push((k, v));
            }
        };
        add("appid", self.appid.clone());
        add("path", self.path.clone());
        add("errcode", self.errcode.map(|c| c.to_string()));
        add("since_id", self.since_id.map(|i| i.to_string()));
        add("limit", self.limit.map(|l| l.to_string()));
        q
    }
}

/// A live feed of journal entries (`GET /_kefu/journal/stream`).
pub struct JournalStream {
    res: reqwest::Response,
    buf: String,
}

impl JournalStream {
    /// The next entry; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<t::JournalEntry>, ClientError> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let event: String = self.buf.drain(..end + 2).collect();
                let data: String = event.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return serde_json::from_str(&data)
                    .map(Some)
                    .map_err(|e| ClientError::Decode(e.to_string()));
            }
            match self.res.chunk().await? {
                Some(bytes) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                None => return Ok(None),
            }
        }
    }
}

impl ControlClient {
    /// `GET /_kefu/journal`: newest first.
    pub async fn journal(&self, q: &JournalQuery) -> Result<Vec<t::JournalEntry>, ClientError> {
        self.send(self.request(Method::GET, "/journal").query(&q.pairs())).await
    }

    /// `GET /_kefu/journal/stream`: entries as requests complete (`since_id`
    /// and `limit` do not apply).
    pub async fn follow_journal(&self, q: &JournalQuery) -> Result<JournalStream, ClientError> {
        let res = self
            .request(Method::GET, "/journal/stream")
            .query(&q.pairs())
            .send()
            .await?;
        let status = res.status();
        if !status.is_success() {
            let body: kefu_api::control::ControlError = res.json().await?;
            return Err(ClientError::Control {
                status: status.as_u16(),
                error: body.error,
                message: body.message,
            });
        }
        Ok(JournalStream {
            res,
            buf: String::new(),
        })
    }

    /// `DELETE /_kefu/journal`.
    pub async fn clear_journal(&self) -> Result<(), ClientError> {
        self.call::<(), ()>(Method::DELETE, "/journal", None).await
    }

    /// `POST /_kefu/faults`.
    pub async fn add_fault(&self, rule: &t::FaultRule) -> Result<t::FaultState, ClientError> {
        self.call(Method::POST, "/faults", Some(rule)).await
    }

    /// `GET /_kefu/faults`.
    pub async fn faults(&self) -> Result<Vec<t::FaultState>, ClientError> {
        self.call::<(), _>(Method::GET, "/faults", None).await
    }

    /// `DELETE /_kefu/faults/{id}`, or every rule with `None`.
    pub async fn remove_faults(&self, id: Option<u64>) -> Result<(), ClientError> {
        let path = id.map_or_else(|| "/faults".to_owned(), |id| format!("/faults/{id}"));
        self.call::<(), ()>(Method::DELETE, &path, None).await
    }

    /// `GET /_kefu/compat`, for one app or all.
    pub async fn compat(&self, appid: Option<&str>) -> Result<Vec<t::CompatSummary>, ClientError> {
        let query: Vec<(&str, &str)> = appid.map(|a| ("appid", a)).into_iter().collect();
        self.send(self.request(Method::GET, "/compat").query(&query)).await
    }
}
