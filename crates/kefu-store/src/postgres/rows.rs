//! Column lists and row decoders for PostgreSQL: one place that knows how
//! each table's row maps to a `kefu-core` type. A value that does not fit
//! its type is [`StoreError::Corrupt`].

use crate::StoreError;
use kefu_core::app::{AccountType, App};
use kefu_core::ids::{AccessToken, AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::{Invitation, KfRecord};
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
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
        "appid, secret, account_type, certified, wechat_id, original_id, kf_enabled, next_kf_id, created_at"
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
    })
}

macro_rules! token_cols {
    () => {
        "t.token, t.appid, t.kind, t.issued_at, t.expires_at, t.invalid_after"
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

pub(super) fn fan_row(r: &Row) -> R<Fan> {
    Ok(Fan {
        appid: AppId::new(get::<String>(r, 0)?),
        openid: OpenId::new(get::<String>(r, 1)?),
        subscribed: get(r, 2)?,
        followed_at: Timestamp(get(r, 3)?),
    })
}

pub(super) fn session_row(r: &Row) -> R<Session> {
    Ok(Session {
        appid: AppId::new(get::<String>(r, 0)?),
        openid: OpenId::new(get::<String>(r, 1)?),
        kf_account: KfAccount::new(get::<String>(r, 2)?),
        created_at: Timestamp(get(r, 3)?),
    })
}

pub(super) fn counter_row(r: &Row) -> R<Counter> {
    Ok(Counter {
        window_start: Timestamp(get(r, 0)?),
        count: get_u32(r, 1)?,
        last_at: Timestamp(get(r, 2)?),
    })
}
