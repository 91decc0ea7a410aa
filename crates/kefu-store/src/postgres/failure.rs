//! What a PostgreSQL failure means for the job that met it: run it again
//! (it lost to a concurrent transaction, or the connection broke before
//! COMMIT), answer with the failure, or report that a COMMIT's outcome is
//! unknown; and the answer of a job given up at its deadline. Error texts
//! never contain the connection password.

use crate::error::StoreError;
use crate::job::{JobError, JobOutput};
use postgres::error::SqlState;

pub(crate) type Answer = Result<JobOutput, JobError>;

/// The error text of a client failure: the server's message and SQLSTATE,
/// or the client's description and its causes. Neither contains the
/// connection password.
pub(crate) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

pub(crate) fn backend(e: postgres::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

/// Why a statement failed, kept from the client error.
pub(crate) struct Failure {
    code: Option<SqlState>,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn of(e: &postgres::Error) -> Failure {
        Failure {
            code: e.code().cloned(),
            message: describe(e),
        }
    }

    /// Lost to a concurrent transaction: rolled back, worth running again.
    pub(crate) fn retryable(&self) -> bool {
        self.code
            .as_ref()
            .is_some_and(|c| *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
    }

    /// The server ended the session (an administrator's or a crash's
    /// shutdown, or a connection exception): the connection is gone even if
    /// the client has not noticed yet.
    fn ended_session(&self) -> bool {
        self.code.as_ref().is_some_and(|c| {
            *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || c.code().starts_with("08")
        })
    }

    fn into_answer(self) -> Answer {
        Err(JobError::Store(StoreError::Backend(self.message)))
    }
}

/// The answer of a job given up at its deadline (or whose caller stopped
/// waiting) before it started (`first`), or before it was run again:
/// nothing of it was committed.
pub(crate) fn past_deadline(first: bool) -> Answer {
    crate::measure::expired();
    let when = if first {
        "before it started"
    } else {
        "before it could be run again"
    };
    Err(JobError::Store(StoreError::Backend(format!(
        "the job passed its deadline {when}; nothing was committed"
    ))))
}

/// How one attempt at a job ended.
pub(crate) enum Step {
    /// Committed, or ended as the job decided (its `Err`, or a read).
    Done(Answer),
    /// Ready to commit past its deadline: rolled back instead.
    Expired,
    /// BEGIN failed.
    Begin(Failure),
    /// A statement failed and the transaction was rolled back; the job's answer.
    Statement(Failure, Answer),
    /// COMMIT failed.
    Commit(Failure),
}

/// What to do after an attempt.
pub(crate) enum Attempt {
    Done(Answer),
    Retry(String),
}

impl Step {
    /// Whether the attempt's failure means the connection is gone.
    pub(crate) fn ended_session(&self) -> bool {
        match self {
            Step::Begin(f) | Step::Statement(f, _) | Step::Commit(f) => f.ended_session(),
            Step::Done(_) | Step::Expired => false,
        }
    }

    /// The answer, or a retry; `lost` says the connection broke meanwhile.
    pub(crate) fn settle(self, lost: bool) -> Attempt {
        match self {
            Step::Done(answer) => Attempt::Done(answer),
            Step::Expired => {
                crate::measure::expired();
                Attempt::Done(Err(JobError::Store(StoreError::Backend(
                    "the job passed its deadline before COMMIT; rolled back, nothing was committed".into(),
                ))))
            }
            Step::Begin(f) | Step::Statement(f, _) if lost || f.retryable() => Attempt::Retry(f.message),
            Step::Commit(f) if f.retryable() => Attempt::Retry(f.message),
            Step::Commit(f) if lost => Attempt::Done(unknown_outcome(&f)),
            // The job went on after a failed statement: nothing was kept.
            Step::Statement(f, Ok(_)) => Attempt::Done(f.into_answer()),
            Step::Statement(_, answer) => Attempt::Done(answer),
            Step::Begin(f) | Step::Commit(f) => Attempt::Done(f.into_answer()),
        }
    }
}

/// COMMIT was sent and the connection was lost (or cut at the deadline)
/// before its answer came: the server may have committed or not, and
/// nothing on this side can tell which. Counted, logged, and answered as a
/// failure that says so.
fn unknown_outcome(f: &Failure) -> Answer {
    crate::measure::commit_unknown();
    tracing::warn!(error = %f.message, "PostgreSQL COMMIT sent but never answered: the write's outcome is unknown");
    Err(JobError::Store(StoreError::Backend(format!(
        "connection lost after COMMIT was sent: the write's outcome is unknown (it may or may not be applied): {}",
        f.message
    ))))
}
