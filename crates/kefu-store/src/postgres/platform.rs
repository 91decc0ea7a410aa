//! [`PlatformTx`] over PostgreSQL: components, tickets and authorizations.

use super::exec::{Params, PgTx};
use super::rows::{authorization_row, component_row, get, ticket_row};
use crate::codec::{encode_list, encode_sets};
use crate::tx::PlatformTx;
use crate::StoreError;
use kefu_core::ids::AppId;
use kefu_core::platform::{Authorization, Component, Ticket};
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

impl PlatformTx for PgTx<'_, '_> {
    fn component(&mut self, appid: &AppId) -> R<Option<Component>> {
        self.one(
            concat!(
                "SELECT ",
                component_cols!(),
                " FROM components WHERE component_appid = $1"
            ),
            &[&appid.as_str()],
            component_row,
        )
    }

    fn put_component(&mut self, c: &Component) -> R<()> {
        let whitelist = encode_list(&c.ip_whitelist);
        self.exec(
            concat!(
                "INSERT INTO components (",
                component_cols!(),
                ") VALUES ($1, $2, $3, $4) ON CONFLICT (component_appid) DO UPDATE SET ",
                "secret = excluded.secret, ip_whitelist = excluded.ip_whitelist, created_at = excluded.created_at"
            ),
            &[&c.appid.as_str(), &c.secret, &whitelist, &c.created_at.0],
        )
    }

    fn ticket(&mut self, ticket: &str) -> R<Option<Ticket>> {
        self.one(
            "SELECT ticket, component_appid, issued_at FROM tickets WHERE ticket = $1",
            &[&ticket],
            ticket_row,
        )
    }

    fn put_ticket(&mut self, t: &Ticket) -> R<()> {
        self.exec(
            "INSERT INTO tickets (ticket, component_appid, issued_at) VALUES ($1, $2, $3) \
             ON CONFLICT (ticket) DO UPDATE SET component_appid = excluded.component_appid, \
             issued_at = excluded.issued_at",
            &[&t.ticket, &t.component.as_str(), &t.issued_at.0],
        )
    }

    fn latest_ticket(&mut self, component: &AppId) -> R<Option<Ticket>> {
        self.one(
            "SELECT ticket, component_appid, issued_at FROM tickets WHERE component_appid = $1 \
             ORDER BY issued_at DESC, ticket DESC LIMIT 1",
            &[&component.as_str()],
            ticket_row,
        )
    }

    fn pushed_components(&mut self) -> R<Vec<AppId>> {
        let ids = self.all(
            "SELECT c.component_appid FROM components c JOIN callbacks k ON k.appid = c.component_appid \
             ORDER BY c.component_appid",
            &[],
            |r| get::<String>(r, 0),
        )?;
        Ok(ids.into_iter().map(AppId::new).collect())
    }

    fn authorization(&mut self, component: &AppId, appid: &AppId) -> R<Option<Authorization>> {
        self.one(
            concat!(
                "SELECT ",
                authorization_cols!(),
                " FROM authorizations WHERE component_appid = $1 AND appid = $2"
            ),
            &[&component.as_str(), &appid.as_str()],
            authorization_row,
        )
    }

    fn authorizations(&mut self, component: &AppId) -> R<Vec<Authorization>> {
        self.all(
            concat!(
                "SELECT ",
                authorization_cols!(),
                " FROM authorizations WHERE component_appid = $1 ORDER BY authorized_at, appid"
            ),
            &[&component.as_str()],
            authorization_row,
        )
    }

    fn put_authorization(&mut self, a: &Authorization) -> R<()> {
        let (prev, until) = match &a.previous_refresh {
            Some((t, u)) => (Some(t.as_str()), Some(u.0)),
            None => (None, None),
        };
        let sets = encode_sets(&a.perm_sets);
        let p: Params<'_> = &[
            &a.component.as_str(),
            &a.appid.as_str(),
            &sets,
            &a.authorized_at.0,
            &a.refresh_token,
            &prev,
            &until,
            &a.current_token.as_ref().map(|t| t.as_str()),
        ];
        self.exec(
            concat!(
                "INSERT INTO authorizations (",
                authorization_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (component_appid, appid) DO UPDATE SET ",
                "perm_sets = excluded.perm_sets, authorized_at = excluded.authorized_at, ",
                "refresh_token = excluded.refresh_token, previous_refresh = excluded.previous_refresh, ",
                "previous_until = excluded.previous_until, current_token = excluded.current_token"
            ),
            p,
        )
    }

    fn delete_authorization(&mut self, component: &AppId, appid: &AppId) -> R<()> {
        self.exec(
            "DELETE FROM authorizations WHERE component_appid = $1 AND appid = $2",
            &[&component.as_str(), &appid.as_str()],
        )
    }

    fn invalidate_authorizer_tokens(&mut self, component: &AppId, appid: &AppId, at: Timestamp) -> R<()> {
        self.exec(
            "UPDATE tokens SET invalid_after = LEAST(COALESCE(invalid_after, $3), $3) \
             WHERE appid = $1 AND kind = 'authorizer' AND via = $2",
            &[&appid.as_str(), &component.as_str(), &at.0],
        )
    }
}
