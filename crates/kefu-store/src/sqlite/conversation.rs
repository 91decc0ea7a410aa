//! [`ConversationTx`] over SQLite: the waiting queue and messages.

use super::rows::{message_row, waitcase_row};
use super::tx::SqliteTx;
use crate::tx::ConversationTx;
use crate::StoreError;
use kefu_core::ids::{AppId, MsgId, OpenId};
use kefu_core::message::{Message, RecordQuery};
use kefu_core::queue::WaitCase;
use rusqlite::params;

type R<T> = Result<T, StoreError>;

impl ConversationTx for SqliteTx<'_> {
    fn waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<WaitCase>> {
        self.one(
            concat!(
                "SELECT ",
                waitcase_cols!(),
                " FROM waitcases WHERE appid = ?1 AND openid = ?2"
            ),
            [appid.as_str(), openid.as_str()],
            waitcase_row,
        )
    }

    fn waitcases(&mut self, appid: &AppId) -> R<Vec<WaitCase>> {
        self.all(
            concat!(
                "SELECT ",
                waitcase_cols!(),
                " FROM waitcases WHERE appid = ?1 ORDER BY seq"
            ),
            [appid.as_str()],
            waitcase_row,
        )
    }

    fn put_waitcase(&mut self, w: &WaitCase) -> R<()> {
        // An upsert keeps the row's `seq`, and so the follower's place.
        self.exec(
            concat!(
                "INSERT INTO waitcases (",
                waitcase_cols!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (appid, openid) DO UPDATE SET ",
                "kf_account = excluded.kf_account, arrived_at = excluded.arrived_at, ",
                "latest_time = excluded.latest_time"
            ),
            params![
                w.appid.as_str(),
                w.openid.as_str(),
                w.kf_account.as_ref().map(|k| k.as_str()),
                w.arrived_at.0,
                w.latest_time.0
            ],
        )
    }

    fn delete_waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<()> {
        self.exec(
            "DELETE FROM waitcases WHERE appid = ?1 AND openid = ?2",
            [appid.as_str(), openid.as_str()],
        )
    }

    fn insert_message(&mut self, m: &Message) -> R<MsgId> {
        self.exec(
            "INSERT INTO messages (appid, openid, worker, opercode, msgtype, text, detail, time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                m.appid.as_str(),
                m.openid.as_str(),
                m.worker.as_ref().map(|k| k.as_str()),
                m.opercode.code(),
                m.msgtype,
                m.text,
                m.detail,
                m.time.0
            ],
        )?;
        Ok(MsgId(self.last_rowid()))
    }

    fn records(&mut self, appid: &AppId, q: &RecordQuery) -> R<Vec<Message>> {
        self.all(
            concat!(
                "SELECT ",
                message_cols!(),
                " FROM messages WHERE appid = ?1 AND worker IS NOT NULL AND time BETWEEN ?2 AND ?3",
                " AND msgid >= ?4 ORDER BY msgid LIMIT ?5"
            ),
            params![appid.as_str(), q.start.0, q.end.0, q.from.0, q.limit],
            message_row,
        )
    }

    fn messages(&mut self, appid: &AppId, openid: &OpenId, from: MsgId, limit: u32) -> R<Vec<Message>> {
        self.all(
            concat!(
                "SELECT ",
                message_cols!(),
                " FROM messages WHERE appid = ?1 AND openid = ?2 AND msgid >= ?3 ORDER BY msgid LIMIT ?4"
            ),
            params![appid.as_str(), openid.as_str(), from.0, limit],
            message_row,
        )
    }
}
