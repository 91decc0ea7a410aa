//! The whole state at once: export it as one document, replace it with one
//! (import), and save or restore named snapshots kept in the store (copies
//! of its rows; a restore writes only the rows that differ). Each is
//! one store transaction; after a replacement the in-process caches (the
//! credential cache, the clock's offset) are brought to the new state.

use super::clock::read_offset;
use crate::error::ControlError;
use crate::state::AppState;
use kefu_api::snapshot as s;
use kefu_store::{Document, StoreError, Tx};
use serde_json::Value;

/// The whole state as one document.
pub(crate) async fn export(state: &AppState) -> Result<Value, ControlError> {
    let doc = state
        .store
        .read(|tx| tx.export_state().map_err(ControlError::from))
        .await?;
    Ok(doc.to_json())
}

/// Replaces the whole state with `doc`'s, in one transaction.
pub(crate) async fn import(state: &AppState, doc: &Value) -> Result<s::Imported, ControlError> {
    let doc = Document::from_json(doc).map_err(|e| ControlError::BadRequest(e.0))?;
    let rows = doc.rows();
    let offset = state
        .store
        .write(move |tx| {
            tx.import_state(&doc)?;
            tx.check_state().map_err(refused)?;
            read_offset(tx).map_err(ControlError::from)
        })
        .await?;
    replaced(state, offset);
    Ok(imported(rows))
}

/// A row of the document that does not read back is the document's fault.
fn refused(e: StoreError) -> ControlError {
    match e {
        StoreError::Corrupt(what) => ControlError::BadRequest(what),
        other => other.into(),
    }
}

/// Saves the current state under `name` (replacing a snapshot of that name).
pub(crate) async fn save(state: &AppState, req: s::SaveSnapshot) -> Result<s::SnapshotInfo, ControlError> {
    check_name(&req.name)?;
    let now = state.now();
    let name = req.name;
    let saved = state
        .store
        .write(move |tx| tx.save_snapshot(&name, now).map_err(ControlError::from))
        .await?;
    Ok(info(saved))
}

/// Replaces the whole state with snapshot `name`'s, in one transaction.
pub(crate) async fn restore(state: &AppState, name: String) -> Result<s::Imported, ControlError> {
    let (rows, offset) = state.store.write(move |tx| restore_in(tx, &name)).await?;
    replaced(state, offset);
    Ok(s::Imported { rows })
}

fn restore_in(tx: &mut dyn Tx, name: &str) -> Result<(u64, i64), ControlError> {
    let rows = tx.restore_snapshot(name)?.ok_or(ControlError::NotFound("snapshot"))?;
    Ok((rows, read_offset(tx)?))
}

fn info(i: kefu_store::SnapshotInfo) -> s::SnapshotInfo {
    s::SnapshotInfo {
        name: i.name,
        created_at: i.created_at.0,
        rows: i.rows,
    }
}

/// Every snapshot, by name.
pub(crate) async fn list(state: &AppState) -> Result<Vec<s::SnapshotInfo>, ControlError> {
    let all = state
        .store
        .read(|tx| tx.snapshots().map_err(ControlError::from))
        .await?;
    Ok(all.into_iter().map(info).collect())
}

/// Deletes snapshot `name`; 404 when there is none.
pub(crate) async fn delete(state: &AppState, name: String) -> Result<(), ControlError> {
    let deleted = state
        .store
        .write(move |tx| tx.delete_snapshot(&name).map_err(ControlError::from))
        .await?;
    deleted.then_some(()).ok_or(ControlError::NotFound("snapshot"))
}

/// After the state was replaced: no cached credential of the old state is
/// served, and the clock runs at the new state's offset.
fn replaced(state: &AppState, offset: i64) {
    state.credentials.invalidate();
    state.clock.set_offset(offset);
}

fn imported(rows: usize) -> s::Imported {
    s::Imported {
        rows: u64::try_from(rows).unwrap_or(u64::MAX),
    }
}

/// A name is 1 to 64 of `A-Z a-z 0-9 . _ -`.
fn check_name(name: &str) -> Result<(), ControlError> {
    let ok = (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    ok.then_some(())
        .ok_or_else(|| ControlError::BadRequest("name: 1 to 64 of A-Z a-z 0-9 . _ -".into()))
}
