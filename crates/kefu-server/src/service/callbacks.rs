//! Pushes to the developer's server, from the service side: the settings
//! (saved only after the URL passes WeChat's handshake), the delivery log,
//! [`push`] for every change that WeChat would push, and what the
//! developer's answer does to the conversation.
//!
//! [`push`] runs inside the transaction of the change it reports, so the
//! outbox holds a push exactly when the change was committed.

use super::sessions::current_session;
use crate::error::ControlError;
use crate::state::AppState;
use kefu_api::control_push as c;
use kefu_core::app::AccountType;
use kefu_core::callback::{self, CallbackConfig, Format, Mode};
use kefu_core::human::HumanError;
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::message::{Message, Opercode};
use kefu_core::push::{Delivery, Push, PushEvent, PushId, ReplyAction};
use kefu_core::{outgoing, queue, Timestamp};
use kefu_store::{StoreError, Tx};

type CResult<T> = Result<T, ControlError>;

/// Most log entries one read returns, and how many an app keeps.
pub(crate) const LOG_PAGE: u32 = 1000;

/// Queues `event` for the app's developer server, when the app has one.
pub(crate) fn push(
    tx: &mut dyn Tx,
    appid: &AppId,
    openid: &OpenId,
    at: Timestamp,
    event: PushEvent,
) -> Result<(), StoreError> {
    if tx.callback(appid)?.is_none() {
        return Ok(());
    }
    tx.enqueue_push(&Push {
        id: PushId(0),
        appid: appid.clone(),
        openid: openid.clone(),
        created_at: at,
        nonce: rand::random(),
        event,
    })?;
    Ok(())
}

/// Who pushes are for: an app (of a kind), or a third-party platform.
#[derive(Debug, Clone, Copy)]
enum Owner {
    App(AccountType),
    Component,
}

/// The app or component named; 404 when it is neither.
fn owner(tx: &mut dyn Tx, appid: &AppId) -> CResult<Owner> {
    if let Some(app) = tx.app(appid)? {
        return Ok(Owner::App(app.account_type));
    }
    match tx.component(appid)? {
        Some(_) => Ok(Owner::Component),
        None => Err(ControlError::NotFound("app")),
    }
}

fn settings(req: c::CallbackSettings, appid: AppId, owner: Owner, now: Timestamp) -> CResult<CallbackConfig> {
    let mode = match (req.mode.as_deref(), owner) {
        // WeChat encrypts every push to a third-party platform.
        (None | Some("safe"), Owner::Component) => "safe",
        (Some(_), Owner::Component) => {
            return Err(ControlError::BadRequest(
                "a third-party platform's pushes are always encrypted (mode safe)".into(),
            ))
        }
        (m, Owner::App(_)) => m.unwrap_or("plaintext"),
    };
    let format = req.format.as_deref().unwrap_or("xml");
    Ok(CallbackConfig {
        appid,
        url: req.url,
        token: req.token,
        encoding_aes_key: req.encoding_aes_key.filter(|k| !k.is_empty()),
        mode: Mode::parse(mode).ok_or_else(|| ControlError::BadRequest(format!("unknown mode {mode:?}")))?,
        format: Format::parse(format).ok_or_else(|| ControlError::BadRequest(format!("unknown format {format:?}")))?,
        updated_at: now,
    })
}

fn callback_state(cfg: &CallbackConfig, pending: u64) -> c::CallbackState {
    c::CallbackState {
        settings: c::CallbackSettings {
            url: cfg.url.clone(),
            token: cfg.token.clone(),
            encoding_aes_key: cfg.encoding_aes_key.clone(),
            mode: Some(cfg.mode.as_str().into()),
            format: Some(cfg.format.as_str().into()),
        },
        updated_at: cfg.updated_at.0,
        pending,
    }
}

/// `PUT /_kefu/apps/{appid}/callback` (and `/_kefu/components/{id}/callback`):
/// checks the settings, runs the verification handshake against the URL,
/// and saves them only if the developer's server echoed `echostr`.
pub(crate) async fn configure(state: &AppState, appid: String, req: c::CallbackSettings) -> CResult<c::CallbackState> {
    let (appid, now) = (AppId::new(appid), state.now());
    let id = appid.clone();
    let who = state.store.read(move |tx| owner(tx, &id)).await?;
    let cfg = settings(req, appid, who, now)?;
    let kind = match who {
        Owner::App(t) => Some(t),
        Owner::Component => None,
    };
    callback::check(&cfg, kind).map_err(|e| ControlError::BadRequest(e.to_string()))?;
    crate::push::verify_url(&cfg, now)
        .await
        .map_err(|why| ControlError::Refused("verification_failed", why))?;
    let saved = cfg.clone();
    let pending = state
        .store
        .write(move |tx| {
            owner(tx, &saved.appid)?;
            tx.put_callback(&saved)?;
            Ok::<_, ControlError>(tx.pending_pushes(&saved.appid)?)
        })
        .await?;
    state.pushes.forget(&cfg.appid);
    Ok(callback_state(&cfg, pending))
}

/// `GET /_kefu/apps/{appid}/callback`.
pub(crate) async fn show(state: &AppState, appid: String) -> CResult<c::CallbackState> {
    let appid = AppId::new(appid);
    state
        .store
        .read(move |tx| {
            owner(tx, &appid)?;
            let cfg = tx.callback(&appid)?.ok_or(ControlError::NotFound("callback"))?;
            Ok(callback_state(&cfg, tx.pending_pushes(&appid)?))
        })
        .await
}

/// `DELETE /_kefu/apps/{appid}/callback`: no more pushes; undelivered ones
/// are dropped.
pub(crate) async fn remove(state: &AppState, appid: String) -> CResult<()> {
    let appid = AppId::new(appid);
    let forget = appid.clone();
    state
        .store
        .write(move |tx| {
            owner(tx, &appid)?;
            tx.callback(&appid)?.ok_or(ControlError::NotFound("callback"))?;
            Ok::<_, ControlError>(tx.delete_callback(&appid)?)
        })
        .await?;
    state.pushes.forget(&forget);
    Ok(())
}

/// `GET /_kefu/apps/{appid}/deliveries?before=&limit=`: newest first.
pub(crate) async fn deliveries(
    state: &AppState,
    appid: String,
    before: Option<i64>,
    limit: Option<u32>,
) -> CResult<Vec<c::DeliveryState>> {
    let appid = AppId::new(appid);
    let limit = limit.unwrap_or(100).clamp(1, LOG_PAGE);
    state
        .store
        .read(move |tx| {
            owner(tx, &appid)?;
            Ok(tx
                .deliveries(&appid, before, limit)?
                .iter()
                .map(delivery_state)
                .collect())
        })
        .await
}

fn delivery_state(d: &Delivery) -> c::DeliveryState {
    c::DeliveryState {
        id: d.id,
        push_id: d.push_id.0,
        openid: d.openid.to_string(),
        event: d.event.clone(),
        attempt: d.attempt,
        at: d.at.0,
        url: d.url.clone(),
        request: d.request.clone(),
        status: d.status,
        response: d.response.clone(),
        latency_ms: d.latency_ms,
        outcome: d.outcome.as_str().into(),
        detail: d.detail.clone(),
        last: d.last,
    }
}

/// Why an answer could not be acted on.
#[derive(Debug)]
pub(crate) enum Unapplied {
    /// The conversation does not allow it; the sentence goes to the log.
    Refused(String),
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for Unapplied {
    fn from(e: StoreError) -> Self {
        Unapplied::Store(e)
    }
}

impl From<HumanError> for Unapplied {
    fn from(e: HumanError) -> Self {
        Unapplied::Refused(e.to_string())
    }
}

/// Does what the developer's answer to `p` asks, and says what was done.
pub(crate) async fn apply(state: &AppState, p: &Push, action: ReplyAction) -> Result<String, Unapplied> {
    let (appid, openid, now) = (p.appid.clone(), p.openid.clone(), state.now());
    match action {
        ReplyAction::Nothing => Ok("nothing to do".into()),
        ReplyAction::Transfer { .. } if !p.event.is_message() => Err(Unapplied::Refused(
            "transfer_customer_service answers follower messages only".into(),
        )),
        ReplyAction::Transfer { kf } => {
            let done = match &kf {
                Some(k) => format!("the follower waits for {k}"),
                None => "the follower waits for customer service".into(),
            };
            state
                .store
                .write(move |tx| transfer(tx, &appid, &openid, kf.as_deref(), now))
                .await?;
            Ok(done)
        }
        ReplyAction::Text { content } => {
            let detail = serde_json::json!({ "content": content }).to_string();
            let text = outgoing::record_text("text", &content);
            let msgid = state
                .store
                .write(move |tx| record_reply(tx, &appid, &openid, ("text", text.clone(), detail.clone()), now))
                .await?;
            Ok(format!("passive text reply kept as message {}", msgid.0))
        }
        ReplyAction::Other { msgtype } => {
            let text = outgoing::record_text(&msgtype, "");
            let kept = msgtype.clone();
            let msgid = state
                .store
                .write(move |tx| record_reply(tx, &appid, &openid, (&kept, text.clone(), "{}".into()), now))
                .await?;
            Ok(format!("passive {msgtype} reply kept as message {}", msgid.0))
        }
    }
}

/// The follower joins the waiting queue (for a named account, if given).
fn transfer(
    tx: &mut dyn Tx,
    appid: &AppId,
    openid: &OpenId,
    kf: Option<&str>,
    now: Timestamp,
) -> Result<(), Unapplied> {
    let fan = tx.fan(appid, openid)?.ok_or(HumanError::NotFollowing)?;
    let named = match kf {
        Some(k) => {
            let rec = tx.kf(appid, &KfAccount::new(k))?;
            Some(
                rec.ok_or_else(|| Unapplied::Refused(format!("{k} is not a kf account of this app")))?
                    .account,
            )
        }
        None => None,
    };
    let session = current_session(tx, appid, openid, now)?;
    let existing = tx.waitcase(appid, openid)?;
    let w = queue::enqueue(&fan, session.as_ref(), existing, named, now)?;
    Ok(tx.put_waitcase(&w)?)
}

/// Keeps a passive reply as a message to the follower (no worker).
fn record_reply(
    tx: &mut dyn Tx,
    appid: &AppId,
    openid: &OpenId,
    (msgtype, text, detail): (&str, String, String),
    now: Timestamp,
) -> Result<MsgId, Unapplied> {
    let fan = tx.fan(appid, openid)?.ok_or(HumanError::NotFollowing)?;
    if !fan.subscribed {
        return Err(HumanError::NotFollowing.into());
    }
    Ok(tx.insert_message(&Message {
        msgid: MsgId(0),
        appid: appid.clone(),
        openid: openid.clone(),
        worker: None,
        opercode: Opercode::Sent,
        msgtype: msgtype.into(),
        text,
        detail,
        time: now,
    })?)
}
