//! One push's tries.
//!
//! A try waits the server's push timeout (WeChat's 5 s unless configured)
//! for an answer; tries go on until an answer
//! arrives or [`TRIES`] were made. Every try is written to the delivery log
//! (and the outbox learns how many were made) before the next one starts,
//! so a restart goes on from the right try.

use super::record::{persist, Recorder};
use crate::metrics;
use crate::outbound::render::{self, format, Request, Target};
use crate::outbound::{answer, cut, send, Answer};
use crate::service::push_settings::LOG_PAGE;
use crate::service::replies::{self, Unapplied};
use crate::state::AppState;
use crate::traffic::faults::{self, Action, Applied};
use kefu_api::callback::AesKey;
use kefu_core::ids::AppId;
use kefu_core::push::{self, Delivery, Outcome, Pending, Push, TRIES};
use kefu_store::StoreError;
use std::sync::Arc;
use std::time::Instant;

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
    let request = Some((content_type, body.clone()));
    let (sent, fault) = try_send(state, http, (&url, request), &p.appid).await;
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
    metrics::push_try(outcome.as_str());
    let detail = match fault {
        Some(id) => format!("{detail} (fault rule {id})"),
        None => detail,
    };
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

/// Sends a try, unless a fault rule on `push` answers or drops it first
/// (or delays it); the rule's id when one acted.
async fn try_send(
    state: &AppState,
    http: &reqwest::Client,
    (url, request): (&str, Option<(&'static str, String)>),
    appid: &AppId,
) -> (Result<Answer, (Outcome, String)>, Option<u64>) {
    let fault = state.traffic.faults.decide(faults::PUSH, "POST", Some(appid.as_str()));
    let deadline = state.config.push_timeout;
    let Some(Applied { id, action }) = fault else {
        return (send(http, (reqwest::Method::POST, url), request, deadline).await, None);
    };
    let sent = match action {
        Action::Status(status, body) => Ok(Answer { status, body }),
        Action::Drop => Err((Outcome::Unreachable, "the connection was dropped".into())),
        Action::Delay(d) => {
            tokio::time::sleep(d).await;
            send(http, (reqwest::Method::POST, url), request, deadline).await
        }
        // Refused when the rule was added: a push is not answered with an errcode.
        Action::Error(_) => send(http, (reqwest::Method::POST, url), request, deadline).await,
    };
    (sent, Some(id))
}

/// Reads the answer and does what it asks.
async fn act(state: &AppState, target: &Target, p: &Push, body: &str) -> (Outcome, String) {
    let action = match answer::read(target, body) {
        Ok(action) => action,
        Err(unread) => return unread,
    };
    match replies::apply(state, p, action).await {
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
