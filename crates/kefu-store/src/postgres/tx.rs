//! [`Tx`] over one PostgreSQL transaction: plain SQL, one statement per
//! method, the same rows as the SQLite backend's in PostgreSQL's types
//! (upserts for SQLite's `INSERT OR REPLACE`).

use super::exec::{Params, PgTx};
use super::rows::{app_row, counter_row, fan_row, get, get_u32, kf_row, session_row, token_row};
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

type R<T> = Result<T, StoreError>;

impl Tx for PgTx<'_, '_> {
    fn meta(&mut self, key: &str) -> R<Option<String>> {
        self.one("SELECT value FROM meta WHERE key = $1", &[&key], |r| get(r, 0))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> R<()> {
        self.exec(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
    }

    fn app(&mut self, appid: &AppId) -> R<Option<App>> {
        let sql = concat!("SELECT ", app_cols!(), " FROM apps WHERE appid = $1");
        self.one(sql, &[&appid.as_str()], app_row)
    }

    fn apps(&mut self) -> R<Vec<App>> {
        let sql = concat!("SELECT ", app_cols!(), " FROM apps ORDER BY created_at, appid");
        self.all(sql, &[], app_row)
    }

    fn put_app(&mut self, a: &App) -> R<()> {
        let sql = concat!(
            "INSERT INTO apps (",
            app_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (appid) DO UPDATE SET \
             secret = excluded.secret, account_type = excluded.account_type, certified = excluded.certified, \
             wechat_id = excluded.wechat_id, original_id = excluded.original_id, \
             kf_enabled = excluded.kf_enabled, next_kf_id = excluded.next_kf_id, created_at = excluded.created_at, \
             ip_whitelist = excluded.ip_whitelist, quotas = excluded.quotas"
        );
        let (whitelist, quotas) = (encode_list(&a.ip_whitelist), encode_quotas(&a.quotas));
        let p: Params<'_> = &[
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
        self.exec(sql, p)
    }

    fn token(&mut self, token: &AccessToken) -> R<Option<TokenRecord>> {
        let sql = concat!("SELECT ", token_cols!(), " FROM tokens t WHERE t.token = $1");
        self.one(sql, &[&token.as_str()], token_row)
    }

    fn current_token(&mut self, appid: &AppId, kind: TokenKind) -> R<Option<TokenRecord>> {
        let sql = concat!(
            "SELECT ",
            token_cols!(),
            " FROM current_tokens c JOIN tokens t ON t.token = c.token WHERE c.appid = $1 AND c.kind = $2"
        );
        self.one(sql, &[&appid.as_str(), &kind.as_str()], token_row)
    }

    fn put_token(&mut self, t: &TokenRecord, current: bool) -> R<()> {
        let p: Params<'_> = &[
            &t.token.as_str(),
            &t.appid.as_str(),
            &t.kind.as_str(),
            &t.issued_at.0,
            &t.expires_at.0,
            &t.invalid_after.map(|x| x.0),
            &t.via.as_ref().map(|v| v.as_str()),
        ];
        self.exec(
            "INSERT INTO tokens (token, appid, kind, issued_at, expires_at, invalid_after, via) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (token) DO UPDATE SET appid = excluded.appid, \
             kind = excluded.kind, issued_at = excluded.issued_at, expires_at = excluded.expires_at, \
             invalid_after = excluded.invalid_after, via = excluded.via",
            p,
        )?;
        if current {
            self.exec(
                "INSERT INTO current_tokens (appid, kind, token) VALUES ($1, $2, $3) \
                 ON CONFLICT (appid, kind) DO UPDATE SET token = excluded.token",
                &[&t.appid.as_str(), &t.kind.as_str(), &t.token.as_str()],
            )?;
        }
        Ok(())
    }

    fn prune_tokens(&mut self, appid: &AppId, before: Timestamp) -> R<()> {
        self.exec(
            "DELETE FROM tokens WHERE appid = $1 AND expires_at < $2 \
             AND token NOT IN (SELECT token FROM current_tokens WHERE appid = $1)",
            &[&appid.as_str(), &before.0],
        )
    }

    fn counter(&mut self, appid: &AppId, key: &str) -> R<Option<Counter>> {
        self.one(
            "SELECT window_start, count, last_at FROM counters WHERE appid = $1 AND key = $2",
            &[&appid.as_str(), &key],
            counter_row,
        )
    }

    fn put_counter(&mut self, appid: &AppId, key: &str, c: &Counter) -> R<()> {
        self.exec(
            "INSERT INTO counters (appid, key, window_start, count, last_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (appid, key) DO UPDATE SET window_start = excluded.window_start, \
             count = excluded.count, last_at = excluded.last_at",
            &[
                &appid.as_str(),
                &key,
                &c.window_start.0,
                &i64::from(c.count),
                &c.last_at.0,
            ],
        )
    }

    fn clear_counters(&mut self, appid: &AppId, prefix: &str) -> R<()> {
        self.exec(
            "DELETE FROM counters WHERE appid = $1 AND left(key, length($2)) = $2",
            &[&appid.as_str(), &prefix],
        )
    }

    fn kf(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<KfRecord>> {
        let sql = concat!(
            "SELECT ",
            kf_cols!(),
            " FROM kf_accounts WHERE appid = $1 AND kf_account = $2"
        );
        self.one(sql, &[&appid.as_str(), &account.as_str()], kf_row)
    }

    fn kfs(&mut self, appid: &AppId) -> R<Vec<KfRecord>> {
        let sql = concat!(
            "SELECT ",
            kf_cols!(),
            " FROM kf_accounts WHERE appid = $1 ORDER BY kf_id"
        );
        self.all(sql, &[&appid.as_str()], kf_row)
    }

    fn put_kf(&mut self, k: &KfRecord) -> R<()> {
        let inv = k.invitation.as_ref();
        let sql = concat!(
            "INSERT INTO kf_accounts (",
            kf_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (appid, kf_account) DO UPDATE SET \
             kf_id = excluded.kf_id, nickname = excluded.nickname, headimg_version = excluded.headimg_version, \
             worker = excluded.worker, online = excluded.online, invite_wx = excluded.invite_wx, \
             invite_expire_time = excluded.invite_expire_time, invite_rejected = excluded.invite_rejected"
        );
        let p: Params<'_> = &[
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
        self.exec(sql, p)
    }

    fn delete_kf(&mut self, appid: &AppId, account: &KfAccount) -> R<()> {
        let p: Params<'_> = &[&appid.as_str(), &account.as_str()];
        self.exec("DELETE FROM sessions WHERE appid = $1 AND kf_account = $2", p)?;
        self.exec(
            "UPDATE waitcases SET kf_account = NULL WHERE appid = $1 AND kf_account = $2",
            p,
        )?;
        self.exec("DELETE FROM headimgs WHERE appid = $1 AND kf_account = $2", p)?;
        self.exec("DELETE FROM kf_accounts WHERE appid = $1 AND kf_account = $2", p)
    }

    fn bindings(&mut self, wx: &WechatId) -> R<u32> {
        let n = self.one(
            "SELECT COUNT(*) FROM kf_accounts WHERE worker = $1",
            &[&wx.as_str()],
            |r| get_u32(r, 0),
        )?;
        Ok(n.unwrap_or(0))
    }

    fn wx_invalid(&mut self, wx: &WechatId) -> R<bool> {
        let v = self.one("SELECT invalid FROM wechat_users WHERE wx = $1", &[&wx.as_str()], |r| {
            get(r, 0)
        })?;
        Ok(v.unwrap_or(false))
    }

    fn set_wx_invalid(&mut self, wx: &WechatId, invalid: bool) -> R<()> {
        self.exec(
            "INSERT INTO wechat_users (wx, invalid) VALUES ($1, $2) \
             ON CONFLICT (wx) DO UPDATE SET invalid = excluded.invalid",
            &[&wx.as_str(), &invalid],
        )
    }

    fn headimg(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<HeadImage>> {
        self.one(
            "SELECT content_type, data FROM headimgs WHERE appid = $1 AND kf_account = $2",
            &[&appid.as_str(), &account.as_str()],
            |r| {
                Ok(HeadImage {
                    content_type: get(r, 0)?,
                    data: get(r, 1)?,
                })
            },
        )
    }

    fn put_headimg(&mut self, appid: &AppId, account: &KfAccount, img: &HeadImage) -> R<()> {
        self.exec(
            "INSERT INTO headimgs (appid, kf_account, content_type, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, kf_account) DO UPDATE SET content_type = excluded.content_type, data = excluded.data",
            &[&appid.as_str(), &account.as_str(), &img.content_type, &img.data],
        )
    }

    fn fan(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Fan>> {
        self.one(
            concat!("SELECT ", fan_cols!(), " FROM fans WHERE appid = $1 AND openid = $2"),
            &[&appid.as_str(), &openid.as_str()],
            fan_row,
        )
    }

    fn fans(&mut self, appid: &AppId) -> R<Vec<Fan>> {
        self.all(
            concat!(
                "SELECT ",
                fan_cols!(),
                " FROM fans WHERE appid = $1 ORDER BY followed_at, openid"
            ),
            &[&appid.as_str()],
            fan_row,
        )
    }

    fn put_fan(&mut self, f: &Fan) -> R<()> {
        let c = &f.contact;
        let p: Params<'_> = &[
            &f.appid.as_str(),
            &f.openid.as_str(),
            &f.subscribed,
            &f.followed_at.0,
            &f.ever_followed,
            &i64::from(c.message.left),
            &c.message.until.0,
            &i64::from(c.event.left),
            &c.event.until.0,
            &c.last_contact.map(|t| t.0),
            &c.typing_until.map(|t| t.0),
        ];
        self.exec(
            concat!(
                "INSERT INTO fans (",
                fan_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (appid, openid) DO UPDATE SET \
                 subscribed = excluded.subscribed, followed_at = excluded.followed_at, \
                 ever_followed = excluded.ever_followed, msg_left = excluded.msg_left, \
                 msg_until = excluded.msg_until, evt_left = excluded.evt_left, evt_until = excluded.evt_until, \
                 last_contact = excluded.last_contact, typing_until = excluded.typing_until"
            ),
            p,
        )
    }

    fn session(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Session>> {
        self.one(
            concat!(
                "SELECT ",
                session_cols!(),
                " FROM sessions WHERE appid = $1 AND openid = $2"
            ),
            &[&appid.as_str(), &openid.as_str()],
            session_row,
        )
    }

    fn sessions(&mut self, appid: &AppId) -> R<Vec<Session>> {
        self.all(
            concat!(
                "SELECT ",
                session_cols!(),
                " FROM sessions WHERE appid = $1 ORDER BY created_at, openid"
            ),
            &[&appid.as_str()],
            session_row,
        )
    }

    fn put_session(&mut self, s: &Session) -> R<()> {
        self.exec(
            concat!(
                "INSERT INTO sessions (",
                session_cols!(),
                ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (appid, openid) DO UPDATE SET \
                 kf_account = excluded.kf_account, created_at = excluded.created_at, \
                 last_msg_at = excluded.last_msg_at"
            ),
            &[
                &s.appid.as_str(),
                &s.openid.as_str(),
                &s.kf_account.as_str(),
                &s.created_at.0,
                &s.last_msg_at.0,
            ],
        )
    }

    fn delete_session(&mut self, appid: &AppId, openid: &OpenId) -> R<()> {
        self.exec(
            "DELETE FROM sessions WHERE appid = $1 AND openid = $2",
            &[&appid.as_str(), &openid.as_str()],
        )
    }

    fn accepted_cases(&mut self, appid: &AppId, live_since: Timestamp) -> R<Vec<(KfAccount, u32)>> {
        self.all(
            "SELECT kf_account, COUNT(*) FROM sessions WHERE appid = $1 AND last_msg_at >= $2 \
             GROUP BY kf_account ORDER BY kf_account",
            &[&appid.as_str(), &live_since.0],
            |r| Ok((KfAccount::new(get::<String>(r, 0)?), get_u32(r, 1)?)),
        )
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
