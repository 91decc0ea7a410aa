//! After an import, every imported row is read back through the decoder
//! the store's reads use, so a value out of its domain (an unknown account
//! type, a malformed whitelist, a negative count) is refused with the
//! import, instead of failing every later read of that row.

use super::conn::{Conn, Sql};
use super::rows::{
    app_row, authorization_row, callback_row, component_row, counter_row, delivery_row, fan_row, kf_row, message_row,
    pending_row, session_row, ticket_row, token_row, waitcase_row,
};
use crate::error::StoreError;

type R<T> = Result<T, StoreError>;

/// Reads every row of `sql` with `decode`; the first failure names `table`.
fn each<C: Conn, T>(c: &mut C, table: &str, sql: &'static Sql, decode: fn(&C::Row<'_>) -> R<T>) -> R<()> {
    c.all(sql, &[], |r| decode(r).map(drop)).map(drop).map_err(|e| match e {
        StoreError::Corrupt(what) => StoreError::Corrupt(format!("tables.{table}: {what}")),
        other => other,
    })
}

macro_rules! select_all {
    ($cols:expr, $table:literal) => {{
        static SQL: Sql = Sql::new(concat!("SELECT ", $cols, " FROM ", $table));
        &SQL
    }};
}

/// Every typed table's rows decode; [`StoreError::Corrupt`] naming the
/// table and the value when one does not.
pub(super) fn check_rows<C: Conn>(c: &mut C) -> R<()> {
    each(c, "apps", select_all!(app_cols!(), "apps"), |r| app_row(r))?;
    each(c, "tokens", select_all!(token_cols!(), "tokens t"), |r| token_row(r))?;
    let counters = select_all!("window_start, count, last_at", "counters");
    each(c, "counters", counters, |r| counter_row(r))?;
    each(c, "kf_accounts", select_all!(kf_cols!(), "kf_accounts"), |r| kf_row(r))?;
    each(c, "fans", select_all!(fan_cols!(), "fans"), |r| fan_row(r))?;
    each(c, "sessions", select_all!(session_cols!(), "sessions"), |r| {
        session_row(r)
    })?;
    each(c, "waitcases", select_all!(waitcase_cols!(), "waitcases"), |r| {
        waitcase_row(r)
    })?;
    each(c, "messages", select_all!(message_cols!(), "messages"), |r| {
        message_row(r)
    })?;
    each(c, "components", select_all!(component_cols!(), "components"), |r| {
        component_row(r)
    })?;
    each(c, "tickets", select_all!(ticket_cols!(), "tickets"), |r| ticket_row(r))?;
    let authorizations = select_all!(authorization_cols!(), "authorizations");
    each(c, "authorizations", authorizations, |r| authorization_row(r))?;
    each(c, "callbacks", select_all!(callback_cols!(), "callbacks"), |r| {
        callback_row(r)
    })?;
    each(c, "outbox", select_all!(push_cols!(), "outbox"), |r| pending_row(r))?;
    each(c, "deliveries", select_all!(delivery_cols!(), "deliveries"), |r| {
        delivery_row(r)
    })
}
