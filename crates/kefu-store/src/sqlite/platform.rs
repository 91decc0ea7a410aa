//! [`PlatformTx`] over SQLite: components, tickets and authorizations.

use super::rows::{authorization_row, component_row, ticket_row};
use super::tx::SqliteTx;
use crate::codec::{encode_list, encode_sets};
use crate::tx::PlatformTx;
use crate::StoreError;
use kefu_core::ids::AppId;
use kefu_core::platform::{Authorization, Component, Ticket};
use kefu_core::Timestamp;
use rusqlite::params;

type R<T> = Result<T, StoreError>;

impl PlatformTx for SqliteTx<'_> {
    fn component(&mut self, appid: &AppId) -> R<Option<Component>> {
        self.one(
            concat!(
                "SELECT ",
                component_cols!(),
                " FROM components WHERE component_appid = ?1"
            ),
            [appid.as_str()],
            component_row,
        )
    }

    fn put_component(&mut self, c: &Component) -> R<()> {
        self.exec(
            concat!(
                "INSERT OR REPLACE INTO components (",
                component_cols!(),
                ") VALUES (?1, ?2, ?3, ?4)"
            ),
            params![c.appid.as_str(), c.secret, encode_list(&c.ip_whitelist), c.created_at.0],
        )
    }

    fn ticket(&mut self, ticket: &str) -> R<Option<Ticket>> {
        self.one(
            "SELECT ticket, component_appid, issued_at FROM tickets WHERE ticket = ?1",
            [ticket],
            ticket_row,
        )
    }

    fn put_ticket(&mut self, t: &Ticket) -> R<()> {
        self.exec(
            "INSERT OR REPLACE INTO tickets (ticket, component_appid, issued_at) VALUES (?1, ?2, ?3)",
            params![t.ticket, t.component.as_str(), t.issued_at.0],
        )
    }

    fn latest_ticket(&mut self, component: &AppId) -> R<Option<Ticket>> {
        self.one(
            "SELECT ticket, component_appid, issued_at FROM tickets WHERE component_appid = ?1 \
             ORDER BY issued_at DESC, ticket DESC LIMIT 1",
            [component.as_str()],
            ticket_row,
        )
    }

    fn pushed_components(&mut self) -> R<Vec<AppId>> {
        let ids = self.all(
            "SELECT c.component_appid FROM components c JOIN callbacks k ON k.appid = c.component_appid \
             ORDER BY c.component_appid",
            [],
            |r| r.get::<_, String>(0),
        )?;
        Ok(ids.into_iter().map(AppId::new).collect())
    }

    fn authorization(&mut self, component: &AppId, appid: &AppId) -> R<Option<Authorization>> {
        self.one(
            concat!(
                "SELECT ",
                authorization_cols!(),
                " FROM authorizations WHERE component_appid = ?1 AND appid = ?2"
            ),
            [component.as_str(), appid.as_str()],
            authorization_row,
        )
    }

    fn authorizations(&mut self, component: &AppId) -> R<Vec<Authorization>> {
        self.all(
            concat!(
                "SELECT ",
                authorization_cols!(),
                " FROM authorizations WHERE component_appid = ?1 ORDER BY authorized_at, appid"
            ),
            [component.as_str()],
            authorization_row,
        )
    }

    fn put_authorization(&mut self, a: &Authorization) -> R<()> {
        let (prev, until) = match &a.previous_refresh {
            Some((t, u)) => (Some(t.as_str()), Some(u.0)),
            None => (None, None),
        };
        self.exec(
            concat!(
                "INSERT OR REPLACE INTO authorizations (",
                authorization_cols!(),
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ),
            params![
                a.component.as_str(),
                a.appid.as_str(),
                encode_sets(&a.perm_sets),
                a.authorized_at.0,
                a.refresh_token,
                prev,
                until,
                a.current_token.as_ref().map(|t| t.as_str())
            ],
        )
    }

    fn delete_authorization(&mut self, component: &AppId, appid: &AppId) -> R<()> {
        self.exec(
            "DELETE FROM authorizations WHERE component_appid = ?1 AND appid = ?2",
            [component.as_str(), appid.as_str()],
        )
    }

    fn invalidate_authorizer_tokens(&mut self, component: &AppId, appid: &AppId, at: Timestamp) -> R<()> {
        self.exec(
            "UPDATE tokens SET invalid_after = MIN(COALESCE(invalid_after, ?3), ?3)
             WHERE appid = ?1 AND kind = 'authorizer' AND via = ?2",
            params![appid.as_str(), component.as_str(), at.0],
        )
    }
}
