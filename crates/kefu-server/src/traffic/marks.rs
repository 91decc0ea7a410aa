//! What a request carries to the journal: the app its credential resolved
//! to, set by the credential check, and what an error answer was, set by
//! `ApiError`. A leaf, so that the layers that set them need not import the
//! journal.

use kefu_core::ids::AppId;
use std::sync::{Arc, OnceLock};

/// Where the credential check leaves the app a request turned out to be
/// for, so that the journal can say so (a request extension).
#[derive(Clone, Default)]
pub(crate) struct CallerSlot(pub Arc<OnceLock<AppId>>);

/// What an error answer was: put in the response's extensions by
/// `ApiError`, read by the journal, the access log and the metrics.
#[derive(Debug, Clone)]
pub(crate) struct Answered {
    pub errcode: i64,
    pub rid: String,
}
