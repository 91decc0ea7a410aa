//! [`CallbackTx`] over PostgreSQL: push settings, the outbox and the
//! delivery log. Ids come from sequences (`BIGSERIAL`), so they only grow.
//!
//! Several processes claim from one outbox. A claim is one statement that
//! picks the free pushes and marks them; as write jobs run SERIALIZABLE, of
//! two claims that pick the same push one fails with a serialization failure
//! and is run again by the worker on the winner's data, so no push is ever
//! handed to two dispatchers.

use super::exec::{Params, PgTx};
use super::rows::{callback_row, delivery_row, get, pending_row, session_row};
use crate::claim::oldest;
use crate::tx::CallbackTx;
use crate::StoreError;
use kefu_core::callback::CallbackConfig;
use kefu_core::ids::AppId;
use kefu_core::push::{Delivery, Pending, Push, PushId};
use kefu_core::session::Session;
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

impl CallbackTx for PgTx<'_, '_> {
    fn callback(&mut self, appid: &AppId) -> R<Option<CallbackConfig>> {
        let sql = concat!("SELECT ", callback_cols!(), " FROM callbacks WHERE appid = $1");
        self.one(sql, &[&appid.as_str()], callback_row)
    }

    fn put_callback(&mut self, c: &CallbackConfig) -> R<()> {
        let p: Params<'_> = &[
            &c.appid.as_str(),
            &c.url,
            &c.token,
            &c.encoding_aes_key,
            &c.mode.as_str(),
            &c.format.as_str(),
            &c.updated_at.0,
        ];
        self.exec(
            concat!(
                "INSERT INTO callbacks (",
                callback_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (appid) DO UPDATE SET url = excluded.url, \
                 token = excluded.token, encoding_aes_key = excluded.encoding_aes_key, mode = excluded.mode, \
                 format = excluded.format, updated_at = excluded.updated_at"
            ),
            p,
        )
    }

    fn delete_callback(&mut self, appid: &AppId) -> R<()> {
        self.exec("DELETE FROM outbox WHERE appid = $1", &[&appid.as_str()])?;
        self.exec("DELETE FROM callbacks WHERE appid = $1", &[&appid.as_str()])
    }

    fn enqueue_push(&mut self, p: &Push) -> R<PushId> {
        let (name, msgid, a, b) = p.event.to_parts();
        // Bit-cast: BIGINT is signed.
        let nonce = p.nonce as i64;
        let params: Params<'_> = &[
            &p.appid.as_str(),
            &p.openid.as_str(),
            &p.created_at.0,
            &nonce,
            &name,
            &msgid.map(|m| m.0),
            &a,
            &b,
        ];
        let id = self.one(
            "INSERT INTO outbox (appid, openid, created_at, nonce, event, msgid, a, b) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params,
            |r| get::<i64>(r, 0),
        )?;
        id.map(PushId)
            .ok_or_else(|| StoreError::Backend("the insert returned no push id".into()))
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
            "UPDATE outbox SET owner = NULL WHERE owner IS NOT NULL AND owner <> $1 \
             AND owner NOT IN (SELECT owner FROM push_instances WHERE seen_ms >= $2)",
            &[&owner, &stale_before_ms],
        )?;
        let sql = concat!(
            "SELECT ",
            push_cols!(),
            " FROM outbox o WHERE owner IS NULL AND appid = $1",
            // A follower's later push waits while another process holds an earlier one.
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.appid = o.appid AND e.openid = o.openid",
            " AND e.id < o.id AND e.owner IS NOT NULL AND e.owner <> $2)",
            " ORDER BY id LIMIT $3"
        );
        let mut candidates = Vec::new();
        let mut after = String::new();
        loop {
            let next = self.one(
                "SELECT MIN(appid) FROM outbox WHERE owner IS NULL AND appid > $1",
                &[&after],
                |r| get::<Option<String>>(r, 0),
            )?;
            let Some(Some(app)) = next else { break };
            if !skip.iter().any(|s| s.as_str() == app) {
                candidates.extend(self.all(sql, &[&app, &owner, &i64::from(per_app)], pending_row)?);
            }
            after = app;
        }
        let claimed = oldest(candidates, limit);
        let ids: Vec<i64> = claimed.iter().map(|p| p.push.id.0).collect();
        self.exec("UPDATE outbox SET owner = $1 WHERE id = ANY($2)", &[&owner, &ids])?;
        Ok(claimed)
    }

    fn heartbeat(&mut self, owner: &str, now_ms: i64) -> R<()> {
        self.exec(
            "INSERT INTO push_instances (owner, seen_ms) VALUES ($1, $2) \
             ON CONFLICT (owner) DO UPDATE SET seen_ms = excluded.seen_ms",
            &[&owner, &now_ms],
        )
    }

    fn release_pushes(&mut self, owner: &str) -> R<()> {
        self.exec("UPDATE outbox SET owner = NULL WHERE owner <> $1", &[&owner])
    }

    fn drop_push(&mut self, id: PushId) -> R<()> {
        self.exec("DELETE FROM outbox WHERE id = $1", &[&id.0])
    }

    fn pending_pushes(&mut self, appid: &AppId) -> R<u64> {
        let n = self.one(
            "SELECT COUNT(*) FROM outbox WHERE appid = $1",
            &[&appid.as_str()],
            |r| get::<i64>(r, 0),
        )?;
        u64::try_from(n.unwrap_or(0)).map_err(|_| StoreError::Corrupt("outbox count".into()))
    }

    fn record_delivery(&mut self, d: &Delivery) -> R<i64> {
        let (attempt, status) = (i64::from(d.attempt), d.status.map(i64::from));
        let latency = i64::try_from(d.latency_ms).unwrap_or(i64::MAX);
        let p: Params<'_> = &[
            &d.push_id.0,
            &d.appid.as_str(),
            &d.openid.as_str(),
            &d.event,
            &attempt,
            &d.at.0,
            &d.url,
            &d.request,
            &status,
            &d.response,
            &latency,
            &d.outcome.as_str(),
            &d.detail,
            &d.last,
        ];
        let id = self
            .one(
                "INSERT INTO deliveries (push_id, appid, openid, event, attempt, at, url, request, status, \
                 response, latency_ms, outcome, detail, last) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                p,
                |r| get::<i64>(r, 0),
            )?
            .ok_or_else(|| StoreError::Backend("the insert returned no delivery id".into()))?;
        if d.last {
            self.exec("DELETE FROM outbox WHERE id = $1", &[&d.push_id.0])?;
        } else {
            self.exec(
                "UPDATE outbox SET attempts = $1 WHERE id = $2",
                &[&attempt, &d.push_id.0],
            )?;
        }
        Ok(id)
    }

    fn deliveries(&mut self, appid: &AppId, before: Option<i64>, limit: u32) -> R<Vec<Delivery>> {
        self.all(
            concat!(
                "SELECT ",
                delivery_cols!(),
                " FROM deliveries WHERE appid = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
            ),
            &[&appid.as_str(), &before.unwrap_or(i64::MAX), &i64::from(limit)],
            delivery_row,
        )
    }

    fn prune_deliveries(&mut self, appid: &AppId, keep: u32) -> R<()> {
        // The newest entry past the `keep` newest, and every older one; none
        // when there is no such entry (`id <= NULL` holds for no row).
        self.exec(
            "DELETE FROM deliveries WHERE appid = $1 AND id <= \
             (SELECT id FROM deliveries WHERE appid = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
            &[&appid.as_str(), &i64::from(keep)],
        )
    }

    fn idle_sessions(&mut self, before: Timestamp, limit: u32) -> R<Vec<Session>> {
        self.all(
            concat!(
                "SELECT ",
                session_cols!(),
                " FROM sessions WHERE last_msg_at < $1 ORDER BY last_msg_at, appid, openid LIMIT $2"
            ),
            &[&before.0, &i64::from(limit)],
            session_row,
        )
    }
}
