//! The follower's side of the control API: follow, unfollow, scan, click,
//! write, wait for customer service, and read back what reached them. Each
//! action opens or resets the send window `kefu-core` says it does.

use super::apps::{fan_state, load_app, wait_state};
use super::outbox::push;
use super::sessions::{current_session, end};
use crate::error::ControlError;
use crate::gen;
use crate::state::AppState;
use kefu_api::control as c;
use kefu_core::human::HumanError;
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::message::{FollowerMsgType, Message, Opercode};
use kefu_core::push::{self as pushes, PushEvent};
use kefu_core::session::Fan;
use kefu_core::window::Trigger;
use kefu_core::{outgoing, queue, Timestamp};
use kefu_store::Tx;

type CResult<T> = Result<T, ControlError>;

/// Most messages one control read returns.
const MESSAGE_PAGE: u32 = 1000;

fn load_fan(tx: &mut dyn Tx, appid: &AppId, openid: &OpenId) -> CResult<Fan> {
    tx.fan(appid, openid)?.ok_or(ControlError::NotFound("follower"))
}

fn following(tx: &mut dyn Tx, appid: &AppId, openid: &OpenId) -> CResult<Fan> {
    let fan = load_fan(tx, appid, openid)?;
    if !fan.subscribed {
        return Err(HumanError::NotFollowing.into());
    }
    Ok(fan)
}

/// The user follows now: a follower again if they were one, with the
/// 3-message window a follow opens.
fn subscribe(existing: Option<Fan>, appid: &AppId, openid: &OpenId, now: Timestamp) -> Fan {
    let mut fan = existing.unwrap_or_else(|| Fan::following(appid.clone(), openid.clone(), now));
    fan.subscribed = true;
    fan.ever_followed = true;
    fan.followed_at = now;
    fan.contact.open(Trigger::Event, now);
    fan
}

/// `POST /_kefu/apps/{appid}/fans`: the user follows now, or with
/// `subscribed: false` becomes a visitor the app knows but who never followed.
pub(crate) async fn follow(state: &AppState, appid: String, req: c::Follow) -> CResult<c::Followed> {
    writable("openid", req.openid.as_deref().unwrap_or(""))?;
    let openid = OpenId::new(req.openid.filter(|o| !o.is_empty()).unwrap_or_else(gen::openid));
    let (appid, now) = (AppId::new(appid), state.now());
    let followed = state
        .store
        .write(move |tx| {
            load_app(tx, &appid)?;
            let existing = tx.fan(&appid, &openid)?;
            let fan = if req.subscribed == Some(false) {
                if existing.is_some() {
                    return Err(ControlError::Conflict("fan_exists", "the user is known already".into()));
                }
                Fan {
                    subscribed: false,
                    ever_followed: false,
                    ..Fan::following(appid.clone(), openid.clone(), now)
                }
            } else {
                push(tx, &appid, &openid, now, PushEvent::Subscribe)?;
                subscribe(existing, &appid, &openid, now)
            };
            tx.put_fan(&fan)?;
            Ok(c::Followed {
                openid: openid.to_string(),
            })
        })
        .await;
    state.pushes.wake();
    followed
}

/// `POST /_kefu/apps/{appid}/fans/{openid}/events`: `subscribe`,
/// `unsubscribe` (ends the session, the wait and every window), `SCAN`, `CLICK`.
pub(crate) async fn event(
    state: &AppState,
    appid: String,
    openid: String,
    req: c::FollowerEvent,
) -> CResult<c::FanState> {
    let (appid, openid, now) = (AppId::new(appid), OpenId::new(openid), state.now());
    let event = req.event.to_ascii_lowercase();
    let key = req.event_key.unwrap_or_default();
    writable("event_key", &key)?;
    let pushed = match event.as_str() {
        "subscribe" => PushEvent::Subscribe,
        "unsubscribe" => PushEvent::Unsubscribe,
        "scan" => PushEvent::Scan { key },
        "click" => PushEvent::Click { key },
        _ => return Err(ControlError::BadRequest(format!("unknown event {:?}", req.event))),
    };
    let fan = state
        .store
        .write(move |tx| {
            load_app(tx, &appid)?;
            let fan = match &pushed {
                PushEvent::Subscribe => {
                    let existing = tx.fan(&appid, &openid)?;
                    subscribe(existing, &appid, &openid, now)
                }
                PushEvent::Unsubscribe => unsubscribe(tx, &appid, &openid, now)?,
                _ => {
                    let mut fan = following(tx, &appid, &openid)?;
                    fan.contact.open(Trigger::Event, now);
                    fan
                }
            };
            tx.put_fan(&fan)?;
            push(tx, &appid, &openid, now, pushed.clone())?;
            if let PushEvent::Unsubscribe = pushed {
                // The session ends after the unfollow is reported.
                if let Some(s) = current_session(tx, &appid, &openid, now)? {
                    end(tx, &s, now)?;
                }
            }
            Ok(fan_state(&fan))
        })
        .await;
    state.pushes.wake();
    fan
}

/// The follower leaves: their wait and every window end (the session is
/// ended by the caller, after the unfollow is pushed).
fn unsubscribe(tx: &mut dyn Tx, appid: &AppId, openid: &OpenId, now: Timestamp) -> CResult<Fan> {
    let mut fan = following(tx, appid, openid)?;
    // An idle session closes (and is reported) before the unfollow.
    current_session(tx, appid, openid, now)?;
    fan.subscribed = false;
    fan.contact.close();
    tx.delete_waitcase(appid, openid)?;
    Ok(fan)
}

/// A follower's message: its type, its detail, its record text, and what a
/// push carries (the text, or the media id).
type Written = (FollowerMsgType, serde_json::Value, String, String);

/// 400 naming `field` when `text` holds a character no WeChat message can
/// carry (a push of it would not be well-formed XML).
pub(crate) fn writable(field: &str, text: &str) -> CResult<()> {
    match kefu_api::callback::wire::unwritable_char(text) {
        None => Ok(()),
        Some(c) => Err(ControlError::BadRequest(format!(
            "{field}: U+{:04X} is a control character no WeChat message can carry",
            c as u32
        ))),
    }
}

fn follower_message(req: &c::FollowerMessage) -> CResult<Written> {
    for (field, text) in [("content", &req.content), ("media_id", &req.media_id)] {
        writable(field, text.as_deref().unwrap_or(""))?;
    }
    let t = FollowerMsgType::parse(&req.msgtype)
        .ok_or_else(|| ControlError::BadRequest("msgtype is text, image, voice or video".into()))?;
    if t == FollowerMsgType::Text {
        let content = req.content.clone().filter(|c| !c.is_empty());
        let content = content.ok_or_else(|| ControlError::BadRequest("a text message needs content".into()))?;
        let text = outgoing::record_text("text", &content);
        return Ok((t, serde_json::json!({ "content": content }), text, content));
    }
    let media_id = req
        .media_id
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(gen::media_id);
    Ok((
        t,
        serde_json::json!({ "media_id": media_id }),
        outgoing::record_text(t.as_str(), ""),
        media_id,
    ))
}

/// `POST /_kefu/apps/{appid}/fans/{openid}/messages`: the follower writes.
/// It opens the 48-hour window; inside a session it reaches the kf (a 2003
/// record) and is not pushed; otherwise it is pushed to the developer, and
/// while waiting it updates `latest_time`.
pub(crate) async fn write(
    state: &AppState,
    appid: String,
    openid: String,
    req: c::FollowerMessage,
) -> CResult<c::Sent> {
    let (msgtype, detail, text, content) = follower_message(&req)?;
    let (appid, openid, now) = (AppId::new(appid), OpenId::new(openid), state.now());
    let sent = state
        .store
        .write(move |tx| {
            load_app(tx, &appid)?;
            let mut fan = following(tx, &appid, &openid)?;
            fan.contact.open(Trigger::Message, now);
            tx.put_fan(&fan)?;
            let session = current_session(tx, &appid, &openid, now)?;
            let pushed = pushes::pushes_message(session.is_some());
            if let Some(mut s) = session.clone() {
                s.last_msg_at = now;
                tx.put_session(&s)?;
            } else if let Some(mut w) = tx.waitcase(&appid, &openid)? {
                w.latest_time = now;
                tx.put_waitcase(&w)?;
            }
            let msgid = tx.insert_message(&Message {
                msgid: MsgId(0),
                appid: appid.clone(),
                openid: openid.clone(),
                worker: session.map(|s| s.kf_account),
                opercode: Opercode::Received,
                msgtype: msgtype.as_str().into(),
                text: text.clone(),
                detail: detail.to_string(),
                time: now,
            })?;
            if pushed {
                let event = PushEvent::Message {
                    msgid,
                    msgtype,
                    content: content.clone(),
                };
                push(tx, &appid, &openid, now, event)?;
            }
            Ok(c::Sent { msgid: msgid.0 })
        })
        .await;
    state.pushes.wake();
    sent
}

/// `POST /_kefu/apps/{appid}/waitcase`: the follower waits for customer
/// service (for a named account, if given), keeping any earlier place.
pub(crate) async fn enqueue(state: &AppState, appid: String, req: c::Enqueue) -> CResult<c::WaitState> {
    let (appid, openid, now) = (AppId::new(appid), OpenId::new(req.openid), state.now());
    state
        .store
        .write(move |tx| {
            load_app(tx, &appid)?;
            let fan = load_fan(tx, &appid, &openid)?;
            let named = match req.kf_account.as_deref().filter(|k| !k.is_empty()) {
                Some(k) => {
                    let kf = tx.kf(&appid, &KfAccount::new(k))?;
                    Some(kf.ok_or(ControlError::NotFound("kf account"))?.account)
                }
                None => None,
            };
            let session = current_session(tx, &appid, &openid, now)?;
            let existing = tx.waitcase(&appid, &openid)?;
            let w = queue::enqueue(&fan, session.as_ref(), existing, named, now)?;
            tx.put_waitcase(&w)?;
            Ok(wait_state(&w))
        })
        .await
}

/// `GET /_kefu/apps/{appid}/fans/{openid}`: one follower, with both
/// windows and the typing indicator.
pub(crate) async fn fan(state: &AppState, appid: String, openid: String) -> CResult<c::FanState> {
    let (appid, openid) = (AppId::new(appid), OpenId::new(openid));
    state
        .store
        .read(move |tx| {
            load_app(tx, &appid)?;
            Ok(fan_state(&load_fan(tx, &appid, &openid)?))
        })
        .await
}

/// `GET /_kefu/apps/{appid}/fans/{openid}/messages?from=`: what the follower
/// wrote and received, oldest first.
pub(crate) async fn messages(
    state: &AppState,
    appid: String,
    openid: String,
    from: i64,
) -> CResult<Vec<c::MessageState>> {
    let (appid, openid) = (AppId::new(appid), OpenId::new(openid));
    state
        .store
        .read(move |tx| {
            load_app(tx, &appid)?;
            load_fan(tx, &appid, &openid)?;
            let list = tx.messages(&appid, &openid, MsgId(from.max(1)), MESSAGE_PAGE)?;
            Ok(list.iter().map(message_state).collect())
        })
        .await
}

fn message_state(m: &Message) -> c::MessageState {
    c::MessageState {
        msgid: m.msgid.0,
        opercode: m.opercode.code(),
        worker: m.worker.as_ref().map(ToString::to_string),
        msgtype: m.msgtype.clone(),
        text: m.text.clone(),
        detail: serde_json::from_str(&m.detail).unwrap_or(serde_json::Value::Null),
        time: m.time.0,
    }
}
