//! [`CallbackTx`] for every backend: push settings, the outbox and the
//! delivery log. Outbox and log ids are generated keys (`AUTOINCREMENT` in
//! SQLite, `BIGSERIAL` in PostgreSQL) that come back through `RETURNING`:
//! they only grow and are never handed out again. How a claim chooses its
//! pushes is in [`crate::claim`]; why two dispatchers never get the same
//! push is each backend's [`Conn::mark_claimed`].

use super::conn::{Conn, Param, Row, Sql};
use super::rows::{callback_row, delivery_row, pending_row, session_row};
use crate::claim::oldest;
use crate::error::StoreError;
use crate::tx::CallbackTx;
use kefu_core::callback::CallbackConfig;
use kefu_core::ids::AppId;
use kefu_core::push::{Delivery, Pending, Push, PushId};
use kefu_core::session::Session;
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

impl<C: Conn> CallbackTx for C {
    fn callback(&mut self, appid: &AppId) -> R<Option<CallbackConfig>> {
        static SQL: Sql = Sql::new(concat!("SELECT ", callback_cols!(), " FROM callbacks WHERE appid = $1"));
        self.one(&SQL, &[&appid.as_str()], |r| callback_row(r))
    }

    fn put_callback(&mut self, c: &CallbackConfig) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO callbacks (",
            callback_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (appid) DO UPDATE SET url = excluded.url, \
             token = excluded.token, encoding_aes_key = excluded.encoding_aes_key, mode = excluded.mode, \
             format = excluded.format, updated_at = excluded.updated_at"
        ));
        let p: &[&dyn Param] = &[
            &c.appid.as_str(),
            &c.url,
            &c.token,
            &c.encoding_aes_key,
            &c.mode.as_str(),
            &c.format.as_str(),
            &c.updated_at.0,
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn delete_callback(&mut self, appid: &AppId) -> R<()> {
        static OUTBOX: Sql = Sql::new("DELETE FROM outbox WHERE appid = $1");
        static SETTINGS: Sql = Sql::new("DELETE FROM callbacks WHERE appid = $1");
        self.execute(&OUTBOX, &[&appid.as_str()])?;
        self.execute(&SETTINGS, &[&appid.as_str()]).map(drop)
    }

    fn enqueue_push(&mut self, p: &Push) -> R<PushId> {
        static SQL: Sql = Sql::new(
            "INSERT INTO outbox (appid, openid, created_at, nonce, event, msgid, a, b) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        );
        let (name, msgid, a, b) = p.event.to_parts();
        // Bit-cast: stored integers are signed.
        let nonce = p.nonce as i64;
        let params: &[&dyn Param] = &[
            &p.appid.as_str(),
            &p.openid.as_str(),
            &p.created_at.0,
            &nonce,
            &name,
            &msgid.map(|m| m.0),
            &a,
            &b,
        ];
        let id = self.one(&SQL, params, |r| r.i64(0))?;
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
        static FREE_STALE: Sql = Sql::new(
            "UPDATE outbox SET owner = NULL WHERE owner IS NOT NULL AND owner <> $1 \
             AND owner NOT IN (SELECT owner FROM push_instances WHERE seen_ms >= $2)",
        );
        self.execute(&FREE_STALE, &[&owner, &stale_before_ms])?;
        let claimed = oldest(candidates(self, owner, per_app, skip)?, limit);
        let ids: Vec<i64> = claimed.iter().map(|p| p.push.id.0).collect();
        self.mark_claimed(owner, &ids)?;
        Ok(claimed)
    }

    fn heartbeat(&mut self, owner: &str, now_ms: i64) -> R<()> {
        static SQL: Sql = Sql::new(
            "INSERT INTO push_instances (owner, seen_ms) VALUES ($1, $2) \
             ON CONFLICT (owner) DO UPDATE SET seen_ms = excluded.seen_ms",
        );
        self.execute(&SQL, &[&owner, &now_ms]).map(drop)
    }

    fn release_pushes(&mut self, owner: &str) -> R<()> {
        static SQL: Sql = Sql::new("UPDATE outbox SET owner = NULL WHERE owner <> $1");
        self.execute(&SQL, &[&owner]).map(drop)
    }

    fn drop_push(&mut self, id: PushId) -> R<()> {
        static SQL: Sql = Sql::new("DELETE FROM outbox WHERE id = $1");
        self.execute(&SQL, &[&id.0]).map(drop)
    }

    fn pending_pushes(&mut self, appid: &AppId) -> R<u64> {
        static SQL: Sql = Sql::new("SELECT COUNT(*) FROM outbox WHERE appid = $1");
        let n = self.one(&SQL, &[&appid.as_str()], |r| r.i64(0))?.unwrap_or(0);
        u64::try_from(n).map_err(|_| StoreError::Corrupt("outbox count".into()))
    }

    fn record_delivery(&mut self, d: &Delivery) -> R<i64> {
        static SQL: Sql = Sql::new(
            "INSERT INTO deliveries (push_id, appid, openid, event, attempt, at, url, request, status, \
             response, latency_ms, outcome, detail, last) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        );
        static DELIVERED: Sql = Sql::new("DELETE FROM outbox WHERE id = $1");
        static TRIED: Sql = Sql::new("UPDATE outbox SET attempts = $1 WHERE id = $2");
        let latency = i64::try_from(d.latency_ms).unwrap_or(i64::MAX);
        let p: &[&dyn Param] = &[
            &d.push_id.0,
            &d.appid.as_str(),
            &d.openid.as_str(),
            &d.event,
            &d.attempt,
            &d.at.0,
            &d.url,
            &d.request,
            &d.status.map(i64::from),
            &d.response,
            &latency,
            &d.outcome.as_str(),
            &d.detail,
            &d.last,
        ];
        let id = self
            .one(&SQL, p, |r| r.i64(0))?
            .ok_or_else(|| StoreError::Backend("the insert returned no delivery id".into()))?;
        if d.last {
            self.execute(&DELIVERED, &[&d.push_id.0])?;
        } else {
            self.execute(&TRIED, &[&d.attempt, &d.push_id.0])?;
        }
        Ok(id)
    }

    fn deliveries(&mut self, appid: &AppId, before: Option<i64>, limit: u32) -> R<Vec<Delivery>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            delivery_cols!(),
            " FROM deliveries WHERE appid = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        ));
        let p: &[&dyn Param] = &[&appid.as_str(), &before.unwrap_or(i64::MAX), &limit];
        self.all(&SQL, p, |r| delivery_row(r))
    }

    fn prune_deliveries(&mut self, appid: &AppId, keep: u32) -> R<()> {
        // The newest entry past the `keep` newest, and every older one; none
        // when there is no such entry (`id <= NULL` holds for no row).
        static SQL: Sql = Sql::new(
            "DELETE FROM deliveries WHERE appid = $1 AND id <= \
             (SELECT id FROM deliveries WHERE appid = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
        );
        self.execute(&SQL, &[&appid.as_str(), &keep]).map(drop)
    }

    fn idle_sessions(&mut self, before: Timestamp, limit: u32) -> R<Vec<Session>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions WHERE last_msg_at < $1 ORDER BY last_msg_at, appid, openid LIMIT $2"
        ));
        self.all(&SQL, &[&before.0, &limit], |r| session_row(r))
    }
}

/// Each app's oldest free pushes (at most `per_app`), apps in `skip` left
/// out: the candidates of a claim for `owner`.
fn candidates<C: Conn>(c: &mut C, owner: &str, per_app: u32, skip: &[AppId]) -> R<Vec<Pending>> {
    static NEXT_APP: Sql = Sql::new("SELECT MIN(appid) FROM outbox WHERE owner IS NULL AND appid > $1");
    static APP_PUSHES: Sql = Sql::new(concat!(
        "SELECT ",
        push_cols!(),
        " FROM outbox o WHERE owner IS NULL AND appid = $1",
        // A follower's later push waits while another process holds an earlier one.
        " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.appid = o.appid AND e.openid = o.openid",
        " AND e.id < o.id AND e.owner IS NOT NULL AND e.owner <> $2)",
        " ORDER BY id LIMIT $3"
    ));
    let mut candidates = Vec::new();
    let mut after = String::new();
    while let Some(app) = c.one(&NEXT_APP, &[&after], |r| r.opt_text(0))?.flatten() {
        if !skip.iter().any(|s| s.as_str() == app) {
            candidates.extend(c.all(&APP_PUSHES, &[&app, &owner, &per_app], |r| pending_row(r))?);
        }
        after = app;
    }
    Ok(candidates)
}
