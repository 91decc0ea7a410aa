//! One push's tries, and the URL verification handshake.
//!
//! A try waits [`TIMEOUT_SECS`] for an answer; tries go on until an answer
//! arrives or [`TRIES`] were made. Every try is written to the delivery log
//! (and the outbox learns how many were made) before the next one starts,
//! so a restart goes on from the right try.

use super::answer;
use super::record::Recorder;
use super::render::{self, format, Request, Target};
use crate::service::callbacks::{self, Unapplied, LOG_PAGE};
use crate::state::AppState;
use kefu_api::callback::{self as wire, AesKey};
use kefu_core::callback::CallbackConfig;
use kefu_core::ids::AppId;
use kefu_core::push::{self, Delivery, Outcome, Pending, Push, TIMEOUT_SECS, TRIES};
use kefu_core::Timestamp;
use kefu_store::StoreError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How much of an answer is read, and how much the log keeps.
const ANSWER_MAX: usize = 64 * 1024;
const LOGGED_MAX: usize = 4096;
/// How long to wait before asking a failing store again.
const STORE_RETRY: Duration = Duration::from_millis(500);

fn timeout() -> Duration {
    Duration::from_secs(TIMEOUT_SECS)
}

/// An answer that arrived: status and (the start of) its body.
struct Answer {
    status: u16,
    body: String,
}

/// Sends one request and waits at most [`TIMEOUT_SECS`] for the whole answer.
async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<(&'static str, String)>,
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
    match tokio::time::timeout(timeout(), exchange).await {
        Err(_) => Err((Outcome::Timeout, format!("no answer within {TIMEOUT_SECS} s"))),
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
pub(crate) async fn verify_url(cfg: &CallbackConfig, now: Timestamp) -> Result<(), String> {
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
    let answer = send(&http, reqwest::Method::GET, &url, None)
        .await
        .map_err(|(_, why)| format!("the URL did not answer the verification: {why}"))?;
    if answer.status != 200 {
        return Err(format!("the verification was answered with HTTP {}", answer.status));
    }
    if answer.body != echostr {
        return Err(format!(
            "the verification was answered with {:?}, not the echostr {echostr:?}",
            cut(&answer.body)
        ));
    }
    Ok(())
}

fn cut(s: &str) -> String {
    let mut end = s.len().min(LOGGED_MAX);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The settings a push goes out with, read through the short-lived cache.
pub(super) async fn target(state: &AppState, appid: &AppId) -> Result<Option<Arc<Target>>, StoreError> {
    if let Some(t) = state.pushes.cached(appid) {
        return Ok(t);
    }
    let id = appid.clone();
    let loaded = state
        .store
        .read(move |tx| {
            let Some(config) = tx.callback(&id)? else {
                return Ok::<_, StoreError>(None);
            };
            // An app is addressed by its original id, a platform by its appid.
            let to_user = match tx.app(&id)? {
                Some(app) => app.original_id,
                None => id.to_string(),
            };
            Ok(Some((config, to_user)))
        })
        .await?;
    let target = loaded.map(|(config, to_user)| {
        let key = config.encoding_aes_key.as_deref().and_then(|k| AesKey::parse(k).ok());
        Arc::new(Target { config, to_user, key })
    });
    state.pushes.remember(appid, target.clone());
    Ok(target)
}

/// Runs a store call until it succeeds (the store is down: nothing else
/// works either, and the push must not be lost).
pub(super) async fn persist<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) => {
                tracing::warn!(error = %e, "push delivery: cannot {what}; trying again");
                tokio::time::sleep(STORE_RETRY).await;
            }
        }
    }
}

/// Makes the remaining tries of a claimed push; returns when it has left
/// the outbox.
pub(super) async fn deliver(state: &AppState, http: &reqwest::Client, log: &Recorder, pending: Pending) {
    let p = &pending.push;
    let Some(target) = persist("read the push settings", || target(state, &p.appid)).await else {
        let id = p.id;
        persist("drop the push", || state.store.write(move |tx| tx.drop_push(id))).await;
        return;
    };
    for attempt in pending.attempts + 1..=TRIES.max(pending.attempts + 1) {
        let d = attempt_once(state, http, &target, p, attempt).await;
        let last = d.last;
        log.record(d).await;
        if last {
            break;
        }
    }
}

/// One try: send, read the answer, act on it.
async fn attempt_once(state: &AppState, http: &reqwest::Client, target: &Target, p: &Push, attempt: u32) -> Delivery {
    state.pushes.pace().await;
    let Request { url, body } = render::request(target, p);
    let (at, started) = (state.now(), Instant::now());
    let content_type = format(&target.config).content_type();
    let sent = send(http, reqwest::Method::POST, &url, Some((content_type, body.clone()))).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let (status, response) = match &sent {
        Ok(a) => (Some(a.status), cut(&a.body)),
        Err(_) => (None, String::new()),
    };
    let (outcome, detail) = match sent {
        Err(failed) => failed,
        Ok(a) if !(200..300).contains(&a.status) => (Outcome::HttpStatus, format!("HTTP {}", a.status)),
        Ok(a) => act(state, target, p, &a.body).await,
    };
    let last = push::is_final(attempt, outcome);
    let detail = if last && outcome.retries() {
        format!("{detail}; gave up after {attempt} tries")
    } else {
        detail
    };
    Delivery {
        id: 0,
        push_id: p.id,
        appid: p.appid.clone(),
        openid: p.openid.clone(),
        event: p.event.name().into(),
        attempt,
        at,
        url,
        request: body,
        status,
        response,
        latency_ms,
        outcome,
        detail,
        last,
    }
}

/// Reads the answer and does what it asks.
async fn act(state: &AppState, target: &Target, p: &Push, body: &str) -> (Outcome, String) {
    let action = match answer::read(target, body) {
        Ok(action) => action,
        Err(unread) => return unread,
    };
    match callbacks::apply(state, p, action).await {
        Ok(done) => (Outcome::Ok, done),
        Err(Unapplied::Refused(why)) => (Outcome::Refused, why),
        Err(Unapplied::Store(e)) => {
            tracing::warn!(error = %e, "push delivery: cannot act on the answer");
            (Outcome::Refused, "the store failed while acting on the answer".into())
        }
    }
}

/// The app's log keeps its newest entries only.
pub(super) async fn prune(state: &AppState, appid: AppId) {
    let result = state.store.write(move |tx| tx.prune_deliveries(&appid, LOG_PAGE)).await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "push delivery: cannot prune the delivery log");
    }
}
