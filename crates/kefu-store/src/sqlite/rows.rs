//! Column lists and row decoders: one place that knows how each table's
//! row maps to a `kefu-core` type. The push tables' decoders return
//! [`Decoded`]: a value that does not fit its domain type (an unknown event
//! or outcome) is [`StoreError::Corrupt`], apart from SQLite's own errors.

use crate::codec::{decode_list, decode_quotas, decode_sets};
use crate::StoreError;
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
use kefu_core::window::{Contact, Grant};
use kefu_core::Timestamp;
use rusqlite::types::Type;
use rusqlite::Row;

fn bad(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, what.to_owned().into())
}

macro_rules! app_cols {
    () => {
        "appid, secret, account_type, certified, wechat_id, original_id, kf_enabled, next_kf_id, created_at, ip_whitelist, quotas"
    };
}

pub(super) fn app_row(r: &Row<'_>) -> rusqlite::Result<App> {
    let t: String = r.get(2)?;
    Ok(App {
        appid: AppId::new(r.get::<_, String>(0)?),
        secret: r.get(1)?,
        account_type: AccountType::parse(&t).ok_or_else(|| bad(2, "account_type"))?,
        certified: r.get(3)?,
        wechat_id: r.get(4)?,
        original_id: r.get(5)?,
        kf_enabled: r.get(6)?,
        next_kf_id: r.get(7)?,
        created_at: Timestamp(r.get(8)?),
        ip_whitelist: decode_list(&r.get::<_, String>(9)?),
        quotas: decode_quotas(&r.get::<_, String>(10)?).ok_or_else(|| bad(10, "quotas"))?,
    })
}

macro_rules! token_cols {
    () => {
        "t.token, t.appid, t.kind, t.issued_at, t.expires_at, t.invalid_after, t.via"
    };
}

pub(super) fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let kind: String = r.get(2)?;
    Ok(TokenRecord {
        token: AccessToken::new(r.get::<_, String>(0)?),
        appid: AppId::new(r.get::<_, String>(1)?),
        kind: TokenKind::parse(&kind).ok_or_else(|| bad(2, "kind"))?,
        issued_at: Timestamp(r.get(3)?),
        expires_at: Timestamp(r.get(4)?),
        invalid_after: r.get::<_, Option<i64>>(5)?.map(Timestamp),
        via: r.get::<_, Option<String>>(6)?.map(AppId::new),
    })
}

macro_rules! kf_cols {
    () => {
        "appid, kf_account, kf_id, nickname, headimg_version, worker, online, invite_wx, invite_expire_time, invite_rejected"
    };
}

pub(super) fn kf_row(r: &Row<'_>) -> rusqlite::Result<KfRecord> {
    let invite_wx: Option<String> = r.get(7)?;
    let invitation = match invite_wx {
        Some(wx) => Some(Invitation {
            wx: WechatId::new(wx),
            expire_time: Timestamp(r.get(8)?),
            rejected: r.get(9)?,
        }),
        None => None,
    };
    Ok(KfRecord {
        appid: AppId::new(r.get::<_, String>(0)?),
        account: KfAccount::new(r.get::<_, String>(1)?),
        kf_id: r.get(2)?,
        nickname: r.get(3)?,
        headimg_version: r.get(4)?,
        worker: r.get::<_, Option<String>>(5)?.map(WechatId::new),
        online: r.get(6)?,
        invitation,
    })
}

macro_rules! fan_cols {
    () => {
        "appid, openid, subscribed, followed_at, ever_followed, msg_left, msg_until, evt_left, evt_until, last_contact, typing_until"
    };
}

pub(super) fn fan_row(r: &Row<'_>) -> rusqlite::Result<Fan> {
    let grant = |left: usize| -> rusqlite::Result<Grant> {
        Ok(Grant {
            left: r.get(left)?,
            until: Timestamp(r.get(left + 1)?),
        })
    };
    Ok(Fan {
        appid: AppId::new(r.get::<_, String>(0)?),
        openid: OpenId::new(r.get::<_, String>(1)?),
        subscribed: r.get(2)?,
        followed_at: Timestamp(r.get(3)?),
        ever_followed: r.get(4)?,
        contact: Contact {
            message: grant(5)?,
            event: grant(7)?,
            last_contact: r.get::<_, Option<i64>>(9)?.map(Timestamp),
            typing_until: r.get::<_, Option<i64>>(10)?.map(Timestamp),
        },
    })
}

macro_rules! session_cols {
    () => {
        "appid, openid, kf_account, created_at, last_msg_at"
    };
}

pub(super) fn session_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        appid: AppId::new(r.get::<_, String>(0)?),
        openid: OpenId::new(r.get::<_, String>(1)?),
        kf_account: KfAccount::new(r.get::<_, String>(2)?),
        created_at: Timestamp(r.get(3)?),
        last_msg_at: Timestamp(r.get(4)?),
    })
}

macro_rules! waitcase_cols {
    () => {
        "appid, openid, kf_account, arrived_at, latest_time"
    };
}

pub(super) fn waitcase_row(r: &Row<'_>) -> rusqlite::Result<WaitCase> {
    Ok(WaitCase {
        appid: AppId::new(r.get::<_, String>(0)?),
        openid: OpenId::new(r.get::<_, String>(1)?),
        kf_account: r.get::<_, Option<String>>(2)?.map(KfAccount::new),
        arrived_at: Timestamp(r.get(3)?),
        latest_time: Timestamp(r.get(4)?),
    })
}

macro_rules! message_cols {
    () => {
        "msgid, appid, openid, worker, opercode, msgtype, text, detail, time"
    };
}

pub(super) fn message_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        msgid: MsgId(r.get(0)?),
        appid: AppId::new(r.get::<_, String>(1)?),
        openid: OpenId::new(r.get::<_, String>(2)?),
        worker: r.get::<_, Option<String>>(3)?.map(KfAccount::new),
        opercode: Opercode::from_code(r.get(4)?).ok_or_else(|| bad(4, "opercode"))?,
        msgtype: r.get(5)?,
        text: r.get(6)?,
        detail: r.get(7)?,
        time: Timestamp(r.get(8)?),
    })
}

pub(super) fn counter_row(r: &Row<'_>) -> rusqlite::Result<Counter> {
    Ok(Counter {
        window_start: Timestamp(r.get(0)?),
        count: r.get(1)?,
        last_at: Timestamp(r.get(2)?),
    })
}

macro_rules! component_cols {
    () => {
        "component_appid, secret, ip_whitelist, created_at"
    };
}

pub(super) fn component_row(r: &Row<'_>) -> rusqlite::Result<Component> {
    Ok(Component {
        appid: AppId::new(r.get::<_, String>(0)?),
        secret: r.get(1)?,
        ip_whitelist: decode_list(&r.get::<_, String>(2)?),
        created_at: Timestamp(r.get(3)?),
    })
}

pub(super) fn ticket_row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        ticket: r.get(0)?,
        component: AppId::new(r.get::<_, String>(1)?),
        issued_at: Timestamp(r.get(2)?),
    })
}

macro_rules! authorization_cols {
    () => {
        "component_appid, appid, perm_sets, authorized_at, refresh_token, previous_refresh, previous_until, current_token"
    };
}

pub(super) fn authorization_row(r: &Row<'_>) -> rusqlite::Result<Authorization> {
    let previous = match (r.get::<_, Option<String>>(5)?, r.get::<_, Option<i64>>(6)?) {
        (Some(token), Some(until)) => Some((token, Timestamp(until))),
        _ => None,
    };
    Ok(Authorization {
        component: AppId::new(r.get::<_, String>(0)?),
        appid: AppId::new(r.get::<_, String>(1)?),
        perm_sets: decode_sets(&r.get::<_, String>(2)?).ok_or_else(|| bad(2, "perm_sets"))?,
        authorized_at: Timestamp(r.get(3)?),
        refresh_token: r.get(4)?,
        previous_refresh: previous,
        current_token: r.get::<_, Option<String>>(7)?.map(AccessToken::new),
    })
}

/// A row read by SQLite (outer) and decoded into its domain type (inner).
pub(super) type Decoded<T> = rusqlite::Result<Result<T, StoreError>>;

fn corrupt<T>(what: &str, value: impl std::fmt::Display) -> Decoded<T> {
    Ok(Err(StoreError::Corrupt(format!("{what} {value}"))))
}

macro_rules! callback_cols {
    () => {
        "appid, url, token, encoding_aes_key, mode, format, updated_at"
    };
}

pub(super) fn callback_row(r: &Row<'_>) -> Decoded<CallbackConfig> {
    let (mode, format): (String, String) = (r.get(4)?, r.get(5)?);
    let Some(mode) = Mode::parse(&mode) else {
        return corrupt("callback mode", mode);
    };
    let Some(format) = Format::parse(&format) else {
        return corrupt("callback format", format);
    };
    Ok(Ok(CallbackConfig {
        appid: AppId::new(r.get::<_, String>(0)?),
        url: r.get(1)?,
        token: r.get(2)?,
        encoding_aes_key: r.get(3)?,
        mode,
        format,
        updated_at: Timestamp(r.get(6)?),
    }))
}

macro_rules! push_cols {
    () => {
        "id, appid, openid, created_at, nonce, event, msgid, a, b, attempts"
    };
}

pub(super) fn pending_row(r: &Row<'_>) -> Decoded<Pending> {
    let name: String = r.get(5)?;
    let msgid = r.get::<_, Option<i64>>(6)?.map(MsgId);
    let Some(event) = PushEvent::from_parts(&name, msgid, r.get(7)?, r.get(8)?) else {
        return corrupt("push event", name);
    };
    let push = Push {
        id: PushId(r.get(0)?),
        appid: AppId::new(r.get::<_, String>(1)?),
        openid: OpenId::new(r.get::<_, String>(2)?),
        created_at: Timestamp(r.get(3)?),
        // Stored bit-cast: the u64 as it was.
        nonce: r.get::<_, i64>(4)? as u64,
        event,
    };
    Ok(Ok(Pending {
        push,
        attempts: r.get(9)?,
    }))
}

macro_rules! delivery_cols {
    () => {
        "id, push_id, appid, openid, event, attempt, at, url, request, status, response, latency_ms, outcome, detail, last"
    };
}

pub(super) fn delivery_row(r: &Row<'_>) -> Decoded<Delivery> {
    let status: Option<i64> = r.get(9)?;
    let status = match status.map(u16::try_from).transpose() {
        Ok(status) => status,
        Err(_) => return corrupt("delivery status", status.unwrap_or_default()),
    };
    let latency: i64 = r.get(11)?;
    let Ok(latency_ms) = u64::try_from(latency) else {
        return corrupt("delivery latency", latency);
    };
    let outcome: String = r.get(12)?;
    let Some(outcome) = Outcome::parse(&outcome) else {
        return corrupt("delivery outcome", outcome);
    };
    Ok(Ok(Delivery {
        id: r.get(0)?,
        push_id: PushId(r.get(1)?),
        appid: AppId::new(r.get::<_, String>(2)?),
        openid: OpenId::new(r.get::<_, String>(3)?),
        event: r.get(4)?,
        attempt: r.get(5)?,
        at: Timestamp(r.get(6)?),
        url: r.get(7)?,
        request: r.get(8)?,
        status,
        response: r.get(10)?,
        latency_ms,
        outcome,
        detail: r.get(13)?,
        last: r.get(14)?,
    }))
}
