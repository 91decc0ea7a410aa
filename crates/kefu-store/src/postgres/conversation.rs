//! [`ConversationTx`] over PostgreSQL: the waiting queue and messages.
//! Arrival order and message ids come from sequences (`BIGSERIAL`).

use super::exec::{Params, PgTx};
use super::rows::{get, message_row, waitcase_row};
use crate::tx::ConversationTx;
use crate::StoreError;
use kefu_core::ids::{AppId, MsgId, OpenId};
use kefu_core::message::{Message, RecordQuery};
use kefu_core::queue::WaitCase;

type R<T> = Result<T, StoreError>;

impl ConversationTx for PgTx<'_, '_> {
    fn waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<WaitCase>> {
        self.one(
            concat!(
                "SELECT ",
                waitcase_cols!(),
                " FROM waitcases WHERE appid = $1 AND openid = $2"
            ),
            &[&appid.as_str(), &openid.as_str()],
            waitcase_row,
        )
    }

    fn waitcases(&mut self, appid: &AppId) -> R<Vec<WaitCase>> {
        self.all(
            concat!(
                "SELECT ",
                waitcase_cols!(),
                " FROM waitcases WHERE appid = $1 ORDER BY seq"
            ),
            &[&appid.as_str()],
            waitcase_row,
        )
    }

    fn put_waitcase(&mut self, w: &WaitCase) -> R<()> {
        let p: Params<'_> = &[
            &w.appid.as_str(),
            &w.openid.as_str(),
            &w.kf_account.as_ref().map(|k| k.as_str()),
            &w.arrived_at.0,
            &w.latest_time.0,
        ];
        // The upsert keeps the row's `seq`, and so the follower's place.
        self.exec(
            concat!(
                "INSERT INTO waitcases (",
                waitcase_cols!(),
                ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appid, openid) DO UPDATE SET ",
                "kf_account = excluded.kf_account, arrived_at = excluded.arrived_at, ",
                "latest_time = excluded.latest_time"
            ),
            p,
        )
    }

    fn delete_waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<()> {
        self.exec(
            "DELETE FROM waitcases WHERE appid = $1 AND openid = $2",
            &[&appid.as_str(), &openid.as_str()],
        )
    }

    fn insert_message(&mut self, m: &Message) -> R<MsgId> {
        let p: Params<'_> = &[
            &m.appid.as_str(),
            &m.openid.as_str(),
            &m.worker.as_ref().map(|k| k.as_str()),
            &m.opercode.code(),
            &m.msgtype,
            &m.text,
            &m.detail,
            &m.time.0,
        ];
        let id = self.one(
            "INSERT INTO messages (appid, openid, worker, opercode, msgtype, text, detail, time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING msgid",
            p,
            |r| get::<i64>(r, 0),
        )?;
        id.map(MsgId)
            .ok_or_else(|| StoreError::Backend("the insert returned no msgid".into()))
    }

    fn records(&mut self, appid: &AppId, q: &RecordQuery) -> R<Vec<Message>> {
        self.all(
            concat!(
                "SELECT ",
                message_cols!(),
                " FROM messages WHERE appid = $1 AND worker IS NOT NULL AND time BETWEEN $2 AND $3",
                " AND msgid >= $4 ORDER BY msgid LIMIT $5"
            ),
            &[&appid.as_str(), &q.start.0, &q.end.0, &q.from.0, &i64::from(q.limit)],
            message_row,
        )
    }

    fn messages(&mut self, appid: &AppId, openid: &OpenId, from: MsgId, limit: u32) -> R<Vec<Message>> {
        self.all(
            concat!(
                "SELECT ",
                message_cols!(),
                " FROM messages WHERE appid = $1 AND openid = $2 AND msgid >= $3 ORDER BY msgid LIMIT $4"
            ),
            &[&appid.as_str(), &openid.as_str(), &from.0, &i64::from(limit)],
            message_row,
        )
    }
}
