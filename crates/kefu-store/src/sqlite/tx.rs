//! [`Conn`] over one SQLite transaction, which gives it the whole `Tx`
//! family (`crate::sql`). Statements are prepared once per connection and
//! kept in its statement cache; parameters are bound in place.

use super::open::backend;
use crate::error::StoreError;
use crate::sql::{Conn, Param, Row, Sql, Value};
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, CachedStatement, Connection};

type R<T> = Result<T, StoreError>;

/// One job's view of its transaction (a read snapshot, a batch's
/// transaction, or a savepoint in it).
pub(crate) struct SqliteTx<'a> {
    conn: &'a Connection,
    wrote: bool,
}

impl<'a> SqliteTx<'a> {
    pub(crate) fn new(conn: &'a Connection) -> Self {
        SqliteTx { conn, wrote: false }
    }

    /// Whether any statement that may write ran through this view (the
    /// writer re-runs a batch with savepoints only when a failed job did).
    pub(crate) fn wrote(&self) -> bool {
        self.wrote
    }

    #[inline]
    fn prepare(&mut self, sql: &'static Sql) -> R<CachedStatement<'a>> {
        let stmt = self.conn.prepare_cached(sql.sqlite()).map_err(backend)?;
        self.wrote |= !stmt.readonly();
        Ok(stmt)
    }
}

fn bound<'p>(params: &'p [&'p dyn Param]) -> impl Iterator<Item = Value<'p>> {
    params.iter().map(|p| p.value())
}

impl Conn for SqliteTx<'_> {
    type Row<'r> = rusqlite::Row<'r>;
    const KEEPS_KF_LOAD: bool = true;

    fn one<T>(
        &mut self,
        sql: &'static Sql,
        params: &[&dyn Param],
        decode: impl FnOnce(&rusqlite::Row<'_>) -> R<T>,
    ) -> R<Option<T>> {
        let mut stmt = self.prepare(sql)?;
        let mut rows = stmt.query(params_from_iter(bound(params))).map_err(backend)?;
        match rows.next().map_err(backend)? {
            Some(row) => decode(row).map(Some),
            None => Ok(None),
        }
    }

    fn all<T>(
        &mut self,
        sql: &'static Sql,
        params: &[&dyn Param],
        mut decode: impl FnMut(&rusqlite::Row<'_>) -> R<T>,
    ) -> R<Vec<T>> {
        let mut stmt = self.prepare(sql)?;
        let mut rows = stmt.query(params_from_iter(bound(params))).map_err(backend)?;
        let mut all = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            all.push(decode(row)?);
        }
        Ok(all)
    }

    fn execute(&mut self, sql: &'static Sql, params: &[&dyn Param]) -> R<u64> {
        let mut stmt = self.prepare(sql)?;
        let changed = stmt.execute(params_from_iter(bound(params))).map_err(backend)?;
        Ok(changed as u64)
    }

    fn batch(&mut self, sql: &'static str) -> R<()> {
        self.wrote = true;
        self.conn.execute_batch(sql).map_err(backend)
    }

    /// One process owns the file and its writer runs transactions one at a
    /// time, so a claim reads its pushes and then marks them in the same
    /// transaction without anyone in between.
    fn mark_claimed(&mut self, owner: &str, ids: &[i64]) -> R<()> {
        static SQL: Sql = Sql::new("UPDATE outbox SET owner = $1 WHERE id = $2");
        for id in ids {
            self.execute(&SQL, &[&owner, id])?;
        }
        Ok(())
    }

    /// Nothing to do: `INTEGER PRIMARY KEY` tables take one past the
    /// largest id by themselves, and the `AUTOINCREMENT` ones (outbox,
    /// deliveries) keep their `sqlite_sequence`, which an insert only raises.
    fn restart_ids(&mut self) -> R<()> {
        Ok(())
    }
}

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let value = match *self {
            Value::Null => ValueRef::Null,
            Value::I64(n) => ValueRef::Integer(n),
            Value::Bool(b) => ValueRef::Integer(i64::from(b)),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
        };
        Ok(ToSqlOutput::Borrowed(value))
    }
}

/// Column `i` as a `T`; a value of another type is corrupt data.
#[inline]
fn get<T: rusqlite::types::FromSql>(row: &rusqlite::Row<'_>, i: usize) -> R<T> {
    row.get(i).map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

impl Row for rusqlite::Row<'_> {
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
