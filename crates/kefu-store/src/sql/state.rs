//! [`StateTx`] for every backend: the export's reads and the import's
//! writes, built once per process from the table list of
//! [`document::TABLES`](crate::document::TABLES), and the snapshots table.

use super::conn::{Conn, Param, Row, Sql, Value};
use super::snapshot::{snap_statements, SnapStatements};
use crate::document::{Cell, Document, Kind, Table, TABLES};
use crate::error::StoreError;
use crate::state::{SnapshotInfo, StateTx};
use crate::store::PROBE_KEY;
use crate::tx::Tx;
use kefu_core::Timestamp;
use std::sync::OnceLock;

type R<T> = Result<T, StoreError>;

/// A table's `SELECT` of every exported column, its `INSERT` of a row, and
/// its snapshot statements.
struct Statements {
    select: Sql,
    insert: Sql,
    snap: SnapStatements,
}

/// The statements of every table of [`TABLES`], in its order. Their text is
/// made once and kept for the life of the process, as every statement is.
fn statements() -> &'static [Statements] {
    static ALL: OnceLock<Vec<Statements>> = OnceLock::new();
    ALL.get_or_init(|| TABLES.iter().map(table_statements).collect())
}

fn table_statements(table: &Table) -> Statements {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let list = columns.join(", ");
    let params: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let select = format!("SELECT {list} FROM {}", table.name);
    let insert = format!("INSERT INTO {} ({list}) VALUES ({})", table.name, params.join(", "));
    Statements {
        select: Sql::new(Box::leak(select.into_boxed_str())),
        insert: Sql::new(Box::leak(insert.into_boxed_str())),
        snap: snap_statements(table),
    }
}

impl Param for Cell {
    fn value(&self) -> Value<'_> {
        match self {
            Cell::Null => Value::Null,
            Cell::Int(n) => Value::I64(*n),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Text(s) => Value::Text(s),
            Cell::Bytes(b) => Value::Bytes(b),
        }
    }
}

fn read_cell(row: &impl Row, i: usize, kind: Kind) -> R<Cell> {
    Ok(match kind {
        Kind::Int => Cell::Int(row.i64(i)?),
        Kind::OptInt => row.opt_i64(i)?.map_or(Cell::Null, Cell::Int),
        Kind::Bool => Cell::Bool(row.bool(i)?),
        Kind::Text => Cell::Text(row.text(i)?),
        Kind::OptText => row.opt_text(i)?.map_or(Cell::Null, Cell::Text),
        Kind::Bytes => Cell::Bytes(row.bytes(i)?),
    })
}

fn read_table<C: Conn>(c: &mut C, table: &Table, sql: &'static Sql) -> R<Vec<Vec<Cell>>> {
    let decode = |row: &C::Row<'_>| {
        let cells = table.columns.iter().enumerate();
        cells
            .map(|(i, (_, kind))| read_cell(row, i, *kind))
            .collect::<R<Vec<Cell>>>()
    };
    let mut rows = c.all(sql, &[], decode)?;
    if table.name == "meta" {
        rows.retain(|row| row.first() != Some(&Cell::Text(PROBE_KEY.to_owned())));
    }
    Ok(rows)
}

impl<C: Conn> StateTx for C {
    fn export_state(&mut self) -> R<Document> {
        let mut tables = Vec::with_capacity(TABLES.len());
        for (table, sql) in TABLES.iter().zip(statements()) {
            tables.push(read_table(self, table, &sql.select)?);
        }
        let mut doc = Document { tables };
        doc.sort();
        Ok(doc)
    }

    fn import_state(&mut self, doc: &Document) -> R<()> {
        Tx::wipe(self)?;
        for (rows, sql) in doc.tables.iter().zip(statements()) {
            for row in rows {
                let params: Vec<&dyn Param> = row.iter().map(|c| c as &dyn Param).collect();
                self.execute(&sql.insert, &params)?;
            }
        }
        self.restart_ids()
    }

    fn check_state(&mut self) -> R<()> {
        super::check::check_rows(self)
    }

    fn save_snapshot(&mut self, name: &str, created_at: Timestamp) -> R<SnapshotInfo> {
        static SQL: Sql = Sql::new(
            "INSERT INTO snapshots (name, created_at, row_count) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, row_count = excluded.row_count",
        );
        let mut rows = 0;
        for sql in statements() {
            self.execute(&sql.snap.forget, &[&name])?;
            rows += self.execute(&sql.snap.save, &[&name])?;
        }
        let count = i64::try_from(rows).map_err(|_| StoreError::Corrupt(format!("{rows} rows")))?;
        self.execute(&SQL, &[&name, &created_at.0, &count])?;
        Ok(SnapshotInfo {
            name: name.to_owned(),
            created_at,
            rows,
        })
    }

    fn restore_snapshot(&mut self, name: &str) -> R<Option<u64>> {
        static SQL: Sql = Sql::new("SELECT row_count FROM snapshots WHERE name = $1");
        let Some(rows) = self.one(&SQL, &[&name], |r| r.i64(0))? else {
            return Ok(None);
        };
        for sql in statements() {
            self.execute(&sql.snap.prune, &[&name])?;
            self.execute(&sql.snap.fill, &[&name])?;
        }
        self.restart_ids()?;
        Ok(Some(u64::try_from(rows).unwrap_or(0)))
    }

    fn snapshots(&mut self) -> R<Vec<SnapshotInfo>> {
        static SQL: Sql = Sql::new("SELECT name, created_at, row_count FROM snapshots");
        let mut all = self.all(&SQL, &[], |r| {
            Ok(SnapshotInfo {
                name: r.text(0)?,
                created_at: Timestamp(r.i64(1)?),
                rows: u64::try_from(r.i64(2)?).unwrap_or(0),
            })
        })?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    fn delete_snapshot(&mut self, name: &str) -> R<bool> {
        static SQL: Sql = Sql::new("DELETE FROM snapshots WHERE name = $1");
        for sql in statements() {
            self.execute(&sql.snap.forget, &[&name])?;
        }
        Ok(self.execute(&SQL, &[&name])? > 0)
    }
}
