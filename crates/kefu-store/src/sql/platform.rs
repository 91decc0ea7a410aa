//! [`PlatformTx`] for every backend: components, tickets and authorizations.

use super::conn::{Conn, Param, Row, Sql};
use super::rows::{authorization_row, component_row, ticket_row};
use crate::codec::{encode_list, encode_sets};
use crate::error::StoreError;
use crate::tx::PlatformTx;
use kefu_core::ids::AppId;
use kefu_core::platform::{Authorization, Component, Ticket};
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

impl<C: Conn> PlatformTx for C {
    fn component(&mut self, appid: &AppId) -> R<Option<Component>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            component_cols!(),
            " FROM components WHERE component_appid = $1"
        ));
        self.one(&SQL, &[&appid.as_str()], |r| component_row(r))
    }

    fn put_component(&mut self, c: &Component) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO components (",
            component_cols!(),
            ") VALUES ($1, $2, $3, $4) ON CONFLICT (component_appid) DO UPDATE SET ",
            "secret = excluded.secret, ip_whitelist = excluded.ip_whitelist, created_at = excluded.created_at"
        ));
        let whitelist = encode_list(&c.ip_whitelist.entries());
        let p: &[&dyn Param] = &[&c.appid.as_str(), &c.secret, &whitelist, &c.created_at.0];
        self.execute(&SQL, p).map(drop)
    }

    fn ticket(&mut self, ticket: &str) -> R<Option<Ticket>> {
        static SQL: Sql = Sql::new(concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE ticket = $1"));
        self.one(&SQL, &[&ticket], |r| ticket_row(r))
    }

    fn put_ticket(&mut self, t: &Ticket) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO tickets (",
            ticket_cols!(),
            ") VALUES ($1, $2, $3) ON CONFLICT (ticket) DO UPDATE SET ",
            "component_appid = excluded.component_appid, issued_at = excluded.issued_at"
        ));
        self.execute(&SQL, &[&t.ticket, &t.component.as_str(), &t.issued_at.0])
            .map(drop)
    }

    fn latest_ticket(&mut self, component: &AppId) -> R<Option<Ticket>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE component_appid = $1 ORDER BY issued_at DESC, ticket DESC LIMIT 1"
        ));
        self.one(&SQL, &[&component.as_str()], |r| ticket_row(r))
    }

    fn pushed_components(&mut self) -> R<Vec<AppId>> {
        static SQL: Sql = Sql::new(
            "SELECT c.component_appid FROM components c JOIN callbacks k ON k.appid = c.component_appid \
             ORDER BY c.component_appid",
        );
        self.all(&SQL, &[], |r| r.text(0).map(AppId::new))
    }

    fn authorization(&mut self, component: &AppId, appid: &AppId) -> R<Option<Authorization>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            authorization_cols!(),
            " FROM authorizations WHERE component_appid = $1 AND appid = $2"
        ));
        self.one(&SQL, &[&component.as_str(), &appid.as_str()], |r| authorization_row(r))
    }

    fn authorizations(&mut self, component: &AppId) -> R<Vec<Authorization>> {
        static SQL: Sql = Sql::new(concat!(
            "SELECT ",
            authorization_cols!(),
            " FROM authorizations WHERE component_appid = $1 ORDER BY authorized_at, appid"
        ));
        self.all(&SQL, &[&component.as_str()], |r| authorization_row(r))
    }

    fn put_authorization(&mut self, a: &Authorization) -> R<()> {
        static SQL: Sql = Sql::new(concat!(
            "INSERT INTO authorizations (",
            authorization_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (component_appid, appid) DO UPDATE SET ",
            "perm_sets = excluded.perm_sets, authorized_at = excluded.authorized_at, ",
            "refresh_token = excluded.refresh_token, previous_refresh = excluded.previous_refresh, ",
            "previous_until = excluded.previous_until, current_token = excluded.current_token"
        ));
        let (prev, until) = match &a.previous_refresh {
            Some((t, u)) => (Some(t.as_str()), Some(u.0)),
            None => (None, None),
        };
        let sets = encode_sets(&a.perm_sets);
        let p: &[&dyn Param] = &[
            &a.component.as_str(),
            &a.appid.as_str(),
            &sets,
            &a.authorized_at.0,
            &a.refresh_token,
            &prev,
            &until,
            &a.current_token.as_ref().map(|t| t.as_str()),
        ];
        self.execute(&SQL, p).map(drop)
    }

    fn delete_authorization(&mut self, component: &AppId, appid: &AppId) -> R<()> {
        static SQL: Sql = Sql::new("DELETE FROM authorizations WHERE component_appid = $1 AND appid = $2");
        self.execute(&SQL, &[&component.as_str(), &appid.as_str()]).map(drop)
    }

    fn invalidate_authorizer_tokens(&mut self, component: &AppId, appid: &AppId, at: Timestamp) -> R<()> {
        // The earlier of the token's own end and `at` (a NULL end is none).
        static SQL: Sql = Sql::new(
            "UPDATE tokens SET invalid_after = CASE WHEN invalid_after < $3 THEN invalid_after ELSE $3 END \
             WHERE appid = $1 AND kind = 'authorizer' AND via = $2",
        );
        self.execute(&SQL, &[&appid.as_str(), &component.as_str(), &at.0])
            .map(drop)
    }
}
