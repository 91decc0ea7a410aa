//! The worker's side of the control API: accept a waiting follower, reply
//! in the customer-service client, hand a session over, close it.

use super::apps::{load_app, session_state};
use super::outbox::push;
use super::sessions::{begin, current_session, end};
use crate::error::ControlError;
use crate::state::AppState;
use kefu_api::control as c;
use kefu_core::human::HumanError;
use kefu_core::ids::{AppId, KfAccount, MsgId, OpenId};
use kefu_core::kf::KfRecord;
use kefu_core::message::{Message, Opercode};
use kefu_core::outgoing::{self, MAX_TEXT_BYTES};
use kefu_core::push::PushEvent;
use kefu_core::session::{self, Session};
use kefu_core::{queue, Timestamp};
use kefu_store::Tx;

type CResult<T> = Result<T, ControlError>;

fn load_kf(tx: &mut dyn Tx, appid: &AppId, account: &KfAccount) -> CResult<KfRecord> {
    load_app(tx, appid)?;
    tx.kf(appid, account)?.ok_or(ControlError::NotFound("kf account"))
}

/// The live session `kf` holds with the follower.
fn held(tx: &mut dyn Tx, kf: &KfRecord, openid: &OpenId, now: Timestamp) -> CResult<Session> {
    let current = current_session(tx, &kf.appid, openid, now)?;
    Ok(session::held_by(current, &kf.account)?)
}

/// Who a worker action is about.
pub(crate) struct WorkerCall {
    /// The app.
    pub appid: String,
    /// The worker's kf account.
    pub kf_account: String,
}

impl WorkerCall {
    fn ids(self) -> (AppId, KfAccount) {
        (AppId::new(self.appid), KfAccount::new(self.kf_account))
    }
}

/// `POST .../kf/{kf_account}/accept`: the worker takes the named follower,
/// or the earliest one waiting for this account or for anyone.
pub(crate) async fn accept(state: &AppState, who: WorkerCall, req: c::Accept) -> CResult<c::SessionState> {
    let ((appid, account), now) = (who.ids(), state.now());
    let openid = req.openid.filter(|o| !o.is_empty()).map(OpenId::new);
    let accepted = state
        .store
        .write(move |tx| {
            let kf = load_kf(tx, &appid, &account)?;
            let waiting = tx.waitcases(&appid)?;
            let case = queue::pick(&waiting, &kf.account, openid.as_ref())?;
            let s = queue::accept(&kf, case, now)?;
            // A stale idle session of the follower is closed first.
            current_session(tx, &appid, &s.openid, now)?;
            begin(tx, &s)?;
            Ok(session_state(&s))
        })
        .await;
    state.pushes.wake();
    accepted
}

/// `POST .../kf/{kf_account}/messages`: the worker replies inside their
/// session (a 2002 record). The follower's window must be open; the API's
/// message count is not spent.
pub(crate) async fn reply(state: &AppState, who: WorkerCall, req: c::WorkerMessage) -> CResult<c::Sent> {
    if req.text.is_empty() || req.text.len() > MAX_TEXT_BYTES {
        return Err(ControlError::BadRequest(format!("text is 1-{MAX_TEXT_BYTES} bytes")));
    }
    let ((appid, account), now) = (who.ids(), state.now());
    let openid = OpenId::new(req.openid);
    state
        .store
        .write(move |tx| {
            let kf = load_kf(tx, &appid, &account)?;
            session::check_serving(&kf)?;
            let mut s = held(tx, &kf, &openid, now)?;
            let mut fan = tx.fan(&appid, &openid)?.ok_or(ControlError::NotFound("follower"))?;
            if !fan.subscribed || !fan.contact.is_open(now) {
                return Err(HumanError::OutOfWindow.into());
            }
            fan.contact.delivered(now);
            tx.put_fan(&fan)?;
            s.last_msg_at = now;
            tx.put_session(&s)?;
            let msgid = tx.insert_message(&Message {
                msgid: MsgId(0),
                appid: appid.clone(),
                openid: openid.clone(),
                worker: Some(kf.account.clone()),
                opercode: Opercode::Sent,
                msgtype: "text".into(),
                text: outgoing::record_text("text", &req.text),
                detail: serde_json::json!({ "content": req.text }).to_string(),
                time: now,
            })?;
            Ok(c::Sent { msgid: msgid.0 })
        })
        .await
}

/// `POST .../kf/{kf_account}/transfer`: another bound, online account of the
/// app takes the session over from now.
pub(crate) async fn transfer(state: &AppState, who: WorkerCall, req: c::Transfer) -> CResult<c::SessionState> {
    let ((appid, account), now) = (who.ids(), state.now());
    let (openid, to) = (OpenId::new(req.openid), KfAccount::new(req.to));
    let moved = state
        .store
        .write(move |tx| {
            let kf = load_kf(tx, &appid, &account)?;
            let s = held(tx, &kf, &openid, now)?;
            let to = tx.kf(&appid, &to)?.ok_or(ControlError::NotFound("kf account"))?;
            let moved = session::transfer(s, &to, now)?;
            tx.put_session(&moved)?;
            let event = PushEvent::KfSwitchSession {
                from: kf.account.clone(),
                to: moved.kf_account.clone(),
            };
            push(tx, &appid, &openid, now, event)?;
            Ok(session_state(&moved))
        })
        .await;
    state.pushes.wake();
    moved
}

/// `POST .../kf/{kf_account}/close`: the worker ends the session.
pub(crate) async fn close(state: &AppState, who: WorkerCall, req: c::CloseSession) -> CResult<()> {
    let ((appid, account), now) = (who.ids(), state.now());
    let openid = OpenId::new(req.openid);
    state
        .store
        .write(move |tx| {
            let kf = load_kf(tx, &appid, &account)?;
            let s = held(tx, &kf, &openid, now)?;
            Ok::<_, ControlError>(end(tx, &s, now)?)
        })
        .await?;
    state.pushes.wake();
    Ok(())
}
