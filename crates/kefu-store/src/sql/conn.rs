//! What the shared SQL needs from a backend: [`Conn`], a transaction that
//! runs statements, with typed parameters ([`Value`]) and a typed row
//! reader ([`Row`]); and [`Sql`], a statement's text in both dialects.

use crate::error::StoreError;
use std::sync::OnceLock;

type R<T> = Result<T, StoreError>;

/// One transaction of a backend, as the shared SQL uses it. Statements are
/// `static` [`Sql`] values, so that a backend may prepare each once per
/// connection and find it again by its text.
pub(crate) trait Conn {
    /// A result row of this backend.
    type Row<'r>: Row;
    /// Whether the database keeps `kf_load`, each account's open sessions
    /// (SQLite, by triggers); otherwise `accepted_case` counts sessions.
    const KEEPS_KF_LOAD: bool;
    /// The first row `sql` returns, decoded; `None` when it returns none.
    fn one<T>(
        &mut self,
        sql: &'static Sql,
        params: &[&dyn Param],
        decode: impl FnOnce(&Self::Row<'_>) -> R<T>,
    ) -> R<Option<T>>;
    /// Every row `sql` returns, decoded, in order.
    fn all<T>(
        &mut self,
        sql: &'static Sql,
        params: &[&dyn Param],
        decode: impl FnMut(&Self::Row<'_>) -> R<T>,
    ) -> R<Vec<T>>;
    /// Runs a statement that returns no rows; how many rows it changed.
    fn execute(&mut self, sql: &'static Sql, params: &[&dyn Param]) -> R<u64>;
    /// Runs several statements without parameters (not prepared).
    fn batch(&mut self, sql: &'static str) -> R<()>;
    /// The last step of a claim: marks the outbox rows `ids` as `owner`'s.
    /// (PostgreSQL does it in one statement with an array, which SQLite
    /// does not have.)
    fn mark_claimed(&mut self, owner: &str, ids: &[i64]) -> R<()>;
    /// After an import: the queue's and messages' next generated id is one
    /// past their largest; push and delivery ids never go back (a dispatcher
    /// may still be trying a push of the replaced state, and the delivery
    /// log's ids stay unambiguous).
    fn restart_ids(&mut self) -> R<()>;
}

/// A statement's text in PostgreSQL's dialect (`$1` placeholders), and the
/// same text with SQLite's `?1` placeholders, made on first use and kept for
/// the life of the process (statements are `static`s).
pub(crate) struct Sql {
    text: &'static str,
    sqlite: OnceLock<Box<str>>,
}

impl Sql {
    pub(crate) const fn new(text: &'static str) -> Sql {
        Sql {
            text,
            sqlite: OnceLock::new(),
        }
    }

    /// The text as written, for PostgreSQL.
    pub(crate) fn text(&self) -> &'static str {
        self.text
    }

    /// The text with `?N` for every `$N`, for SQLite.
    pub(crate) fn sqlite(&self) -> &str {
        self.sqlite.get_or_init(|| question_marks(self.text))
    }
}

/// `$N` becomes `?N` everywhere but inside quoted literals and identifiers.
fn question_marks(text: &str) -> Box<str> {
    let mut quote = None;
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (_, Some(q)) if c == q => quote = None,
            ('$', None) if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out.into()
}

/// A statement parameter: every column type the schemas use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    I64(i64),
    Bool(bool),
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// A Rust value that can be bound as a statement parameter.
pub(crate) trait Param {
    fn value(&self) -> Value<'_>;
}

impl Param for i64 {
    fn value(&self) -> Value<'_> {
        Value::I64(*self)
    }
}

impl Param for u32 {
    fn value(&self) -> Value<'_> {
        Value::I64(i64::from(*self))
    }
}

impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}

impl Param for &str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Bytes(self)
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// One result row, read by column index. A value of the wrong type, or out
/// of its domain, is [`StoreError::Corrupt`] on every backend.
pub(crate) trait Row {
    fn i64(&self, i: usize) -> R<i64>;
    fn opt_i64(&self, i: usize) -> R<Option<i64>>;
    fn bool(&self, i: usize) -> R<bool>;
    fn text(&self, i: usize) -> R<String>;
    fn opt_text(&self, i: usize) -> R<Option<String>>;
    fn bytes(&self, i: usize) -> R<Vec<u8>>;

    /// An integer that must fit a `u32` (counts, limits).
    fn u32(&self, i: usize) -> R<u32> {
        let n = self.i64(i)?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("column {i}: {n} is not a count")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_question_marks_outside_quotes() {
        let sql = Sql::new("SELECT a FROM t WHERE b = $1 AND c = '$2' AND \"$3\" = $10 AND d = $x");
        assert_eq!(
            sql.sqlite(),
            "SELECT a FROM t WHERE b = ?1 AND c = '$2' AND \"$3\" = ?10 AND d = $x"
        );
        assert_eq!(
            sql.text(),
            "SELECT a FROM t WHERE b = $1 AND c = '$2' AND \"$3\" = $10 AND d = $x"
        );
    }
}
