//! [`Conn`] over one PostgreSQL transaction, which gives it the whole `Tx`
//! family (`crate::sql`). Statements are prepared once per connection and
//! cached by their text; the server infers each parameter's type and
//! [`Value`] is sent as that type.
//!
//! A failed statement aborts a PostgreSQL transaction, so the first failure
//! is kept: the worker reads it after the job to decide whether to run the
//! job again (serialization failure, deadlock, lost connection) or to report
//! it, even when the job swallowed the error.

use super::failure::Failure;
use crate::error::StoreError;
use crate::sql::{Conn, Param, Row, Sql, Value};
use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use postgres::{Statement, Transaction};
use std::collections::HashMap;
use std::error::Error;

type R<T> = Result<T, StoreError>;

/// Prepared statements of one connection, by SQL text.
pub(crate) type Statements = HashMap<&'static str, Statement>;

/// One job's view of its transaction.
pub(crate) struct PgTx<'t, 'c> {
    txn: &'t mut Transaction<'c>,
    statements: &'t mut Statements,
    failure: Option<Failure>,
}

impl<'t, 'c> PgTx<'t, 'c> {
    pub(crate) fn new(txn: &'t mut Transaction<'c>, statements: &'t mut Statements) -> Self {
        PgTx {
            txn,
            statements,
            failure: None,
        }
    }

    /// The first statement failure, if any.
    pub(crate) fn into_failure(self) -> Option<Failure> {
        self.failure
    }

    /// Records the first failure and turns it into the job's error.
    fn fail(&mut self, e: postgres::Error) -> StoreError {
        let failure = Failure::of(&e);
        let err = StoreError::Backend(failure.message.clone());
        self.failure.get_or_insert(failure);
        err
    }

    fn prepare(&mut self, sql: &'static str) -> R<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.txn.prepare(sql).map_err(|e| self.fail(e))?;
        self.statements.insert(sql, stmt.clone());
        Ok(stmt)
    }

    fn query(&mut self, sql: &'static Sql, params: &[&dyn Param]) -> R<Vec<postgres::Row>> {
        let stmt = self.prepare(sql.text())?;
        let values: Vec<Value<'_>> = params.iter().map(|p| p.value()).collect();
        let done = self.txn.query(&stmt, &refs(&values));
        done.map_err(|e| self.fail(e))
    }
}

fn refs<'v>(values: &'v [Value<'_>]) -> Vec<&'v (dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgTx<'_, '_> {
    type Row<'r> = postgres::Row;
    const KEEPS_KF_LOAD: bool = false;

    fn one<T>(
        &mut self,
        sql: &'static Sql,
        params: &[&dyn Param],
        decode: impl FnOnce(&postgres::Row) -> R<T>,
    ) -> R<Option<T>> {
        let rows = self.query(sql, params)?;
        rows.first().map(decode).transpose()
    }

    fn all<T>(
        &mut self,
        sql: &'static Sql,
        params: &[&dyn Param],
        decode: impl FnMut(&postgres::Row) -> R<T>,
    ) -> R<Vec<T>> {
        let rows = self.query(sql, params)?;
        rows.iter().map(decode).collect()
    }

    fn execute(&mut self, sql: &'static Sql, params: &[&dyn Param]) -> R<u64> {
        let stmt = self.prepare(sql.text())?;
        let values: Vec<Value<'_>> = params.iter().map(|p| p.value()).collect();
        let done = self.txn.execute(&stmt, &refs(&values));
        done.map_err(|e| self.fail(e))
    }

    fn batch(&mut self, sql: &'static str) -> R<()> {
        let done = self.txn.batch_execute(sql);
        done.map_err(|e| self.fail(e))
    }

    /// Several processes claim from one outbox. Write jobs run SERIALIZABLE:
    /// of two claims that picked the same push, one fails with a
    /// serialization failure and is run again by the worker on the winner's
    /// data, so no push is ever handed to two dispatchers.
    fn mark_claimed(&mut self, owner: &str, ids: &[i64]) -> R<()> {
        let stmt = self.prepare("UPDATE outbox SET owner = $1 WHERE id = ANY($2)")?;
        let done = self.txn.execute(&stmt, &[&owner, &ids]);
        done.map(drop).map_err(|e| self.fail(e))
    }

    /// The queue and messages restart one past their largest id; the outbox
    /// and deliveries never go back, as on SQLite.
    fn restart_ids(&mut self) -> R<()> {
        self.batch(
            "SELECT setval(pg_get_serial_sequence('waitcases', 'seq'), COALESCE(MAX(seq), 0) + 1, false) FROM waitcases;
             SELECT setval(pg_get_serial_sequence('messages', 'msgid'), COALESCE(MAX(msgid), 0) + 1, false) FROM messages;
             SELECT setval(pg_get_serial_sequence('outbox', 'id'),
                 GREATEST(nextval(pg_get_serial_sequence('outbox', 'id')), COALESCE(MAX(id), 0) + 1), false) FROM outbox;
             SELECT setval(pg_get_serial_sequence('deliveries', 'id'),
                 GREATEST(nextval(pg_get_serial_sequence('deliveries', 'id')), COALESCE(MAX(id), 0) + 1), false) FROM deliveries;",
        )
    }
}

/// Each value as the type the server inferred for its parameter.
impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self {
            Value::Null => Ok(IsNull::Yes),
            Value::I64(n) if *ty == Type::INT4 => i32::try_from(n)?.to_sql_checked(ty, out),
            Value::I64(n) => n.to_sql_checked(ty, out),
            Value::Bool(b) => b.to_sql_checked(ty, out),
            Value::Text(s) => s.to_sql_checked(ty, out),
            Value::Bytes(b) => b.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// Column `i` as a `T`; a value of another type is corrupt data.
fn get<'r, T: FromSql<'r>>(row: &'r postgres::Row, i: usize) -> R<T> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

impl Row for postgres::Row {
    fn i64(&self, i: usize) -> R<i64> {
        get(self, i)
    }
    fn opt_i64(&self, i: usize) -> R<Option<i64>> {
        get(self, i)
    }
    fn bool(&self, i: usize) -> R<bool> {
        get(self, i)
    }
    fn text(&self, i: usize) -> R<String> {
        get(self, i)
    }
    fn opt_text(&self, i: usize) -> R<Option<String>> {
        get(self, i)
    }
    fn bytes(&self, i: usize) -> R<Vec<u8>> {
        get(self, i)
    }
}
