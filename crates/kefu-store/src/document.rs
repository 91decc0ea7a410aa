//! kefu's whole state as one JSON document: what `export` writes and
//! `import` reads (a snapshot keeps the same rows, as copies in the store).
//!
//! The document is generic on purpose: per table, every row as an object of
//! column → value (integers as JSON numbers, booleans as booleans, text as
//! strings, blobs as base64), over the fixed table list of [`TABLES`]. A new
//! column is one line there, and the SQL that reads and writes the tables is
//! written once (`sql/state.rs`) for every backend. Rows are sorted by their
//! primary key in Rust (not by SQL collations, which differ between
//! backends), so the same state gives the same bytes on every backend.
//!
//! Not exported: the dispatchers' heartbeats and outbox claims (they say
//! which process is alive now, not what the state is), the health probe's
//! meta row, and the snapshots themselves.

use base64::Engine;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// The document's `format` field.
pub const FORMAT: &str = "kefu-export";
/// The document's `version` field.
pub const VERSION: u64 = 1;

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    OptInt,
    Bool,
    Text,
    OptText,
    Bytes,
}

/// One exported table: its columns in order, and how many of the first
/// columns make its primary key.
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    pub key: usize,
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

/// A parsed document: per table of [`TABLES`], in that order, its rows
/// (cells in column order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub(crate) tables: Vec<Vec<Vec<Cell>>>,
}

/// What is wrong with a document, naming the place (`tables.apps[0].secret`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DocumentError(pub String);

impl Document {
    /// How many rows the document holds, every table together.
    pub fn rows(&self) -> usize {
        self.tables.iter().map(Vec::len).sum()
    }

    /// Sorts every table's rows by primary key (the export order).
    pub(crate) fn sort(&mut self) {
        for (rows, table) in self.tables.iter_mut().zip(TABLES) {
            rows.sort_by(|a, b| compare_keys(a, b, table.key));
        }
    }

    /// The document as JSON.
    pub fn to_json(&self) -> Value {
        let mut tables = Map::new();
        for (rows, table) in self.tables.iter().zip(TABLES) {
            let rows = rows.iter().map(|row| row_json(row, table)).collect();
            tables.insert(table.name.to_owned(), Value::Array(rows));
        }
        let mut doc = Map::new();
        doc.insert("format".into(), FORMAT.into());
        doc.insert("version".into(), VERSION.into());
        doc.insert("tables".into(), Value::Object(tables));
        Value::Object(doc)
    }

    /// Reads a document; a table it leaves out is empty. Refuses another
    /// format or version, an unknown table or column, a missing non-null
    /// column, a value of the wrong type and two rows with one primary key.
    pub fn from_json(doc: &Value) -> Result<Document, DocumentError> {
        let doc = doc
            .as_object()
            .ok_or_else(|| bad("the document is not a JSON object"))?;
        if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(format!("format: expected \"{FORMAT}\"")));
        }
        if doc.get("version").and_then(Value::as_u64) != Some(VERSION) {
            return Err(bad(format!("version: expected {VERSION}")));
        }
        let tables = doc.get("tables").and_then(Value::as_object);
        let tables = tables.ok_or_else(|| bad("tables: expected an object of tables"))?;
        if let Some(name) = tables.keys().find(|k| !TABLES.iter().any(|t| t.name == k.as_str())) {
            return Err(bad(format!("tables.{name}: no such table")));
        }
        let mut parsed = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            parsed.push(match tables.get(table.name) {
                None => Vec::new(),
                Some(rows) => table_rows(rows, table)?,
            });
        }
        Ok(Document { tables: parsed })
    }
}

fn bad(message: impl Into<String>) -> DocumentError {
    DocumentError(message.into())
}

fn compare_keys(a: &[Cell], b: &[Cell], key: usize) -> Ordering {
    a[..key].cmp(&b[..key])
}

fn row_json(row: &[Cell], table: &Table) -> Value {
    let mut object = Map::new();
    for (cell, (name, _)) in row.iter().zip(table.columns) {
        let value = match cell {
            Cell::Null => Value::Null,
            Cell::Int(n) => (*n).into(),
            Cell::Bool(b) => (*b).into(),
            Cell::Text(s) => s.as_str().into(),
            Cell::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b).into(),
        };
        object.insert((*name).to_owned(), value);
    }
    Value::Object(object)
}

fn table_rows(rows: &Value, table: &Table) -> Result<Vec<Vec<Cell>>, DocumentError> {
    let name = table.name;
    let rows = rows
        .as_array()
        .ok_or_else(|| bad(format!("tables.{name}: expected an array of rows")))?;
    let mut parsed = rows
        .iter()
        .enumerate()
        .map(|(i, row)| table_row(row, table).map_err(|e| bad(format!("tables.{name}[{i}]{}", e.0))))
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort_by(|a, b| compare_keys(a, b, table.key));
    if parsed.windows(2).any(|w| compare_keys(&w[0], &w[1], table.key).is_eq()) {
        return Err(bad(format!("tables.{name}: two rows have one primary key")));
    }
    Ok(parsed)
}

fn table_row(row: &Value, table: &Table) -> Result<Vec<Cell>, DocumentError> {
    let row = row.as_object().ok_or_else(|| bad(": expected an object"))?;
    if let Some(column) = row.keys().find(|k| !table.columns.iter().any(|(c, _)| c == k)) {
        return Err(bad(format!(".{column}: no such column")));
    }
    let cells = table.columns.iter().map(|(column, kind)| {
        cell(row.get(*column).unwrap_or(&Value::Null), *kind).map_err(|e| bad(format!(".{column}: {e}")))
    });
    cells.collect()
}

fn cell(value: &Value, kind: Kind) -> Result<Cell, &'static str> {
    match (kind, value) {
        (Kind::OptInt | Kind::OptText, Value::Null) => Ok(Cell::Null),
        (Kind::Int | Kind::OptInt, v) => v.as_i64().map(Cell::Int).ok_or("expected an integer"),
        (Kind::Bool, v) => v.as_bool().map(Cell::Bool).ok_or("expected a boolean"),
        (Kind::Text | Kind::OptText, v) => v.as_str().map(|s| Cell::Text(s.to_owned())).ok_or("expected a string"),
        (Kind::Bytes, v) => v
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .map(Cell::Bytes)
            .ok_or("expected base64"),
    }
}

use Kind::{Bool, Bytes, Int, OptInt, OptText, Text};

/// Every exported table, in the order an import writes them.
pub(crate) const TABLES: &[Table] = &[
    t("meta", 1, &[("key", Text), ("value", Text)]),
    t(
        "apps",
        1,
        &[
            ("appid", Text),
            ("secret", Text),
            ("account_type", Text),
            ("certified", Bool),
            ("wechat_id", Text),
            ("original_id", Text),
            ("kf_enabled", Bool),
            ("next_kf_id", Int),
            ("created_at", Int),
            ("ip_whitelist", Text),
            ("quotas", Text),
        ],
    ),
    t(
        "tokens",
        1,
        &[
            ("token", Text),
            ("appid", Text),
            ("kind", Text),
            ("issued_at", Int),
            ("expires_at", Int),
            ("invalid_after", OptInt),
            ("via", OptText),
        ],
    ),
    t("current_tokens", 2, &[("appid", Text), ("kind", Text), ("token", Text)]),
    t(
        "counters",
        2,
        &[
            ("appid", Text),
            ("key", Text),
            ("window_start", Int),
            ("count", Int),
            ("last_at", Int),
        ],
    ),
    t(
        "kf_accounts",
        2,
        &[
            ("appid", Text),
            ("kf_account", Text),
            ("kf_id", Int),
            ("nickname", Text),
            ("headimg_version", Int),
            ("worker", OptText),
            ("online", Bool),
            ("invite_wx", OptText),
            ("invite_expire_time", OptInt),
            ("invite_rejected", Bool),
        ],
    ),
    t(
        "headimgs",
        2,
        &[
            ("appid", Text),
            ("kf_account", Text),
            ("content_type", Text),
            ("data", Bytes),
        ],
    ),
    t("wechat_users", 1, &[("wx", Text), ("invalid", Bool)]),
    t(
        "fans",
        2,
        &[
            ("appid", Text),
            ("openid", Text),
            ("subscribed", Bool),
            ("followed_at", Int),
            ("ever_followed", Bool),
            ("msg_left", Int),
            ("msg_until", Int),
            ("evt_left", Int),
            ("evt_until", Int),
            ("last_contact", OptInt),
            ("typing_until", OptInt),
        ],
    ),
    t(
        "sessions",
        2,
        &[
            ("appid", Text),
            ("openid", Text),
            ("kf_account", Text),
            ("created_at", Int),
            ("last_msg_at", Int),
        ],
    ),
    t(
        "waitcases",
        1,
        &[
            ("seq", Int),
            ("appid", Text),
            ("openid", Text),
            ("kf_account", OptText),
            ("arrived_at", Int),
            ("latest_time", Int),
        ],
    ),
    t(
        "messages",
        1,
        &[
            ("msgid", Int),
            ("appid", Text),
            ("openid", Text),
            ("worker", OptText),
            ("opercode", Int),
            ("msgtype", Text),
            ("text", Text),
            ("detail", Text),
            ("time", Int),
        ],
    ),
    t(
        "components",
        1,
        &[
            ("component_appid", Text),
            ("secret", Text),
            ("ip_whitelist", Text),
            ("created_at", Int),
        ],
    ),
    t(
        "tickets",
        1,
        &[("ticket", Text), ("component_appid", Text), ("issued_at", Int)],
    ),
    t(
        "authorizations",
        2,
        &[
            ("component_appid", Text),
            ("appid", Text),
            ("perm_sets", Text),
            ("authorized_at", Int),
            ("refresh_token", Text),
            ("previous_refresh", OptText),
            ("previous_until", OptInt),
            ("current_token", OptText),
        ],
    ),
    t(
        "callbacks",
        1,
        &[
            ("appid", Text),
            ("url", Text),
            ("token", Text),
            ("encoding_aes_key", OptText),
            ("mode", Text),
            ("format", Text),
            ("updated_at", Int),
        ],
    ),
    t(
        "outbox",
        1,
        &[
            ("id", Int),
            ("appid", Text),
            ("openid", Text),
            ("created_at", Int),
            ("nonce", Int),
            ("event", Text),
            ("msgid", OptInt),
            ("a", Text),
            ("b", Text),
            ("attempts", Int),
        ],
    ),
    t(
        "deliveries",
        1,
        &[
            ("id", Int),
            ("push_id", Int),
            ("appid", Text),
            ("openid", Text),
            ("event", Text),
            ("attempt", Int),
            ("at", Int),
            ("url", Text),
            ("request", Text),
            ("status", OptInt),
            ("response", Text),
            ("latency_ms", Int),
            ("outcome", Text),
            ("detail", Text),
            ("last", Bool),
        ],
    ),
];

const fn t(name: &'static str, key: usize, columns: &'static [(&'static str, Kind)]) -> Table {
    Table { name, columns, key }
}
