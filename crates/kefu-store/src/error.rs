//! The one error type of the storage layer, in a module of its own so that
//! every other module can name it without importing the crate root.

/// A failure of the storage layer itself (never a business rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (IO, SQL, constraint); the detail is for logs only.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// A stored row could not be read back into a domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The store has shut down.
    #[error("the store is closed")]
    Closed,
    /// The database URL names no backend this build has.
    #[error("unsupported database url: {0}")]
    Unsupported(String),
}
