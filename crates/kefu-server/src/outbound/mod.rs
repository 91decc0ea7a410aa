//! Every call kefu makes to a developer's server: the HTTP exchange with
//! its deadline, the request a push becomes (`render`), reading the answer
//! (`answer`), and WeChat's URL verification handshake. It knows nothing of
//! the store or the outbox: `push` and `service::push_settings` call it.

pub(crate) mod answer;
pub(crate) mod render;

use kefu_api::callback::{self as wire, AesKey};
use kefu_core::callback::CallbackConfig;
use kefu_core::push::Outcome;
use kefu_core::Timestamp;
use std::time::Duration;

/// How much of an answer is read, and how much the log keeps.
pub(crate) const ANSWER_MAX: usize = 64 * 1024;
const LOGGED_MAX: usize = 4096;
/// An answer that arrived: status and (the start of) its body.
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, at most [`ANSWER_MAX`] bytes of it.
    pub body: String,
}

/// Sends one request and waits at most `deadline` for the whole answer.
pub(crate) async fn send(
    http: &reqwest::Client,
    (method, url): (reqwest::Method, &str),
    body: Option<(&'static str, String)>,
    deadline: Duration,
) -> Result<Answer, (Outcome, String)> {
    let exchange = async {
        let mut req = http.request(method, url);
        if let Some((content_type, body)) = body {
            req = req.header(reqwest::header::CONTENT_TYPE, content_type).body(body);
        }
        let mut resp = req.send().await?;
        let status = resp.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() >= ANSWER_MAX {
                bytes.truncate(ANSWER_MAX);
                break;
            }
        }
        Ok::<_, reqwest::Error>(Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    };
    match tokio::time::timeout(deadline, exchange).await {
        Err(_) => Err((Outcome::Timeout, format!("no answer within {}", seconds(deadline)))),
        Ok(Err(e)) => Err((Outcome::Unreachable, describe(&e))),
        Ok(Ok(answer)) => Ok(answer),
    }
}

/// A reqwest error in words, with its causes (the URL is logged apart).
fn describe(e: &reqwest::Error) -> String {
    let mut text = String::from(if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "the exchange failed"
    });
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// WeChat's handshake: a GET with `signature`, `timestamp`, `nonce` and
/// `echostr`, which the developer's server must echo verbatim.
pub(crate) async fn verify_url(cfg: &CallbackConfig, now: Timestamp, deadline: Duration) -> Result<(), String> {
    if let Some(k) = &cfg.encoding_aes_key {
        AesKey::parse(k).map_err(|e| e.to_string())?;
    }
    let (timestamp, nonce) = (now.0.to_string(), rand::random::<u32>().to_string());
    let echostr = rand::random::<u64>().to_string();
    let url = render::with_query(
        &cfg.url,
        &[
            ("signature", &wire::signature(&cfg.token, &timestamp, &nonce)),
            ("timestamp", &timestamp),
            ("nonce", &nonce),
            ("echostr", &echostr),
        ],
    );
    let http = reqwest::Client::new();
    let answer = send(&http, (reqwest::Method::GET, &url), None, deadline)
        .await
        .map_err(|(_, why)| format!("the URL did not answer the verification: {why}"))?;
    if answer.status != 200 {
        return Err(format!("the verification was answered with HTTP {}", answer.status));
    }
    if answer.body != echostr {
        // The answer's body is not quoted: the URL may be an internal
        // service, and this message goes back to whoever asked.
        return Err(
            "the verification was answered, but not with the echostr alone (check the Token and that the answer's body is the echostr, nothing else)"
                .into(),
        );
    }
    Ok(())
}

/// The start of `s` that the delivery log keeps.
pub(crate) fn cut(s: &str) -> String {
    let mut end = s.len().min(LOGGED_MAX);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A deadline in words: `5 s`, or `250 ms` below a second.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}
