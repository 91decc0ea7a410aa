//! [`ConversationTx`] for every backend: the waiting queue and messages.
//! Arrival order (`seq`) and message ids are the tables' generated keys
//! (`INTEGER PRIMARY KEY` in SQLite, `BIGSERIAL` in PostgreSQL), so a new
//! row always gets a larger one.

use super::conn::{Conn, Param, Row, Sql};
use super::rows::{message_row, waitcase_row};
use crate::error::StoreError;
use crate::tx::ConversationTx;
use kefu_core::ids::{AppId, MsgId, OpenId};
use kefu_core::message::{Message, RecordQuery};
use kefu_core::queue::WaitCase;

type R<T> = Result<T, StoreError>;

impl<C: Conn> ConversationTx for C {
    fn waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<WaitCase>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            waitcase_cols!(),
            " FROM waitcases WHERE appid = $1 AND openid = $2"
        ));
        self.one(&SQL, &[&appid.as_str(), &openid.as_str()], |r| waitcase_row(r))
    }

    fn waitcases(&mut self, appid: &AppId) -> R<Vec<WaitCase>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            waitcase_cols!(),
            " FROM waitcases WHERE appid = $1 ORDER BY seq"
        ));
        self.all(&SQL, &[&appid.as_str()], |r| waitcase_row(r))
    }

    fn put_waitcase(&mut self, w: &WaitCase) -> R<()> {
        // An upsert, not a replace: the row keeps its `seq`, and so the
        // follower keeps their place.
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO waitcases (",
            waitcase_cols!(),
            ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appid, openid) DO UPDATE SET ",
            "kf_account = excluded.kf_account, arrived_at = excluded.arrived_at, ",
            "latest_time = excluded.latest_time"
        ));
        let p: &[&dyn Param] = &[
            &w.appid.as_str(),
            &w.openid.as_str(),
            &w.kf_account.as_ref().map(|k| k.as_str()),
            &w.arrived_at.0,
            &w.latest_time.0,
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn delete_waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<()> {
        static SQL: Sql = Sql::new("DELETE FROM waitcases WHERE appid = $1 AND openid = $2");
        self.execute(&SQL, &[&appid.as_str(), &openid.as_str()]).map(drop)
    }

    fn insert_message(&mut self, m: &Message) -> R<MsgId> {
        static SQL: Sql = Sql::new(
            "INSERT INTO messages (appid, openid, worker, opercode, msgtype, text, detail, time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING msgid",
        );
        let p: &[&dyn Param] = &[
            &m.appid.as_str(),
            &m.openid.as_str(),
            &m.worker.as_ref().map(|k| k.as_str()),
            &m.opercode.code(),
            &m.msgtype,
            &m.text,
            &m.detail,
            &m.time.0,
        ];
        let id = self.one(&SQL, p, |r| r.i64(0))?;
        id.map(MsgId)
            .ok_or_else(|| StoreError::Backend("the insert returned no msgid".into()))
    }

    fn records(&mut self, appid: &AppId, q: &RecordQuery) -> R<Vec<Message>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages WHERE appid = $1 AND worker IS NOT NULL AND time BETWEEN $2 AND $3",
            " AND msgid >= $4 ORDER BY msgid LIMIT $5"
        ));
        let p: &[&dyn Param] = &[&appid.as_str(), &q.start.0, &q.end.0, &q.from.0, &q.limit];
        self.all(&SQL, p, |r| message_row(r))
    }

    fn messages(&mut self, appid: &AppId, openid: &OpenId, from: MsgId, limit: u32) -> R<Vec<Message>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            message_cols!(),
            " FROM messages WHERE appid = $1 AND openid = $2 AND msgid >= $3 ORDER BY msgid LIMIT $4"
        ));
        let p: &[&dyn Param] = &[&appid.as_str(), &openid.as_str(), &from.0, &limit];
        self.all(&SQL, p, |r| message_row(r))
    }
}
