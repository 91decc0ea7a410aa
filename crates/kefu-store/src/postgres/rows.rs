//! Column lists and row decoders for PostgreSQL: one place that knows how
//! each table's row maps to a `kefu-core` type. A value that does not fit
//! its type is [`StoreError::Corrupt`].

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
use postgres::types::FromSql;
use postgres::Row;

type R<T> = Result<T, StoreError>;

/// Column `i` of `r` as a `T`.
pub(super) fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> R<T> {
    r.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

/// A BIGINT that must fit a `u32` (counts).
pub(super) fn get_u32(r: &Row, i: usize) -> R<u32> {
    let n: i64 = get(r, i)?;
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("column {i}: {n} is not a count")))
}

macro_rules! app_cols {
    () => {
        "appid, secret, account_type, certified, wechat_id, original_id, kf_enabled, next_kf_id, created_at, ip_whitelist, quotas"
    };
}

pub(super) fn app_row(r: &Row) -> R<App> {
    let t: String = get(r, 2)?;
    Ok(App {
        appid: AppId::new(get::<String>(r, 0)?),
        secret: get(r, 1)?,
        account_type: AccountType::parse(&t).ok_or_else(|| StoreError::Corrupt(format!("account_type {t}")))?,
        certified: get(r, 3)?,
        wechat_id: get(r, 4)?,
        original_id: get(r, 5)?,
        kf_enabled: get(r, 6)?,
        next_kf_id: get(r, 7)?,
        created_at: Timestamp(get(r, 8)?),
        ip_whitelist: decode_list(&get::<String>(r, 9)?),
        quotas: decode_quotas(&get::<String>(r, 10)?).ok_or_else(|| StoreError::Corrupt("quotas".into()))?,
    })
}

macro_rules! token_cols {
    () => {
        "t.token, t.appid, t.kind, t.issued_at, t.expires_at, t.invalid_after, t.via"
    };
}

pub(super) fn token_row(r: &Row) -> R<TokenRecord> {
    let kind: String = get(r, 2)?;
    Ok(TokenRecord {
        token: AccessToken::new(get::<String>(r, 0)?),
        appid: AppId::new(get::<String>(r, 1)?),
        kind: TokenKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("token kind {kind}")))?,
        issued_at: Timestamp(get(r, 3)?),
        expires_at: Timestamp(get(r, 4)?),
        invalid_after: get::<Option<i64>>(r, 5)?.map(Timestamp),
        via: get::<Option<String>>(r, 6)?.map(AppId::new),
    })
}

macro_rules! kf_cols {
    () => {
        "appid, kf_account, kf_id, nickname, headimg_version, worker, online, invite_wx, invite_expire_time, invite_rejected"
    };
}

pub(super) fn kf_row(r: &Row) -> R<KfRecord> {
    let invitation = match get::<Option<String>>(r, 7)? {
        Some(wx) => Some(Invitation {
            wx: WechatId::new(wx),
            expire_time: Timestamp(get(r, 8)?),
            rejected: get(r, 9)?,
        }),
        None => None,
    };
    Ok(KfRecord {
        appid: AppId::new(get::<String>(r, 0)?),
        account: KfAccount::new(get::<String>(r, 1)?),
        kf_id: get(r, 2)?,
        nickname: get(r, 3)?,
        headimg_version: get(r, 4)?,
        worker: get::<Option<String>>(r, 5)?.map(WechatId::new),
        online: get(r, 6)?,
        invitation,
    })
}

macro_rules! fan_cols {
    () => {
        "appid, openid, subscribed, followed_at, ever_followed, msg_left, msg_until, evt_left, evt_until, last_contact, typing_until"
    };
}

pub(super) fn fan_row(r: &Row) -> R<Fan> {
    let grant = |left: usize| -> R<Grant> {
        Ok(Grant {
            left: get_u32(r, left)?,
            until: Timestamp(get(r, left + 1)?),
        })
    };
    Ok(Fan {
        appid: AppId::new(get::<String>(r, 0)?),
        openid: OpenId::new(get::<String>(r, 1)?),
        subscribed: get(r, 2)?,
        followed_at: Timestamp(get(r, 3)?),
        ever_followed: get(r, 4)?,
        contact: Contact {
            message: grant(5)?,
            event: grant(7)?,
            last_contact: get::<Option<i64>>(r, 9)?.map(Timestamp),
            typing_until: get::<Option<i64>>(r, 10)?.map(Timestamp),
        },
    })
}

macro_rules! session_cols {
    () => {
        "appid, openid, kf_account, created_at, last_msg_at"
    };
}

pub(super) fn session_row(r: &Row) -> R<Session> {
    Ok(Session {
        appid: AppId::new(get::<String>(r, 0)?),
        openid: OpenId::new(get::<String>(r, 1)?),
        kf_account: KfAccount::new(get::<String>(r, 2)?),
        created_at: Timestamp(get(r, 3)?),
        last_msg_at: Timestamp(get(r, 4)?),
    })
}

macro_rules! waitcase_cols {
    () => {
        "appid, openid, kf_account, arrived_at, latest_time"
    };
}

pub(super) fn waitcase_row(r: &Row) -> R<WaitCase> {
    Ok(WaitCase {
        appid: AppId::new(get::<String>(r, 0)?),
        openid: OpenId::new(get::<String>(r, 1)?),
        kf_account: get::<Option<String>>(r, 2)?.map(KfAccount::new),
        arrived_at: Timestamp(get(r, 3)?),
        latest_time: Timestamp(get(r, 4)?),
    })
}

macro_rules! message_cols {
    () => {
        "msgid, appid, openid, worker, opercode, msgtype, text, detail, time"
    };
}

pub(super) fn message_row(r: &Row) -> R<Message> {
    let code: i64 = get(r, 4)?;
    Ok(Message {
        msgid: MsgId(get(r, 0)?),
        appid: AppId::new(get::<String>(r, 1)?),
        openid: OpenId::new(get::<String>(r, 2)?),
        worker: get::<Option<String>>(r, 3)?.map(KfAccount::new),
        opercode: Opercode::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("opercode {code}")))?,
        msgtype: get(r, 5)?,
        text: get(r, 6)?,
        detail: get(r, 7)?,
        time: Timestamp(get(r, 8)?),
    })
}

macro_rules! component_cols {
    () => {
        "component_appid, secret, ip_whitelist, created_at"
    };
}

pub(super) fn component_row(r: &Row) -> R<Component> {
    Ok(Component {
        appid: AppId::new(get::<String>(r, 0)?),
        secret: get(r, 1)?,
        ip_whitelist: decode_list(&get::<String>(r, 2)?),
        created_at: Timestamp(get(r, 3)?),
    })
}

pub(super) fn ticket_row(r: &Row) -> R<Ticket> {
    Ok(Ticket {
        ticket: get(r, 0)?,
        component: AppId::new(get::<String>(r, 1)?),
        issued_at: Timestamp(get(r, 2)?),
    })
}

macro_rules! authorization_cols {
    () => {
        "component_appid, appid, perm_sets, authorized_at, refresh_token, previous_refresh, previous_until, current_token"
    };
}

pub(super) fn authorization_row(r: &Row) -> R<Authorization> {
    let previous = match (get::<Option<String>>(r, 5)?, get::<Option<i64>>(r, 6)?) {
        (Some(token), Some(until)) => Some((token, Timestamp(until))),
        _ => None,
    };
    let sets: String = get(r, 2)?;
    Ok(Authorization {
        component: AppId::new(get::<String>(r, 0)?),
        appid: AppId::new(get::<String>(r, 1)?),
        perm_sets: decode_sets(&sets).ok_or_else(|| StoreError::Corrupt(format!("perm_sets {sets}")))?,
        authorized_at: Timestamp(get(r, 3)?),
        refresh_token: get(r, 4)?,
        previous_refresh: previous,
        current_token: get::<Option<String>>(r, 7)?.map(AccessToken::new),
    })
}

pub(super) fn counter_row(r: &Row) -> R<Counter> {
    Ok(Counter {
        window_start: Timestamp(get(r, 0)?),
        count: get_u32(r, 1)?,
        last_at: Timestamp(get(r, 2)?),
    })
}

macro_rules! callback_cols {
    () => {
        "appid, url, token, encoding_aes_key, mode, format, updated_at"
    };
}

pub(super) fn callback_row(r: &Row) -> R<CallbackConfig> {
    let (mode, format): (String, String) = (get(r, 4)?, get(r, 5)?);
    Ok(CallbackConfig {
        appid: AppId::new(get::<String>(r, 0)?),
        url: get(r, 1)?,
        token: get(r, 2)?,
        encoding_aes_key: get(r, 3)?,
        mode: Mode::parse(&mode).ok_or_else(|| StoreError::Corrupt(format!("callback mode {mode}")))?,
        format: Format::parse(&format).ok_or_else(|| StoreError::Corrupt(format!("callback format {format}")))?,
        updated_at: Timestamp(get(r, 6)?),
    })
}

macro_rules! push_cols {
    () => {
        "id, appid, openid, created_at, nonce, event, msgid, a, b, attempts"
    };
}

pub(super) fn pending_row(r: &Row) -> R<Pending> {
    let name: String = get(r, 5)?;
    let msgid = get::<Option<i64>>(r, 6)?.map(MsgId);
    let event = PushEvent::from_parts(&name, msgid, get(r, 7)?, get(r, 8)?)
        .ok_or_else(|| StoreError::Corrupt(format!("push event {name}")))?;
    let push = Push {
        id: PushId(get(r, 0)?),
        appid: AppId::new(get::<String>(r, 1)?),
        openid: OpenId::new(get::<String>(r, 2)?),
        created_at: Timestamp(get(r, 3)?),
        // Stored bit-cast: the u64 as it was.
        nonce: get::<i64>(r, 4)? as u64,
        event,
    };
    Ok(Pending {
        push,
        attempts: get_u32(r, 9)?,
    })
}

macro_rules! delivery_cols {
    () => {
        "id, push_id, appid, openid, event, attempt, at, url, request, status, response, latency_ms, outcome, detail, last"
    };
}

pub(super) fn delivery_row(r: &Row) -> R<Delivery> {
    let status = get::<Option<i64>>(r, 9)?
        .map(|s| u16::try_from(s).map_err(|_| StoreError::Corrupt(format!("delivery status {s}"))))
        .transpose()?;
    let latency: i64 = get(r, 11)?;
    let outcome: String = get(r, 12)?;
    Ok(Delivery {
        id: get(r, 0)?,
        push_id: PushId(get(r, 1)?),
        appid: AppId::new(get::<String>(r, 2)?),
        openid: OpenId::new(get::<String>(r, 3)?),
        event: get(r, 4)?,
        attempt: get_u32(r, 5)?,
        at: Timestamp(get(r, 6)?),
        url: get(r, 7)?,
        request: get(r, 8)?,
        status,
        response: get(r, 10)?,
        latency_ms: u64::try_from(latency).map_err(|_| StoreError::Corrupt(format!("delivery latency {latency}")))?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| StoreError::Corrupt(format!("delivery outcome {outcome}")))?,
        detail: get(r, 13)?,
        last: get(r, 14)?,
    })
}
