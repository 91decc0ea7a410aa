//! The control API's whole-state calls: `export` and `import` move the
//! state as one JSON document (free-form here: its tables follow the
//! store's), and named snapshots keep copies of the state in the store.

use serde::{Deserialize, Serialize};

/// `POST /_kefu/snapshots` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveSnapshot {
    /// 1 to 64 of `A-Z a-z 0-9 . _ -`; saving under a taken name replaces it.
    pub name: String,
}

/// A saved snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotInfo {
    /// Its name.
    pub name: String,
    /// When it was saved (unix seconds, virtual clock).
    pub created_at: i64,
    /// Rows it holds, every table together.
    pub rows: u64,
}

/// What an import or a restore wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imported {
    /// Rows written, every table together.
    pub rows: u64,
}
