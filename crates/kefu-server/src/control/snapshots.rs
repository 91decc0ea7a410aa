//! Handlers of the whole-state routes: export, import and snapshots.

use super::CJson;
use crate::error::ControlError;
use crate::service::snapshots;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::Json;
use kefu_api::snapshot as s;
use serde_json::Value;

type CResult<T> = Result<Json<T>, ControlError>;

/// The largest document `import` reads.
pub(crate) const IMPORT_LIMIT: usize = 256 << 20;

/// The body limit of `import`.
pub(crate) fn import_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(IMPORT_LIMIT)
}

pub(crate) async fn export(State(st): State<AppState>) -> CResult<Value> {
    snapshots::export(&st).await.map(Json)
}

pub(crate) async fn import(State(st): State<AppState>, CJson(doc): CJson<Value>) -> CResult<s::Imported> {
    snapshots::import(&st, &doc).await.map(Json)
}

pub(crate) async fn list(State(st): State<AppState>) -> CResult<Vec<s::SnapshotInfo>> {
    snapshots::list(&st).await.map(Json)
}

pub(crate) async fn save(
    State(st): State<AppState>,
    CJson(req): CJson<s::SaveSnapshot>,
) -> Result<(StatusCode, Json<s::SnapshotInfo>), ControlError> {
    let info = snapshots::save(&st, req).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

pub(crate) async fn restore(State(st): State<AppState>, Path(name): Path<String>) -> CResult<s::Imported> {
    snapshots::restore(&st, name).await.map(Json)
}

pub(crate) async fn delete(State(st): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ControlError> {
    snapshots::delete(&st, name).await.map(|()| StatusCode::NO_CONTENT)
}
