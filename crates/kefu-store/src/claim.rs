//! How a claim chooses its pushes. A claim walks the apps that have free
//! pushes (one index seek each), takes each app's oldest ones (at most
//! `per_app`), and hands out the oldest of those, at most `limit`. Its cost
//! grows with the number of apps waiting and the pushes handed out, never
//! with the length of the outbox, and an app left out (`skip`) costs nothing
//! however many pushes it has waiting.
//!
//! The walk is written once for both backends (`claim_pushes` in
//! `sql/callback.rs`); only its last step, marking the chosen rows, is each
//! backend's own (`Conn::mark_claimed`), and its doc says why no push is
//! handed to two dispatchers there: SQLite's single writer runs claims one
//! at a time, and PostgreSQL's SERIALIZABLE writes make one of two
//! overlapping claims run again on the other's result.

use kefu_core::push::Pending;

/// The oldest `limit` of the apps' candidates.
pub(crate) fn oldest(mut candidates: Vec<Pending>, limit: u32) -> Vec<Pending> {
    candidates.sort_by_key(|p| p.push.id);
    candidates.truncate(limit as usize);
    candidates
}
