//! Messages on the WeChat side: `message/custom/send`, typing, and the chat
//! records of `msgrecord/getmsglist`.

use super::sessions::live_session;
use super::{enabled_app, find_kf};
use crate::error::ApiError;
use crate::state::AppState;
use kefu_api::conversation::{
    CustomMessage, LegacyRecord, LegacyRecordList, MsgList, MsgListRequest, Record, RecordPageRequest, TypingRequest,
};
use kefu_core::app::AccountType;
use kefu_core::ids::{AppId, MsgId, OpenId};
use kefu_core::message::{self, Message, Opercode};
use kefu_core::outgoing::{self, Fields};
use kefu_core::window::Typing;
use kefu_core::ErrCode;

fn opt(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

/// The fields of the object `msgtype` names, as the core checks them.
fn fields(m: &CustomMessage) -> Fields<'_> {
    let mut f = Fields::default();
    match m.msgtype.as_str() {
        "text" => f.content = m.text.as_ref().map_or("", |t| t.content.as_str()),
        "image" => f.media_id = m.image.as_ref().map_or("", |b| b.media_id.as_str()),
        "voice" => f.media_id = m.voice.as_ref().map_or("", |b| b.media_id.as_str()),
        "mpnews" => f.media_id = m.mpnews.as_ref().map_or("", |b| b.media_id.as_str()),
        "video" => f.media_id = m.video.as_ref().map_or("", |b| opt(&b.media_id)),
        "music" => f.thumb_media_id = m.music.as_ref().map_or("", |b| opt(&b.thumb_media_id)),
        "news" => f.articles = m.news.as_ref().map_or(0, |n| n.articles.len()),
        "mpnewsarticle" => f.article_id = m.mpnewsarticle.as_ref().map_or("", |a| a.article_id.as_str()),
        "msgmenu" => f.menu_items = m.msgmenu.as_ref().map_or(0, |b| b.list.len()),
        "wxcard" => f.card_id = m.wxcard.as_ref().map_or("", |b| b.card_id.as_str()),
        "miniprogrampage" => {
            let b = m.miniprogrampage.as_ref();
            f.thumb_media_id = b.map_or("", |b| opt(&b.thumb_media_id));
            f.pagepath = b.map_or("", |b| opt(&b.pagepath));
        }
        "link" => {
            let b = m.link.as_ref();
            f.title = b.map_or("", |b| opt(&b.title));
            f.url = b.map_or("", |b| opt(&b.url));
        }
        _ => {}
    }
    f
}

/// `message/custom/send`: 65400; the message itself (40008, 45162, 44004,
/// 45002, 40007, 44003, 45008, 47001); 65401 for an unknown
/// `customservice.kf_account`; 40003 unknown user; 43004 visitor; 45015
/// unfollowed or no open window; 45047 window used up.
pub(crate) async fn send(
    state: &AppState,
    caller: &AppId,
    account_type: AccountType,
    req: CustomMessage,
) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    let detail = req.body_json().to_string();
    state
        .store
        .write(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let f = fields(&req);
            let msgtype = outgoing::check(&req.msgtype, account_type, &f)?;
            let send_as = match req.customservice.as_ref().filter(|c| !c.kf_account.is_empty()) {
                Some(cs) => Some(find_kf(tx, &app, &cs.kf_account)?.account),
                None => None,
            };
            let openid = OpenId::new(req.touser.clone());
            let mut fan = tx.fan(&appid, &openid)?.ok_or(ErrCode::InvalidOpenId)?;
            fan.check_reachable()?;
            fan.contact.spend(now)?;
            tx.put_fan(&fan)?;
            let session = live_session(tx, &appid, &openid, now)?;
            if let Some(mut s) = session.clone() {
                s.last_msg_at = now;
                tx.put_session(&s)?;
            }
            tx.insert_message(&Message {
                msgid: MsgId(0),
                appid: appid.clone(),
                openid,
                worker: send_as.or(session.map(|s| s.kf_account)),
                opercode: Opercode::Sent,
                msgtype: msgtype.as_str().into(),
                text: outgoing::record_text(msgtype.as_str(), f.content),
                detail: detail.clone(),
                time: now,
            })?;
            Ok(())
        })
        .await
}

/// `message/custom/typing` and `business/typing`: 65400, 45072, 40003, then
/// for `Typing` 43004 / 45015 / 45047, 45080, 45081.
pub(crate) async fn typing(state: &AppState, caller: &AppId, req: TypingRequest) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .write(move |tx| {
            enabled_app(tx, &appid)?;
            let command = Typing::parse(&req.command)?;
            let openid = OpenId::new(req.touser.clone());
            let mut fan = tx.fan(&appid, &openid)?.ok_or(ErrCode::InvalidOpenId)?;
            if command == Typing::Start {
                fan.check_reachable()?;
            }
            fan.contact.typing(command, now)?;
            Ok(tx.put_fan(&fan)?)
        })
        .await
}

/// `msgrecord/getmsglist`: 65400, 65416, 65417; then up to `number` records
/// from `msgid` on, and the `msgid` to pass for the next page.
pub(crate) async fn records(state: &AppState, caller: &AppId, req: MsgListRequest) -> Result<MsgList, ApiError> {
    let appid = caller.clone();
    state
        .store
        .read(move |tx| {
            enabled_app(tx, &appid)?;
            let q = message::check_query(req.starttime, req.endtime, req.msgid, req.number)?;
            let found = tx.records(&appid, &q)?;
            let cursor = message::next_cursor(&found, &q);
            let recordlist: Vec<Record> = found
                .into_iter()
                .map(|m| Record {
                    openid: m.openid.to_string(),
                    opercode: m.opercode.code(),
                    text: m.text,
                    time: m.time.0,
                    worker: m.worker.map(|w| w.to_string()).unwrap_or_default(),
                })
                .collect();
            Ok(MsgList {
                number: recordlist.len() as i64,
                recordlist,
                msgid: cursor.0,
            })
        })
        .await
}

/// Records read per store call while `getrecord` looks for its page.
const PAGE_SCAN: u32 = 10_000;

/// `msgrecord/getrecord`, the retired endpoint (lenient mode only): the
/// records `getmsglist` reads, filtered by `openid` when given and cut in
/// pages of `pagesize` (65416, 65417 as `getmsglist`).
pub(crate) async fn record_page(
    state: &AppState,
    caller: &AppId,
    req: RecordPageRequest,
) -> Result<LegacyRecordList, ApiError> {
    let appid = caller.clone();
    state
        .store
        .read(move |tx| {
            enabled_app(tx, &appid)?;
            let page = message::check_page(req.starttime, req.endtime, req.pageindex, req.pagesize)?;
            let openid = req.openid.as_deref().filter(|o| !o.is_empty());
            let mut q = message::RecordQuery {
                start: page.start,
                end: page.end,
                from: MsgId(1),
                limit: PAGE_SCAN,
            };
            let (mut skipped, mut recordlist) = (0u64, Vec::new());
            loop {
                let found = tx.records(&appid, &q)?;
                let (read, next) = (found.len(), message::next_cursor(&found, &q));
                let wanted = found
                    .into_iter()
                    .filter(|m| openid.is_none_or(|o| m.openid.as_str() == o));
                for m in wanted {
                    if skipped < page.skip {
                        skipped += 1;
                        continue;
                    }
                    recordlist.push(LegacyRecord {
                        worker: m.worker.map(|w| w.to_string()).unwrap_or_default(),
                        openid: m.openid.to_string(),
                        opercode: m.opercode.code(),
                        time: m.time.0,
                        text: m.text,
                    });
                    if recordlist.len() == page.size as usize {
                        return Ok(LegacyRecordList { recordlist });
                    }
                }
                if read < PAGE_SCAN as usize {
                    return Ok(LegacyRecordList { recordlist });
                }
                q.from = next;
            }
        })
        .await
}
