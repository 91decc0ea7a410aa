//! [`CallbackTx`] over SQLite: push settings, the outbox and the delivery
//! log. Outbox and log ids come from `AUTOINCREMENT`, so they only grow and
//! are never handed out again. One process owns the file and its writer runs
//! transactions one at a time, so a claim reads its pushes and then marks
//! them in the same transaction without anyone in between.

use super::rows::{callback_row, delivery_row, pending_row, session_row};
use super::tx::SqliteTx;
use crate::claim::oldest;
use crate::tx::CallbackTx;
use crate::StoreError;
use kefu_core::callback::CallbackConfig;
use kefu_core::ids::AppId;
use kefu_core::push::{Delivery, Pending, Push, PushId};
use kefu_core::session::Session;
use kefu_core::Timestamp;
use rusqlite::params;

type R<T> = Result<T, StoreError>;

impl CallbackTx for SqliteTx<'_> {
    fn callback(&mut self, appid: &AppId) -> R<Option<CallbackConfig>> {
        let sql = concat!("SELECT ", callback_cols!(), " FROM callbacks WHERE appid = ?1");
        self.one(sql, [appid.as_str()], callback_row)?.transpose()
    }

    fn put_callback(&mut self, c: &CallbackConfig) -> R<()> {
        self.exec(
            concat!(
                "INSERT OR REPLACE INTO callbacks (",
                callback_cols!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ),
            params![
                c.appid.as_str(),
                c.url,
                c.token,
                c.encoding_aes_key,
                c.mode.as_str(),
                c.format.as_str(),
                c.updated_at.0
            ],
        )
    }

    fn delete_callback(&mut self, appid: &AppId) -> R<()> {
        self.exec("DELETE FROM outbox WHERE appid = ?1", [appid.as_str()])?;
        self.exec("DELETE FROM callbacks WHERE appid = ?1", [appid.as_str()])
    }

    fn enqueue_push(&mut self, p: &Push) -> R<PushId> {
        let (name, msgid, a, b) = p.event.to_parts();
        self.exec(
            "INSERT INTO outbox (appid, openid, created_at, nonce, event, msgid, a, b) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.appid.as_str(),
                p.openid.as_str(),
                p.created_at.0,
                // Bit-cast: SQLite integers are signed.
                p.nonce as i64,
                name,
                msgid.map(|m| m.0),
                a,
                b
            ],
        )?;
        Ok(PushId(self.last_rowid()))
    }

    fn claim_pushes(
        &mut self,
        owner: &str,
        stale_before_ms: i64,
        per_app: u32,
        limit: u32,
        skip: &[AppId],
    ) -> R<Vec<Pending>> {
        // Claims of processes that stopped sending heartbeats are free again.
        self.exec(
            "UPDATE outbox SET owner = NULL WHERE owner IS NOT NULL AND owner <> ?1 \
             AND owner NOT IN (SELECT owner FROM push_instances WHERE seen_ms >= ?2)",
            params![owner, stale_before_ms],
        )?;
        let sql = concat!(
            "SELECT ",
            push_cols!(),
            " FROM outbox o WHERE owner IS NULL AND appid = ?1",
            // A follower's later push waits while another process holds an earlier one.
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.appid = o.appid AND e.openid = o.openid",
            " AND e.id < o.id AND e.owner IS NOT NULL AND e.owner <> ?2)",
            " ORDER BY id LIMIT ?3"
        );
        let mut candidates = Vec::new();
        let mut after = String::new();
        while let Some(Some(app)) = self.one(
            "SELECT MIN(appid) FROM outbox WHERE owner IS NULL AND appid > ?1",
            [&after],
            |r| r.get::<_, Option<String>>(0),
        )? {
            if !skip.iter().any(|s| s.as_str() == app) {
                for row in self.all(sql, params![app, owner, per_app], pending_row)? {
                    candidates.push(row?);
                }
            }
            after = app;
        }
        let claimed = oldest(candidates, limit);
        for pending in &claimed {
            self.exec(
                "UPDATE outbox SET owner = ?1 WHERE id = ?2",
                params![owner, pending.push.id.0],
            )?;
        }
        Ok(claimed)
    }

    fn heartbeat(&mut self, owner: &str, now_ms: i64) -> R<()> {
        self.exec(
            "INSERT INTO push_instances (owner, seen_ms) VALUES (?1, ?2) \
             ON CONFLICT (owner) DO UPDATE SET seen_ms = excluded.seen_ms",
            params![owner, now_ms],
        )
    }

    fn release_pushes(&mut self, owner: &str) -> R<()> {
        self.exec("UPDATE outbox SET owner = NULL WHERE owner <> ?1", [owner])
    }

    fn drop_push(&mut self, id: PushId) -> R<()> {
        self.exec("DELETE FROM outbox WHERE id = ?1", [id.0])
    }

    fn pending_pushes(&mut self, appid: &AppId) -> R<u64> {
        let n: Option<i64> = self.one("SELECT COUNT(*) FROM outbox WHERE appid = ?1", [appid.as_str()], |r| {
            r.get(0)
        })?;
        u64::try_from(n.unwrap_or(0)).map_err(|_| StoreError::Corrupt("outbox count".into()))
    }

    fn record_delivery(&mut self, d: &Delivery) -> R<i64> {
        self.exec(
            "INSERT INTO deliveries (push_id, appid, openid, event, attempt, at, url, request, status, response, \
             latency_ms, outcome, detail, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                d.push_id.0,
                d.appid.as_str(),
                d.openid.as_str(),
                d.event,
                d.attempt,
                d.at.0,
                d.url,
                d.request,
                d.status,
                d.response,
                i64::try_from(d.latency_ms).unwrap_or(i64::MAX),
                d.outcome.as_str(),
                d.detail,
                d.last
            ],
        )?;
        let id = self.last_rowid();
        if d.last {
            self.exec("DELETE FROM outbox WHERE id = ?1", [d.push_id.0])?;
        } else {
            self.exec(
                "UPDATE outbox SET attempts = ?1 WHERE id = ?2",
                params![d.attempt, d.push_id.0],
            )?;
        }
        Ok(id)
    }

    fn deliveries(&mut self, appid: &AppId, before: Option<i64>, limit: u32) -> R<Vec<Delivery>> {
        let sql = concat!(
            "SELECT ",
            delivery_cols!(),
            " FROM deliveries WHERE appid = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
        );
        let p = params![appid.as_str(), before.unwrap_or(i64::MAX), limit];
        self.all(sql, p, delivery_row)?.into_iter().collect()
    }

    fn prune_deliveries(&mut self, appid: &AppId, keep: u32) -> R<()> {
        // The newest entry past the `keep` newest, and every older one; none
        // when there is no such entry (`id <= NULL` holds for no row).
        self.exec(
            "DELETE FROM deliveries WHERE appid = ?1 AND id <= \
             (SELECT id FROM deliveries WHERE appid = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
            params![appid.as_str(), keep],
        )
    }

    fn idle_sessions(&mut self, before: Timestamp, limit: u32) -> R<Vec<Session>> {
        self.all(
            concat!(
                "SELECT ",
                session_cols!(),
                " FROM sessions WHERE last_msg_at < ?1 ORDER BY last_msg_at, appid, openid LIMIT ?2"
            ),
            params![before.0, limit],
            session_row,
        )
    }
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
