//! The whole state at once: export, import, and named snapshots kept in the
//! database itself ([`StateTx`]). A snapshot is an export document stored in
//! one row, so saving one is one transaction and restoring one (an import)
//! is another: a crash leaves the old state or the new one, and never loses
//! the snapshot being restored from.

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
    /// Its document's length in characters.
    pub size: u64,
}

/// Reads and replaces the whole state, and keeps snapshots of it.
pub trait StateTx {
    /// Every exported table's rows, sorted by primary key.
    fn export_state(&mut self) -> R<Document>;
    /// Replaces every exported table's rows with the document's (snapshots
    /// and heartbeats stay), and restarts generated ids after the largest
    /// imported one.
    fn import_state(&mut self, doc: &Document) -> R<()>;
    /// Saves (or replaces) a snapshot's document.
    fn put_snapshot(&mut self, name: &str, document: &str, created_at: Timestamp) -> R<()>;
    /// A snapshot's document.
    fn snapshot(&mut self, name: &str) -> R<Option<String>>;
    /// Every snapshot, by name.
    fn snapshots(&mut self) -> R<Vec<SnapshotInfo>>;
    /// Deletes a snapshot; whether there was one.
    fn delete_snapshot(&mut self, name: &str) -> R<bool>;
}
