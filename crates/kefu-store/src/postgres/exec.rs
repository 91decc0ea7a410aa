//! Running statements inside one PostgreSQL transaction: statements are
//! prepared once per connection and cached by their SQL text.
//!
//! A failed statement aborts a PostgreSQL transaction, so the first failure
//! is kept: the worker reads it after the job to decide whether to run the
//! job again (serialization failure, deadlock, lost connection) or to report
//! it, even when the job swallowed the error.

use super::worker::Failure;
use crate::StoreError;
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use std::collections::HashMap;

type R<T> = Result<T, StoreError>;
pub(super) type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

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
    pub(super) fn fail(&mut self, e: postgres::Error) -> StoreError {
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

    pub(super) fn one<T>(&mut self, sql: &'static str, p: Params<'_>, f: fn(&Row) -> R<T>) -> R<Option<T>> {
        let stmt = self.prepare(sql)?;
        let row = self.txn.query_opt(&stmt, p).map_err(|e| self.fail(e))?;
        row.as_ref().map(f).transpose()
    }

    pub(super) fn all<T>(&mut self, sql: &'static str, p: Params<'_>, f: fn(&Row) -> R<T>) -> R<Vec<T>> {
        let stmt = self.prepare(sql)?;
        let rows = self.txn.query(&stmt, p).map_err(|e| self.fail(e))?;
        rows.iter().map(f).collect()
    }

    pub(super) fn exec(&mut self, sql: &'static str, p: Params<'_>) -> R<()> {
        let stmt = self.prepare(sql)?;
        self.txn.execute(&stmt, p).map(|_| ()).map_err(|e| self.fail(e))
    }

    /// Runs several statements without parameters (not cached).
    pub(super) fn batch(&mut self, sql: &str) -> R<()> {
        let done = self.txn.batch_execute(sql);
        done.map_err(|e| self.fail(e))
    }
}
