//! The statements of snapshots, made once per process from the table list
//! of [`document::TABLES`](crate::document::TABLES): per table, a copy of
//! its rows into `snap_<table>`, and a restore in two steps that writes only
//! what differs: delete the rows no snapshot row equals, then copy back the
//! snapshot rows whose primary key is now missing.

use super::conn::Sql;
use crate::document::Table;

/// One table's snapshot statements (`$1` is the snapshot's name).
pub(super) struct SnapStatements {
    pub(super) save: Sql,
    pub(super) forget: Sql,
    pub(super) prune: Sql,
    pub(super) fill: Sql,
}

fn leak(text: String) -> Sql {
    Sql::new(Box::leak(text.into_boxed_str()))
}

/// `a.c = b.c` for key columns (never null, so an index serves it), `a.c IS
/// NOT DISTINCT FROM b.c` for the others.
fn same(table: &Table, a: &str, b: &str, columns: usize) -> String {
    let each = table.columns.iter().take(columns).enumerate().map(|(i, (c, _))| {
        if i < table.key {
            format!("{a}.{c} = {b}.{c}")
        } else {
            format!("{a}.{c} IS NOT DISTINCT FROM {b}.{c}")
        }
    });
    each.collect::<Vec<_>>().join(" AND ")
}

pub(super) fn snap_statements(table: &Table) -> SnapStatements {
    let (t, n) = (table.name, table.columns.len());
    let list: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let list = list.join(", ");
    let s_list: Vec<String> = table.columns.iter().map(|(c, _)| format!("s.{c}")).collect();
    let s_list = s_list.join(", ");
    SnapStatements {
        save: leak(format!(
            "INSERT INTO snap_{t} (snapshot, {list}) SELECT $1, {list} FROM {t}"
        )),
        forget: leak(format!("DELETE FROM snap_{t} WHERE snapshot = $1")),
        prune: leak(format!(
            "DELETE FROM {t} WHERE NOT EXISTS (SELECT 1 FROM snap_{t} s WHERE s.snapshot = $1 AND {})",
            same(table, "s", t, n)
        )),
        fill: leak(format!(
            "INSERT INTO {t} ({list}) SELECT {s_list} FROM snap_{t} s WHERE s.snapshot = $1 \
             AND NOT EXISTS (SELECT 1 FROM {t} t WHERE {})",
            same(table, "t", "s", table.key)
        )),
    }
}
