//! Column lists and row decoders: the one place that knows how each
//! table's row maps to a `kefu-core` type. A value that does not fit its
//! domain type (an unknown name, a malformed list) is
//! [`StoreError::Corrupt`]. The column lists are macros so that statements
//! can splice them into their text with `concat!`.

use super::conn::Row;
use crate::codec::{decode_list, decode_quotas, decode_sets};
use crate::error::StoreError;
use kefu_core::app::{AccountType, App};
use kefu_core::callback::{CallbackConfig, Format, Mode};
use kefu_core::ids::{AccessToken, AppId, KfAccount, MsgId, OpenId, WechatId};
use kefu_core::kf::{Invitation, KfRecord};
use kefu_core::message::{Message, Opercode};
use kefu_core::platform::{Authorization, Component, Ticket};
use kefu_core::push::{Delivery, Outcome, Pending, Push, PushEvent, PushId};
use kefu_core::queue::WaitCase;
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::whitelist::Whitelist;
use kefu_core::window::{Contact, Grant};
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

/// `Some` as it is, or `None` as corrupt data naming `what` and `value`.
/// A stored whitelist; an entry that no longer parses is corrupt data.
fn whitelist(text: &str) -> R<Whitelist> {
    Whitelist::parse(&decode_list(text)).map_err(|bad| StoreError::Corrupt(format!("whitelist entry {bad:?}")))
}

fn known<T>(parsed: Option<T>, what: &str, value: impl std::fmt::Display) -> R<T> {
    parsed.ok_or_else(|| StoreError::Corrupt(format!("{what} {value}")))
}

macro_rules! app_cols {
    () => {
        "appid, secret, account_type, certified, wechat_id, original_id, kf_enabled, next_kf_id, created_at, ip_whitelist, quotas"
    };
}

pub(super) fn app_row(r: &impl Row) -> R<App> {
    let (t, quotas) = (r.text(2)?, r.text(10)?);
    Ok(App {
        appid: AppId::new(r.text(0)?),
        secret: r.text(1)?,
        account_type: known(AccountType::parse(&t), "account_type", &t)?,
        certified: r.bool(3)?,
        wechat_id: r.text(4)?,
        original_id: r.text(5)?,
        kf_enabled: r.bool(6)?,
        next_kf_id: r.i64(7)?,
        created_at: Timestamp(r.i64(8)?),
        ip_whitelist: whitelist(&r.text(9)?)?,
        quotas: known(decode_quotas(&quotas), "quotas", &quotas)?,
    })
}

macro_rules! token_cols {
    () => {
        "t.token, t.appid, t.kind, t.issued_at, t.expires_at, t.invalid_after, t.via"
    };
}

pub(super) fn token_row(r: &impl Row) -> R<TokenRecord> {
    let kind = r.text(2)?;
    Ok(TokenRecord {
        token: AccessToken::new(r.text(0)?),
        appid: AppId::new(r.text(1)?),
        kind: known(TokenKind::parse(&kind), "token kind", &kind)?,
        issued_at: Timestamp(r.i64(3)?),
        expires_at: Timestamp(r.i64(4)?),
        invalid_after: r.opt_i64(5)?.map(Timestamp),
        via: r.opt_text(6)?.map(AppId::new),
    })
}

pub(super) fn counter_row(r: &impl Row) -> R<Counter> {
    Ok(Counter {
        window_start: Timestamp(r.i64(0)?),
        count: r.u32(1)?,
        last_at: Timestamp(r.i64(2)?),
    })
}

macro_rules! kf_cols {
    () => {
        "appid, kf_account, kf_id, nickname, headimg_version, worker, online, invite_wx, invite_expire_time, invite_rejected"
    };
}

pub(super) fn kf_row(r: &impl Row) -> R<KfRecord> {
    let invitation = match r.opt_text(7)? {
        Some(wx) => Some(Invitation {
            wx: WechatId::new(wx),
            expire_time: Timestamp(r.i64(8)?),
            rejected: r.bool(9)?,
        }),
        None => None,
    };
    Ok(KfRecord {
        appid: AppId::new(r.text(0)?),
        account: KfAccount::new(r.text(1)?),
        kf_id: r.i64(2)?,
        nickname: r.text(3)?,
        headimg_version: r.i64(4)?,
        worker: r.opt_text(5)?.map(WechatId::new),
        online: r.bool(6)?,
        invitation,
    })
}

macro_rules! fan_cols {
    () => {
        "appid, openid, subscribed, followed_at, ever_followed, msg_left, msg_until, evt_left, evt_until, last_contact, typing_until"
    };
}

pub(super) fn fan_row(r: &impl Row) -> R<Fan> {
    let grant = |left: usize| -> R<Grant> {
        Ok(Grant {
            left: r.u32(left)?,
            until: Timestamp(r.i64(left + 1)?),
        })
    };
    Ok(Fan {
        appid: AppId::new(r.text(0)?),
        openid: OpenId::new(r.text(1)?),
        subscribed: r.bool(2)?,
        followed_at: Timestamp(r.i64(3)?),
        ever_followed: r.bool(4)?,
        contact: Contact {
            message: grant(5)?,
            event: grant(7)?,
            last_contact: r.opt_i64(9)?.map(Timestamp),
            typing_until: r.opt_i64(10)?.map(Timestamp),
        },
    })
}

macro_rules! session_cols {
    () => {
        "appid, openid, kf_account, created_at, last_msg_at"
    };
}

pub(super) fn session_row(r: &impl Row) -> R<Session> {
    Ok(Session {
        appid: AppId::new(r.text(0)?),
        openid: OpenId::new(r.text(1)?),
        kf_account: KfAccount::new(r.text(2)?),
        created_at: Timestamp(r.i64(3)?),
        last_msg_at: Timestamp(r.i64(4)?),
    })
}

macro_rules! waitcase_cols {
    () => {
        "appid, openid, kf_account, arrived_at, latest_time"
    };
}

pub(super) fn waitcase_row(r: &impl Row) -> R<WaitCase> {
    Ok(WaitCase {
        appid: AppId::new(r.text(0)?),
        openid: OpenId::new(r.text(1)?),
        kf_account: r.opt_text(2)?.map(KfAccount::new),
        arrived_at: Timestamp(r.i64(3)?),
        latest_time: Timestamp(r.i64(4)?),
    })
}

macro_rules! message_cols {
    () => {
        "msgid, appid, openid, worker, opercode, msgtype, text, detail, time"
    };
}

pub(super) fn message_row(r: &impl Row) -> R<Message> {
    let code = r.i64(4)?;
    Ok(Message {
        msgid: MsgId(r.i64(0)?),
        appid: AppId::new(r.text(1)?),
        openid: OpenId::new(r.text(2)?),
        worker: r.opt_text(3)?.map(KfAccount::new),
        opercode: known(Opercode::from_code(code), "opercode", code)?,
        msgtype: r.text(5)?,
        text: r.text(6)?,
        detail: r.text(7)?,
        time: Timestamp(r.i64(8)?),
    })
}

macro_rules! component_cols {
    () => {
        "component_appid, secret, ip_whitelist, created_at"
    };
}

pub(super) fn component_row(r: &impl Row) -> R<Component> {
    Ok(Component {
        appid: AppId::new(r.text(0)?),
        secret: r.text(1)?,
        ip_whitelist: whitelist(&r.text(2)?)?,
        created_at: Timestamp(r.i64(3)?),
    })
}

macro_rules! ticket_cols {
    () => {
        "ticket, component_appid, issued_at"
    };
}

pub(super) fn ticket_row(r: &impl Row) -> R<Ticket> {
    Ok(Ticket {
        ticket: r.text(0)?,
        component: AppId::new(r.text(1)?),
        issued_at: Timestamp(r.i64(2)?),
    })
}

macro_rules! authorization_cols {
    () => {
        "component_appid, appid, perm_sets, authorized_at, refresh_token, previous_refresh, previous_until, current_token"
    };
}

pub(super) fn authorization_row(r: &impl Row) -> R<Authorization> {
    let previous = match (r.opt_text(5)?, r.opt_i64(6)?) {
        (Some(token), Some(until)) => Some((token, Timestamp(until))),
        _ => None,
    };
    let sets = r.text(2)?;
    Ok(Authorization {
        component: AppId::new(r.text(0)?),
        appid: AppId::new(r.text(1)?),
        perm_sets: known(decode_sets(&sets), "perm_sets", &sets)?,
        authorized_at: Timestamp(r.i64(3)?),
        refresh_token: r.text(4)?,
        previous_refresh: previous,
        current_token: r.opt_text(7)?.map(AccessToken::new),
    })
}

macro_rules! callback_cols {
    () => {
        "appid, url, token, encoding_aes_key, mode, format, updated_at"
    };
}

pub(super) fn callback_row(r: &impl Row) -> R<CallbackConfig> {
    let (mode, format) = (r.text(4)?, r.text(5)?);
    Ok(CallbackConfig {
        appid: AppId::new(r.text(0)?),
        url: r.text(1)?,
        token: r.text(2)?,
        encoding_aes_key: r.opt_text(3)?,
        mode: known(Mode::parse(&mode), "callback mode", &mode)?,
        format: known(Format::parse(&format), "callback format", &format)?,
        updated_at: Timestamp(r.i64(6)?),
    })
}

macro_rules! push_cols {
    () => {
        "id, appid, openid, created_at, nonce, event, msgid, a, b, attempts"
    };
}

pub(super) fn pending_row(r: &impl Row) -> R<Pending> {
    let name = r.text(5)?;
    let msgid = r.opt_i64(6)?.map(MsgId);
    let event = known(
        PushEvent::from_parts(&name, msgid, r.text(7)?, r.text(8)?),
        "push event",
        &name,
    )?;
    let push = Push {
        id: PushId(r.i64(0)?),
        appid: AppId::new(r.text(1)?),
        openid: OpenId::new(r.text(2)?),
        created_at: Timestamp(r.i64(3)?),
        // Stored bit-cast: the u64 as it was.
        nonce: r.i64(4)? as u64,
        event,
    };
    Ok(Pending {
        push,
        attempts: r.u32(9)?,
    })
}

macro_rules! delivery_cols {
    () => {
        "id, push_id, appid, openid, event, attempt, at, url, request, status, response, latency_ms, outcome, detail, last"
    };
}

pub(super) fn delivery_row(r: &impl Row) -> R<Delivery> {
    let status = match r.opt_i64(9)? {
        Some(s) => Some(known(u16::try_from(s).ok(), "delivery status", s)?),
        None => None,
    };
    let (latency, outcome) = (r.i64(11)?, r.text(12)?);
    Ok(Delivery {
        id: r.i64(0)?,
        push_id: PushId(r.i64(1)?),
        appid: AppId::new(r.text(2)?),
        openid: OpenId::new(r.text(3)?),
        event: r.text(4)?,
        attempt: r.u32(5)?,
        at: Timestamp(r.i64(6)?),
        url: r.text(7)?,
        request: r.text(8)?,
        status,
        response: r.text(10)?,
        latency_ms: known(u64::try_from(latency).ok(), "delivery latency", latency)?,
        outcome: known(Outcome::parse(&outcome), "delivery outcome", &outcome)?,
        detail: r.text(13)?,
        last: r.bool(14)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::sqlite::SqliteStore;
    use crate::{Store, StoreError, Tx};
    use kefu_core::ids::AppId;
    use std::sync::Arc;

    #[tokio::test]
    async fn unknown_stored_names_are_corrupt_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kefu.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO outbox (appid, openid, created_at, nonce, event, a, b) \
             VALUES ('wx1', 'o1', 1, 2, 'LOCATION', '', '');
             INSERT INTO deliveries (push_id, appid, openid, event, attempt, at, url, request, status, response, \
             latency_ms, outcome, detail, last) VALUES (1, 'wx1', 'o1', 'text', 1, 1, 'u', 'r', NULL, '', 3, \
             'exploded', '', 0);",
        )
        .unwrap();
        drop(conn);
        let claim = store
            .write(|tx: &mut dyn Tx| tx.claim_pushes("a", 0, 10, 10, &[]))
            .await;
        assert!(matches!(claim, Err(StoreError::Corrupt(_))), "{claim:?}");
        let log = store
            .read(|tx: &mut dyn Tx| tx.deliveries(&AppId::new("wx1"), None, 10))
            .await;
        assert!(matches!(log, Err(StoreError::Corrupt(_))), "{log:?}");
    }
}
