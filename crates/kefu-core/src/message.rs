//! Messages between followers and the app, and the chat records
//! `msgrecord/getmsglist` pages through.
//!
//! Every message either way is kept with a server-wide ascending [`MsgId`].
//! Those exchanged with a kf account (a follower writing inside a session,
//! a worker replying, an API message sent as or within a kf session) are chat
//! records: opercode 2003 when the kf received, 2002 when it sent.

use crate::errcode::ErrCode;
use crate::ids::{AppId, KfAccount, MsgId, OpenId, Timestamp};

/// Longest span one `getmsglist` call may cover, in seconds (65417 above).
pub const MAX_RECORD_SPAN: i64 = 24 * 3600;
/// Most records one `getmsglist` call returns.
pub const MAX_RECORDS: i64 = 10_000;
/// Most records one page of the retired `getrecord` holds (WeChat's old limit).
pub const MAX_PAGE_SIZE: i64 = 50;

/// Which way a message went, as chat records say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opercode {
    /// 2002: the kf (or the app) sent it to the follower.
    Sent,
    /// 2003: the follower wrote it.
    Received,
}

impl Opercode {
    /// The wire number.
    pub fn code(self) -> i64 {
        match self {
            Opercode::Sent => 2002,
            Opercode::Received => 2003,
        }
    }

    /// Parses a stored number.
    pub fn from_code(code: i64) -> Option<Opercode> {
        match code {
            2002 => Some(Opercode::Sent),
            2003 => Some(Opercode::Received),
            _ => None,
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Assigned by the store when the message is kept (0 before).
    pub msgid: MsgId,
    /// The app.
    pub appid: AppId,
    /// The follower.
    pub openid: OpenId,
    /// The kf account on the app's side; `None` outside customer service,
    /// and then the message is not a chat record.
    pub worker: Option<KfAccount>,
    /// Direction.
    pub opercode: Opercode,
    /// The message type (`text`, `image`, ...).
    pub msgtype: String,
    /// The record text: the text itself, or `[image]`, `[voice]`, ...
    pub text: String,
    /// The message's fields as JSON (for pushes and the control API).
    pub detail: String,
    /// When it was sent.
    pub time: Timestamp,
}

/// A checked `getmsglist` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordQuery {
    /// Earliest `time`, inclusive.
    pub start: Timestamp,
    /// Latest `time`, inclusive.
    pub end: Timestamp,
    /// The first `msgid` wanted (inclusive).
    pub from: MsgId,
    /// At most this many records.
    pub limit: u32,
}

/// Checks `getmsglist` parameters: 65416 for negative times, an end before
/// the start, a `number` outside 1-10000 or a negative `msgid`; then 65417
/// for a span over 24 hours. A `msgid` of 0 reads as 1.
pub fn check_query(starttime: i64, endtime: i64, msgid: i64, number: i64) -> Result<RecordQuery, ErrCode> {
    let valid = starttime >= 0 && endtime >= starttime && (1..=MAX_RECORDS).contains(&number) && msgid >= 0;
    if !valid {
        return Err(ErrCode::ParamInvalid);
    }
    if endtime - starttime > MAX_RECORD_SPAN {
        return Err(ErrCode::TimeRangeTooLong);
    }
    Ok(RecordQuery {
        start: Timestamp(starttime),
        end: Timestamp(endtime),
        from: MsgId(msgid.max(1)),
        limit: number as u32,
    })
}

/// A checked page of the retired `msgrecord/getrecord`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPage {
    /// Earliest `time`, inclusive.
    pub start: Timestamp,
    /// Latest `time`, inclusive.
    pub end: Timestamp,
    /// Records of the range (after the follower filter) before this page.
    pub skip: u64,
    /// At most this many records.
    pub size: u32,
}

/// Checks `getrecord` parameters as [`check_query`] checks `getmsglist`'s:
/// 65416 for negative times, an end before the start, a `pageindex` below 1
/// or a `pagesize` outside 1-50; then 65417 for a span over 24 hours.
pub fn check_page(starttime: i64, endtime: i64, pageindex: i64, pagesize: i64) -> Result<RecordPage, ErrCode> {
    let valid = starttime >= 0 && endtime >= starttime && pageindex >= 1 && (1..=MAX_PAGE_SIZE).contains(&pagesize);
    if !valid {
        return Err(ErrCode::ParamInvalid);
    }
    if endtime - starttime > MAX_RECORD_SPAN {
        return Err(ErrCode::TimeRangeTooLong);
    }
    Ok(RecordPage {
        start: Timestamp(starttime),
        end: Timestamp(endtime),
        skip: ((pageindex - 1) as u64).saturating_mul(pagesize as u64),
        size: pagesize as u32,
    })
}

/// The `msgid` a caller passes back for the next page: one past the last
/// record returned, or the query's own start when nothing came back.
pub fn next_cursor(records: &[Message], q: &RecordQuery) -> MsgId {
    records.last().map_or(q.from, |m| MsgId(m.msgid.0 + 1))
}

/// What a follower can write through the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowerMsgType {
    /// `text` (needs `content`)
    Text,
    /// `image`
    Image,
    /// `voice`
    Voice,
    /// `video`
    Video,
}

impl FollowerMsgType {
    /// Parses a follower's `msgtype`.
    pub fn parse(raw: &str) -> Option<FollowerMsgType> {
        match raw {
            "text" => Some(FollowerMsgType::Text),
            "image" => Some(FollowerMsgType::Image),
            "voice" => Some(FollowerMsgType::Voice),
            "video" => Some(FollowerMsgType::Video),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowerMsgType::Text => "text",
            FollowerMsgType::Image => "image",
            FollowerMsgType::Voice => "voice",
            FollowerMsgType::Video => "video",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_in_order() {
        assert_eq!(check_query(10, 5, 1, 10), Err(ErrCode::ParamInvalid));
        assert_eq!(check_query(0, 10, 1, 0), Err(ErrCode::ParamInvalid));
        assert_eq!(check_query(0, 10, 1, 10_001), Err(ErrCode::ParamInvalid));
        assert_eq!(check_query(0, 10, -1, 10), Err(ErrCode::ParamInvalid));
        assert_eq!(check_query(0, 86_401, 1, 10), Err(ErrCode::TimeRangeTooLong));
        let q = check_query(0, 86_400, 0, 10_000).unwrap();
        assert_eq!((q.from, q.limit), (MsgId(1), 10_000));
    }

    #[test]
    fn pages_are_checked_in_order() {
        assert_eq!(check_page(10, 5, 1, 10), Err(ErrCode::ParamInvalid));
        assert_eq!(check_page(0, 10, 0, 10), Err(ErrCode::ParamInvalid));
        assert_eq!(check_page(0, 10, 1, 0), Err(ErrCode::ParamInvalid));
        assert_eq!(check_page(0, 10, 1, 51), Err(ErrCode::ParamInvalid));
        assert_eq!(check_page(-1, 10, 1, 10), Err(ErrCode::ParamInvalid));
        assert_eq!(check_page(0, 86_401, 1, 10), Err(ErrCode::TimeRangeTooLong));
        let p = check_page(0, 86_400, 3, 50).unwrap();
        assert_eq!((p.skip, p.size), (100, 50));
        let far = check_page(0, 10, i64::MAX, 50).unwrap();
        assert_eq!(far.skip, u64::MAX);
    }

    #[test]
    fn the_cursor_points_past_the_last_record() {
        let q = check_query(0, 10, 7, 10).unwrap();
        assert_eq!(next_cursor(&[], &q), MsgId(7));
        let m = Message {
            msgid: MsgId(41),
            appid: AppId::new("wx"),
            openid: OpenId::new("o"),
            worker: None,
            opercode: Opercode::Sent,
            msgtype: "text".into(),
            text: "t".into(),
            detail: "{}".into(),
            time: Timestamp(3),
        };
        assert_eq!(next_cursor(&[m], &q), MsgId(42));
    }
}
