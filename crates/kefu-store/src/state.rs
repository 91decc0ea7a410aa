//! The whole state at once: export, import, and named snapshots kept in the
//! database itself ([`StateTx`]). A snapshot is a copy of every exported row
//! in the `snap_<table>` tables: saving one is one transaction of copies and
//! restoring one another, so a crash leaves the old state or the new one,
//! and never loses the snapshot being restored from. A restore writes only
//! the rows that differ, so restoring before every test of a suite costs
//! what the test changed, not the size of the state.

use crate::document::Document;
use crate::error::StoreError;
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

/// A stored snapshot, without its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Its name.
    pub name: String,
    /// When it was saved (virtual clock).
    pub created_at: Timestamp,
    /// Rows it holds, every table together.
    pub rows: u64,
}

/// Reads and replaces the whole state, and keeps snapshots of it.
pub trait StateTx {
    /// Every exported table's rows, sorted by primary key.
    fn export_state(&mut self) -> R<Document>;
    /// Replaces every exported table's rows with the document's (snapshots
    /// and heartbeats stay); queue and message ids restart after the largest
    /// imported one, push and delivery ids never go back.
    fn import_state(&mut self, doc: &Document) -> R<()>;
    /// Reads every row of the typed tables back as the store's reads do:
    /// [`StoreError::Corrupt`] naming the table and the value of the first
    /// that does not decode (for an import to refuse what it was given).
    fn check_state(&mut self) -> R<()>;
    /// Saves (or replaces) snapshot `name` of every exported table.
    fn save_snapshot(&mut self, name: &str, created_at: Timestamp) -> R<SnapshotInfo>;
    /// Makes every exported table hold snapshot `name`'s rows exactly
    /// (deleting the rows that differ, copying back the missing ones), and
    /// restarts generated ids; the snapshot's rows, or `None` when there is
    /// no such snapshot (and nothing changed).
    fn restore_snapshot(&mut self, name: &str) -> R<Option<u64>>;
    /// Every snapshot, by name.
    fn snapshots(&mut self) -> R<Vec<SnapshotInfo>>;
    /// Deletes a snapshot; whether there was one.
    fn delete_snapshot(&mut self, name: &str) -> R<bool>;
}
