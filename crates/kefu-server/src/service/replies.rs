//! What the developer's answer to a push does to the conversation: a
//! `transfer_customer_service` reply puts the follower in the waiting
//! queue, a passive reply is kept as a message to the follower.

use super::sessions::current_session;
use crate::state::AppState;
use kefu_core::human::HumanError;
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::message::{Message, Opercode};
use kefu_core::push::{Push, ReplyAction};
use kefu_core::{outgoing, queue, Timestamp};
use kefu_store::{StoreError, Tx};

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
