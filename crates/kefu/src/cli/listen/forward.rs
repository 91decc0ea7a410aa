//! `--forward URL`: passing each verified push on to the developer's own
//! server with the same query string and body bytes (so kefu's signatures
//! still verify there), and bringing back that server's answer.

use std::time::Duration;

/// How long the developer's server has to answer: under kefu's 5 s push
/// timeout, so a failed forward can still be answered in time.
pub(super) const DEADLINE: Duration = Duration::from_secs(4);

/// At most this much of the forward target's answer is relayed.
const ANSWER_MAX: usize = 64 * 1024;

/// The forward target's answer.
#[derive(Debug)]
pub(super) struct Relayed {
    /// Its HTTP status.
    pub status: u16,
    /// Its `Content-Type`, when it sent one.
    pub content_type: Option<String>,
    /// Its body (at most 64 KiB).
    pub body: Vec<u8>,
}

/// The target URL with the push's query string.
fn target(url: &str, query: &str) -> String {
    match (query.is_empty(), url.contains('?')) {
        (true, _) => url.to_owned(),
        (false, true) => format!("{url}&{query}"),
        (false, false) => format!("{url}?{query}"),
    }
}

/// POSTs the push to `url` and reads the answer, or says why it could not.
pub(super) async fn forward(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Relayed, String> {
    let exchange = async {
        let mut req = http.post(target(url, query)).body(body);
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        let mut resp = req.send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() >= ANSWER_MAX {
                body.truncate(ANSWER_MAX);
                break;
            }
        }
        Ok::<_, reqwest::Error>(Relayed {
            status,
            content_type,
            body,
        })
    };
    match tokio::time::timeout(DEADLINE, exchange).await {
        Err(_) => Err(format!("{url} did not answer within {} s", DEADLINE.as_secs())),
        Ok(Err(e)) => Err(describe(&e)),
        Ok(Ok(relayed)) => Ok(relayed),
    }
}

/// A reqwest error with its causes.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn the_query_is_appended_as_it_came() {
        assert_eq!(target("http://h/wx", "a=1&b=%2B"), "http://h/wx?a=1&b=%2B");
        assert_eq!(target("http://h/wx?k=v", "a=1"), "http://h/wx?k=v&a=1");
        assert_eq!(target("http://h/wx", ""), "http://h/wx");
    }
}
