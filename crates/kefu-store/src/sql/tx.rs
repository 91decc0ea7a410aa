//! [`Tx`] for every backend: one statement per method, over any [`Conn`].

use super::conn::{Conn, Param, Row, Sql};
use super::rows::{app_row, counter_row, fan_row, kf_row, session_row, token_row};
use crate::codec::{encode_list, encode_quotas};
use crate::error::StoreError;
use crate::tx::{HeadImage, Tx};
use kefu_core::app::App;
use kefu_core::ids::{AccessToken, AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::KfRecord;
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

impl<C: Conn> Tx for C {
    fn meta(&mut self, key: &str) -> R<Option<String>> {
        static SQL: Sql = Sql::new("SELECT value FROM meta WHERE key = $1");
        self.one(&SQL, &[&key], |r| r.text(0))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> R<()> {
        static SQL: Sql = Sql::new(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        );
        self.execute(&SQL, &[&key, &value]).map(drop)
    }

    fn app(&mut self, appid: &AppId) -> R<Option<App>> {
        static SQL: Sql = Sql::new(concat!("SELECT ", app_cols!(), " FROM apps WHERE appid = $1"));
        self.one(&SQL, &[&appid.as_str()], |r| app_row(r))
    }

    fn apps(&mut self) -> R<Vec<App>> {
        static SQL: Sql = Sql::new(concat!("SELECT ", app_cols!(), " FROM apps ORDER BY created_at, appid"));
        self.all(&SQL, &[], |r| app_row(r))
    }

    fn put_app(&mut self, a: &App) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO apps (",
            app_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (appid) DO UPDATE SET \
             secret = excluded.secret, account_type = excluded.account_type, certified = excluded.certified, \
             wechat_id = excluded.wechat_id, original_id = excluded.original_id, \
             kf_enabled = excluded.kf_enabled, next_kf_id = excluded.next_kf_id, created_at = excluded.created_at, \
             ip_whitelist = excluded.ip_whitelist, quotas = excluded.quotas"
        ));
        let (whitelist, quotas) = (encode_list(&a.ip_whitelist.entries()), encode_quotas(&a.quotas));
        let p: &[&dyn Param] = &[
            &a.appid.as_str(),
            &a.secret,
            &a.account_type.as_str(),
            &a.certified,
            &a.wechat_id,
            &a.original_id,
            &a.kf_enabled,
            &a.next_kf_id,
            &a.created_at.0,
            &whitelist,
            &quotas,
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn token(&mut self, token: &AccessToken) -> R<Option<TokenRecord>> {
        static SQL: Sql = Sql::new(concat!("SELECT ", token_cols!(), " FROM tokens t WHERE t.token = $1"));
        self.one(&SQL, &[&token.as_str()], |r| token_row(r))
    }

    fn current_token(&mut self, appid: &AppId, kind: TokenKind) -> R<Option<TokenRecord>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            token_cols!(),
            " FROM current_tokens c JOIN tokens t ON t.token = c.token WHERE c.appid = $1 AND c.kind = $2"
        ));
        self.one(&SQL, &[&appid.as_str(), &kind.as_str()], |r| token_row(r))
    }

    fn put_token(&mut self, t: &TokenRecord, current: bool) -> R<()> {
        static TOKEN: Sql = Sql::new(
            "INSERT INTO tokens (token, appid, kind, issued_at, expires_at, invalid_after, via) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (token) DO UPDATE SET appid = excluded.appid, \
             kind = excluded.kind, issued_at = excluded.issued_at, expires_at = excluded.expires_at, \
             invalid_after = excluded.invalid_after, via = excluded.via",
        );
        static CURRENT: Sql = Sql::new(
            "INSERT INTO current_tokens (appid, kind, token) VALUES ($1, $2, $3) \
             ON CONFLICT (appid, kind) DO UPDATE SET token = excluded.token",
        );
        let (token, appid, kind) = (t.token.as_str(), t.appid.as_str(), t.kind.as_str());
        let via = t.via.as_ref().map(|v| v.as_str());
        let p: &[&dyn Param] = &[
            &token,
            &appid,
            &kind,
            &t.issued_at.0,
            &t.expires_at.0,
            &t.invalid_after.map(|x| x.0),
            &via,
        ];
        self.execute(&TOKEN, p)?;
        if current {
            self.execute(&CURRENT, &[&appid, &kind, &token])?;
        }
        Ok(())
    }

    fn prune_tokens(&mut self, appid: &AppId, before: Timestamp) -> R<()> {
        static SQL: Sql = Sql::new(
            "DELETE FROM tokens WHERE appid = $1 AND expires_at < $2 \
             AND token NOT IN (SELECT token FROM current_tokens WHERE appid = $1)",
        );
        self.execute(&SQL, &[&appid.as_str(), &before.0]).map(drop)
    }

    fn counter(&mut self, appid: &AppId, key: &str) -> R<Option<Counter>> {
        static SQL: Sql = Sql::new("SELECT window_start, count, last_at FROM counters WHERE appid = $1 AND key = $2");
        self.one(&SQL, &[&appid.as_str(), &key], |r| counter_row(r))
    }

    fn put_counter(&mut self, appid: &AppId, key: &str, c: &Counter) -> R<()> {
        static SQL: Sql = Sql::new(
            "INSERT INTO counters (appid, key, window_start, count, last_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (appid, key) DO UPDATE SET window_start = excluded.window_start, \
             count = excluded.count, last_at = excluded.last_at",
        );
        let p: &[&dyn Param] = &[&appid.as_str(), &key, &c.window_start.0, &c.count, &c.last_at.0];
        self.execute(&SQL, p).map(drop)
    }

    fn clear_counters(&mut self, appid: &AppId, prefix: &str) -> R<()> {
        static SQL: Sql = Sql::new("DELETE FROM counters WHERE appid = $1 AND substr(key, 1, length($2)) = $2");
        self.execute(&SQL, &[&appid.as_str(), &prefix]).map(drop)
    }

    fn kf(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<KfRecord>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            kf_cols!(),
            " FROM kf_accounts WHERE appid = $1 AND kf_account = $2"
        ));
        self.one(&SQL, &[&appid.as_str(), &account.as_str()], |r| kf_row(r))
    }

    fn kfs(&mut self, appid: &AppId) -> R<Vec<KfRecord>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            kf_cols!(),
            " FROM kf_accounts WHERE appid = $1 ORDER BY kf_id"
        ));
        self.all(&SQL, &[&appid.as_str()], |r| kf_row(r))
    }

    fn online_kfs(&mut self, appid: &AppId) -> R<Vec<(KfAccount, i64)>> {
        static SQL: Sql = Sql::new(
            "SELECT kf_account, kf_id FROM kf_accounts WHERE appid = $1 AND worker IS NOT NULL AND online \
             ORDER BY kf_id",
        );
        self.all(&SQL, &[&appid.as_str()], |r| {
            Ok((KfAccount::new(r.text(0)?), r.i64(1)?))
        })
    }

    fn put_kf(&mut self, k: &KfRecord) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO kf_accounts (",
            kf_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (appid, kf_account) DO UPDATE SET \
             kf_id = excluded.kf_id, nickname = excluded.nickname, headimg_version = excluded.headimg_version, \
             worker = excluded.worker, online = excluded.online, invite_wx = excluded.invite_wx, \
             invite_expire_time = excluded.invite_expire_time, invite_rejected = excluded.invite_rejected"
        ));
        let inv = k.invitation.as_ref();
        let p: &[&dyn Param] = &[
            &k.appid.as_str(),
            &k.account.as_str(),
            &k.kf_id,
            &k.nickname,
            &k.headimg_version,
            &k.worker.as_ref().map(|w| w.as_str()),
            &k.online,
            &inv.map(|i| i.wx.as_str()),
            &inv.map(|i| i.expire_time.0),
            &inv.is_some_and(|i| i.rejected),
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn delete_kf(&mut self, appid: &AppId, account: &KfAccount) -> R<()> {
        static SESSIONS: Sql = Sql::new("DELETE FROM sessions WHERE appid = $1 AND kf_account = $2");
        static WAITING: Sql = Sql::new("UPDATE waitcases SET kf_account = NULL WHERE appid = $1 AND kf_account = $2");
        static HEADIMG: Sql = Sql::new("DELETE FROM headimgs WHERE appid = $1 AND kf_account = $2");
        static ACCOUNT: Sql = Sql::new("DELETE FROM kf_accounts WHERE appid = $1 AND kf_account = $2");
        let p: &[&dyn Param] = &[&appid.as_str(), &account.as_str()];
        for sql in [&SESSIONS, &WAITING, &HEADIMG, &ACCOUNT] {
            self.execute(sql, p)?;
        }
        Ok(())
    }

    fn bindings(&mut self, wx: &WechatId) -> R<u32> {
        static SQL: Sql = Sql::new("SELECT COUNT(*) FROM kf_accounts WHERE worker = $1");
        Ok(self.one(&SQL, &[&wx.as_str()], |r| r.u32(0))?.unwrap_or(0))
    }

    fn wx_invalid(&mut self, wx: &WechatId) -> R<bool> {
        static SQL: Sql = Sql::new("SELECT invalid FROM wechat_users WHERE wx = $1");
        Ok(self.one(&SQL, &[&wx.as_str()], |r| r.bool(0))?.unwrap_or(false))
    }

    fn set_wx_invalid(&mut self, wx: &WechatId, invalid: bool) -> R<()> {
        static SQL: Sql = Sql::new(
            "INSERT INTO wechat_users (wx, invalid) VALUES ($1, $2) \
             ON CONFLICT (wx) DO UPDATE SET invalid = excluded.invalid",
        );
        self.execute(&SQL, &[&wx.as_str(), &invalid]).map(drop)
    }

    fn headimg(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<HeadImage>> {
        static SQL: Sql = Sql::new("SELECT content_type, data FROM headimgs WHERE appid = $1 AND kf_account = $2");
        self.one(&SQL, &[&appid.as_str(), &account.as_str()], |r| {
            Ok(HeadImage {
                content_type: r.text(0)?,
                data: r.bytes(1)?,
            })
        })
    }

    fn put_headimg(&mut self, appid: &AppId, account: &KfAccount, img: &HeadImage) -> R<()> {
        static SQL: Sql = Sql::new(
            "INSERT INTO headimgs (appid, kf_account, content_type, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, kf_account) DO UPDATE SET content_type = excluded.content_type, data = excluded.data",
        );
        let p: &[&dyn Param] = &[&appid.as_str(), &account.as_str(), &img.content_type, &img.data];
        self.execute(&SQL, p).map(drop)
    }

    fn fan(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Fan>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            fan_cols!(),
            " FROM fans WHERE appid = $1 AND openid = $2"
        ));
        self.one(&SQL, &[&appid.as_str(), &openid.as_str()], |r| fan_row(r))
    }

    fn fans(&mut self, appid: &AppId) -> R<Vec<Fan>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            fan_cols!(),
            " FROM fans WHERE appid = $1 ORDER BY followed_at, openid"
        ));
        self.all(&SQL, &[&appid.as_str()], |r| fan_row(r))
    }

    fn fans_after(&mut self, appid: &AppId, after: &str, limit: u32) -> R<Vec<Fan>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            fan_cols!(),
            " FROM fans WHERE appid = $1 AND openid > $2 ORDER BY openid LIMIT $3"
        ));
        self.all(&SQL, &[&appid.as_str(), &after, &limit], |r| fan_row(r))
    }

    fn put_fan(&mut self, f: &Fan) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO fans (",
            fan_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (appid, openid) DO UPDATE SET \
             subscribed = excluded.subscribed, followed_at = excluded.followed_at, \
             ever_followed = excluded.ever_followed, msg_left = excluded.msg_left, \
             msg_until = excluded.msg_until, evt_left = excluded.evt_left, evt_until = excluded.evt_until, \
             last_contact = excluded.last_contact, typing_until = excluded.typing_until"
        ));
        let c = &f.contact;
        let p: &[&dyn Param] = &[
            &f.appid.as_str(),
            &f.openid.as_str(),
            &f.subscribed,
            &f.followed_at.0,
            &f.ever_followed,
            &c.message.left,
            &c.message.until.0,
            &c.event.left,
            &c.event.until.0,
            &c.last_contact.map(|t| t.0),
            &c.typing_until.map(|t| t.0),
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn session(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Session>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions WHERE appid = $1 AND openid = $2"
        ));
        self.one(&SQL, &[&appid.as_str(), &openid.as_str()], |r| session_row(r))
    }

    fn sessions(&mut self, appid: &AppId) -> R<Vec<Session>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions WHERE appid = $1 ORDER BY created_at, openid"
        ));
        self.all(&SQL, &[&appid.as_str()], |r| session_row(r))
    }

    fn put_session(&mut self, s: &Session) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO sessions (",
            session_cols!(),
            ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appid, openid) DO UPDATE SET \
             kf_account = excluded.kf_account, created_at = excluded.created_at, \
             last_msg_at = excluded.last_msg_at"
        ));
        let p: &[&dyn Param] = &[
            &s.appid.as_str(),
            &s.openid.as_str(),
            &s.kf_account.as_str(),
            &s.created_at.0,
            &s.last_msg_at.0,
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn delete_session(&mut self, appid: &AppId, openid: &OpenId) -> R<()> {
        static SQL: Sql = Sql::new("DELETE FROM sessions WHERE appid = $1 AND openid = $2");
        self.execute(&SQL, &[&appid.as_str(), &openid.as_str()]).map(drop)
    }

    fn accepted_cases(&mut self, appid: &AppId, live_since: Timestamp) -> R<Vec<(KfAccount, u32)>> {
        if C::KEEPS_KF_LOAD {
            return kept_cases(self, appid, live_since);
        }
        // `+ 0` keeps a generic plan of this prepared statement off
        // `sessions_idle`, which it would walk over every app's sessions;
        // the app's rows come from `sessions_by_kf`.
        static SQL: Sql = Sql::new(
            "SELECT kf_account, COUNT(*) FROM sessions WHERE appid = $1 AND last_msg_at + 0 >= $2 \
             GROUP BY kf_account ORDER BY kf_account",
        );
        self.all(&SQL, &[&appid.as_str(), &live_since.0], |r| {
            Ok((KfAccount::new(r.text(0)?), r.u32(1)?))
        })
    }

    fn wipe(&mut self) -> R<()> {
        // Heartbeats (`push_instances`) stay: they say which dispatchers are
        // alive, and without them a live one's next claims would look abandoned.
        self.batch(
            "DELETE FROM meta; DELETE FROM apps; DELETE FROM tokens; DELETE FROM current_tokens;
             DELETE FROM counters; DELETE FROM kf_accounts; DELETE FROM headimgs;
             DELETE FROM wechat_users; DELETE FROM fans; DELETE FROM sessions;
             DELETE FROM waitcases; DELETE FROM messages; DELETE FROM components;
             DELETE FROM tickets; DELETE FROM authorizations;
             DELETE FROM callbacks; DELETE FROM outbox; DELETE FROM deliveries;",
        )
    }
}

/// `accepted_case` from `kf_load`: each account's open session rows, less
/// those idle past `live_since` that the sweep has not closed yet (found
/// through the `sessions_idle` index, so normally none are read). Its cost
/// follows the app's accounts, not its sessions.
fn kept_cases<C: Conn>(c: &mut C, appid: &AppId, live_since: Timestamp) -> R<Vec<(KfAccount, u32)>> {
    static KEPT: Sql =
        Sql::new("SELECT kf_account, sessions FROM kf_load WHERE appid = $1 AND sessions > 0 ORDER BY kf_account");
    static IDLE: Sql = Sql::new(
        "SELECT kf_account, COUNT(*) FROM sessions INDEXED BY sessions_idle \
         WHERE last_msg_at < $2 AND appid = $1 GROUP BY kf_account",
    );
    let decode = |r: &C::Row<'_>| Ok((KfAccount::new(r.text(0)?), r.u32(1)?));
    let mut cases = c.all(&KEPT, &[&appid.as_str()], decode)?;
    let idle = c.all(&IDLE, &[&appid.as_str(), &live_since.0], decode)?;
    for (kf, n) in idle {
        if let Some(case) = cases.iter_mut().find(|(k, _)| *k == kf) {
            case.1 = case.1.saturating_sub(n);
        }
    }
    cases.retain(|(_, n)| *n > 0);
    Ok(cases)
}
