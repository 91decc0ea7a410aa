//! [`Tx`] over one SQLite transaction: plain SQL, one statement per method,
//! statements cached by the connection.

use super::backend;
use super::rows::{app_row, counter_row, fan_row, kf_row, session_row, token_row};
use crate::codec::{encode_list, encode_quotas};
use crate::tx::{HeadImage, Tx};
use crate::StoreError;
use kefu_core::app::App;
use kefu_core::ids::{AccessToken, AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::KfRecord;
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Params, Row};
use std::cell::Cell;

type R<T> = Result<T, StoreError>;

pub(crate) struct SqliteTx<'a> {
    conn: &'a Connection,
    wrote: Cell<bool>,
}

impl<'a> SqliteTx<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        SqliteTx {
            conn,
            wrote: Cell::new(false),
        }
    }

    /// Whether any write statement ran through this transaction view.
    pub(crate) fn wrote(&self) -> bool {
        self.wrote.get()
    }

    pub(super) fn one<T, P: Params>(&self, sql: &str, p: P, f: fn(&Row<'_>) -> rusqlite::Result<T>) -> R<Option<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        stmt.query_row(p, f).optional().map_err(backend)
    }

    pub(super) fn all<T, P: Params>(&self, sql: &str, p: P, f: fn(&Row<'_>) -> rusqlite::Result<T>) -> R<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        let rows = stmt.query_map(p, f).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    pub(super) fn last_rowid(&self) -> i64 {
        self.conn.last_insert_rowid()
    }

    pub(super) fn exec<P: Params>(&self, sql: &str, p: P) -> R<()> {
        self.wrote.set(true);
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        stmt.execute(p).map(|_| ()).map_err(backend)
    }
}

impl Tx for SqliteTx<'_> {
    fn meta(&mut self, key: &str) -> R<Option<String>> {
        self.one("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> R<()> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
    }

    fn app(&mut self, appid: &AppId) -> R<Option<App>> {
        let sql = concat!("SELECT ", app_cols!(), " FROM apps WHERE appid = ?1");
        self.one(sql, [appid.as_str()], app_row)
    }

    fn apps(&mut self) -> R<Vec<App>> {
        let sql = concat!("SELECT ", app_cols!(), " FROM apps ORDER BY created_at, appid");
        self.all(sql, [], app_row)
    }

    fn put_app(&mut self, a: &App) -> R<()> {
        let sql = concat!(
            "INSERT OR REPLACE INTO apps (",
            app_cols!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        );
        self.exec(
            sql,
            params![
                a.appid.as_str(),
                a.secret,
                a.account_type.as_str(),
                a.certified,
                a.wechat_id,
                a.original_id,
                a.kf_enabled,
                a.next_kf_id,
                a.created_at.0,
                encode_list(&a.ip_whitelist),
                encode_quotas(&a.quotas)
            ],
        )
    }

    fn token(&mut self, token: &AccessToken) -> R<Option<TokenRecord>> {
        let sql = concat!("SELECT ", token_cols!(), " FROM tokens t WHERE t.token = ?1");
        self.one(sql, [token.as_str()], token_row)
    }

    fn current_token(&mut self, appid: &AppId, kind: TokenKind) -> R<Option<TokenRecord>> {
        let sql = concat!(
            "SELECT ",
            token_cols!(),
            " FROM current_tokens c JOIN tokens t ON t.token = c.token WHERE c.appid = ?1 AND c.kind = ?2"
        );
        self.one(sql, [appid.as_str(), kind.as_str()], token_row)
    }

    fn put_token(&mut self, t: &TokenRecord, current: bool) -> R<()> {
        self.exec(
            "INSERT OR REPLACE INTO tokens (token, appid, kind, issued_at, expires_at, invalid_after, via) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                t.token.as_str(),
                t.appid.as_str(),
                t.kind.as_str(),
                t.issued_at.0,
                t.expires_at.0,
                t.invalid_after.map(|x| x.0),
                t.via.as_ref().map(|v| v.as_str())
            ],
        )?;
        if current {
            self.exec(
                "INSERT OR REPLACE INTO current_tokens (appid, kind, token) VALUES (?1, ?2, ?3)",
                [t.appid.as_str(), t.kind.as_str(), t.token.as_str()],
            )?;
        }
        Ok(())
    }

    fn prune_tokens(&mut self, appid: &AppId, before: Timestamp) -> R<()> {
        self.exec(
            "DELETE FROM tokens WHERE appid = ?1 AND expires_at < ?2 \
             AND token NOT IN (SELECT token FROM current_tokens WHERE appid = ?1)",
            params![appid.as_str(), before.0],
        )
    }

    fn counter(&mut self, appid: &AppId, key: &str) -> R<Option<Counter>> {
        self.one(
            "SELECT window_start, count, last_at FROM counters WHERE appid = ?1 AND key = ?2",
            [appid.as_str(), key],
            counter_row,
        )
    }

    fn put_counter(&mut self, appid: &AppId, key: &str, c: &Counter) -> R<()> {
        self.exec(
            "INSERT OR REPLACE INTO counters (appid, key, window_start, count, last_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![appid.as_str(), key, c.window_start.0, c.count, c.last_at.0],
        )
    }

    fn clear_counters(&mut self, appid: &AppId, prefix: &str) -> R<()> {
        self.exec(
            "DELETE FROM counters WHERE appid = ?1 AND substr(key, 1, length(?2)) = ?2",
            [appid.as_str(), prefix],
        )
    }

    fn kf(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<KfRecord>> {
        let sql = concat!(
            "SELECT ",
            kf_cols!(),
            " FROM kf_accounts WHERE appid = ?1 AND kf_account = ?2"
        );
        self.one(sql, [appid.as_str(), account.as_str()], kf_row)
    }

    fn kfs(&mut self, appid: &AppId) -> R<Vec<KfRecord>> {
        let sql = concat!(
            "SELECT ",
            kf_cols!(),
            " FROM kf_accounts WHERE appid = ?1 ORDER BY kf_id"
        );
        self.all(sql, [appid.as_str()], kf_row)
    }

    fn put_kf(&mut self, k: &KfRecord) -> R<()> {
        let inv = k.invitation.as_ref();
        let sql = concat!(
            "INSERT OR REPLACE INTO kf_accounts (",
            kf_cols!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        );
        self.exec(
            sql,
            params![
                k.appid.as_str(),
                k.account.as_str(),
                k.kf_id,
                k.nickname,
                k.headimg_version,
                k.worker.as_ref().map(|w| w.as_str()),
                k.online,
                inv.map(|i| i.wx.as_str()),
                inv.map(|i| i.expire_time.0),
                inv.is_some_and(|i| i.rejected)
            ],
        )
    }

    fn delete_kf(&mut self, appid: &AppId, account: &KfAccount) -> R<()> {
        let p = [appid.as_str(), account.as_str()];
        self.exec("DELETE FROM sessions WHERE appid = ?1 AND kf_account = ?2", p)?;
        self.exec(
            "UPDATE waitcases SET kf_account = NULL WHERE appid = ?1 AND kf_account = ?2",
            p,
        )?;
        self.exec("DELETE FROM headimgs WHERE appid = ?1 AND kf_account = ?2", p)?;
        self.exec("DELETE FROM kf_accounts WHERE appid = ?1 AND kf_account = ?2", p)
    }

    fn bindings(&mut self, wx: &WechatId) -> R<u32> {
        let n = self.one(
            "SELECT COUNT(*) FROM kf_accounts WHERE worker = ?1",
            [wx.as_str()],
            |r| r.get(0),
        )?;
        Ok(n.unwrap_or(0))
    }

    fn wx_invalid(&mut self, wx: &WechatId) -> R<bool> {
        let v = self.one("SELECT invalid FROM wechat_users WHERE wx = ?1", [wx.as_str()], |r| {
            r.get(0)
        })?;
        Ok(v.unwrap_or(false))
    }

    fn set_wx_invalid(&mut self, wx: &WechatId, invalid: bool) -> R<()> {
        self.exec(
            "INSERT OR REPLACE INTO wechat_users (wx, invalid) VALUES (?1, ?2)",
            params![wx.as_str(), invalid],
        )
    }

    fn headimg(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<HeadImage>> {
        self.one(
            "SELECT content_type, data FROM headimgs WHERE appid = ?1 AND kf_account = ?2",
            [appid.as_str(), account.as_str()],
            |r| {
                Ok(HeadImage {
                    content_type: r.get(0)?,
                    data: r.get(1)?,
                })
            },
        )
    }

    fn put_headimg(&mut self, appid: &AppId, account: &KfAccount, img: &HeadImage) -> R<()> {
        self.exec(
            "INSERT OR REPLACE INTO headimgs (appid, kf_account, content_type, data) VALUES (?1, ?2, ?3, ?4)",
            params![appid.as_str(), account.as_str(), img.content_type, img.data],
        )
    }

    fn fan(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Fan>> {
        self.one(
            concat!("SELECT ", fan_cols!(), " FROM fans WHERE appid = ?1 AND openid = ?2"),
            [appid.as_str(), openid.as_str()],
            fan_row,
        )
    }

    fn fans(&mut self, appid: &AppId) -> R<Vec<Fan>> {
        self.all(
            concat!(
                "SELECT ",
                fan_cols!(),
                " FROM fans WHERE appid = ?1 ORDER BY followed_at, openid"
            ),
            [appid.as_str()],
            fan_row,
        )
    }

    fn put_fan(&mut self, f: &Fan) -> R<()> {
        let c = &f.contact;
        self.exec(
            concat!(
                "INSERT OR REPLACE INTO fans (",
                fan_cols!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                f.appid.as_str(),
                f.openid.as_str(),
                f.subscribed,
                f.followed_at.0,
                f.ever_followed,
                c.message.left,
                c.message.until.0,
                c.event.left,
                c.event.until.0,
                c.last_contact.map(|t| t.0),
                c.typing_until.map(|t| t.0),
            ],
        )
    }

    fn session(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Session>> {
        self.one(
            concat!(
                "SELECT ",
                session_cols!(),
                " FROM sessions WHERE appid = ?1 AND openid = ?2"
            ),
            [appid.as_str(), openid.as_str()],
            session_row,
        )
    }

    fn sessions(&mut self, appid: &AppId) -> R<Vec<Session>> {
        self.all(
            concat!(
                "SELECT ",
                session_cols!(),
                " FROM sessions WHERE appid = ?1 ORDER BY created_at, openid"
            ),
            [appid.as_str()],
            session_row,
        )
    }

    fn put_session(&mut self, s: &Session) -> R<()> {
        self.exec(
            concat!(
                "INSERT OR REPLACE INTO sessions (",
                session_cols!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5)"
            ),
            params![
                s.appid.as_str(),
                s.openid.as_str(),
                s.kf_account.as_str(),
                s.created_at.0,
                s.last_msg_at.0
            ],
        )
    }

    fn delete_session(&mut self, appid: &AppId, openid: &OpenId) -> R<()> {
        self.exec(
            "DELETE FROM sessions WHERE appid = ?1 AND openid = ?2",
            [appid.as_str(), openid.as_str()],
        )
    }

    fn accepted_cases(&mut self, appid: &AppId, live_since: Timestamp) -> R<Vec<(KfAccount, u32)>> {
        self.all(
            "SELECT kf_account, COUNT(*) FROM sessions WHERE appid = ?1 AND last_msg_at >= ?2 GROUP BY kf_account",
            params![appid.as_str(), live_since.0],
            |r| Ok((KfAccount::new(r.get::<_, String>(0)?), r.get(1)?)),
        )
    }

    fn wipe(&mut self) -> R<()> {
        self.wrote.set(true);
        // Heartbeats (`push_instances`) stay: they say which dispatchers are
        // alive, and without them a live one's next claims would look abandoned.
        self.conn
            .execute_batch(
                "DELETE FROM meta; DELETE FROM apps; DELETE FROM tokens; DELETE FROM current_tokens;
                 DELETE FROM counters; DELETE FROM kf_accounts; DELETE FROM headimgs;
                 DELETE FROM wechat_users; DELETE FROM fans; DELETE FROM sessions;
                 DELETE FROM waitcases; DELETE FROM messages; DELETE FROM components;
                 DELETE FROM tickets; DELETE FROM authorizations;
                 DELETE FROM callbacks; DELETE FROM outbox; DELETE FROM deliveries;",
            )
            .map_err(backend)
    }
}
