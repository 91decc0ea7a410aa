//! The store's SQL, written once for every backend.
//!
//! Both backends keep the same tables under the same names; only their
//! column types differ (SQLite's INTEGER where PostgreSQL has BIGINT or
//! BOOLEAN, BLOB for BYTEA). So the statements, the column lists and the row
//! decoders are written here once, and every [`Tx`](crate::Tx) method is
//! implemented once for any [`Conn`]: a backend implements that small trait
//! (one row, all rows, execute, a batch, and the claim's last step) over
//! one of its transactions, and gets the whole `Tx` family with it.
//!
//! Statements are written in PostgreSQL's dialect with `$1` placeholders;
//! [`Sql`] gives SQLite the same text with `?1` placeholders, derived once
//! per statement. A dialect both databases understand is used throughout:
//! upserts are `INSERT … ON CONFLICT (…) DO UPDATE`, generated ids come
//! back through `RETURNING`. A new column is added to its table's column
//! list, its decoder and its upsert here, and to one migration per backend.

mod conn;
#[macro_use]
mod rows;
mod callback;
mod check;
mod conversation;
mod platform;
mod snapshot;
mod state;
mod tx;

pub(crate) use conn::{Conn, Param, Row, Sql, Value};
