//! Why the human side (the invited user, the worker, the follower) cannot do
//! what the control API asked. These are not WeChat errors: the control API
//! answers them as HTTP 409 with a stable code.

/// A refused human action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HumanError {
    /// There is no invitation to answer.
    #[error("the account has no invitation")]
    NoInvitation,
    /// The invitation was already rejected.
    #[error("the invitation was rejected")]
    InvitationRejected,
    /// The invitation expired.
    #[error("the invitation has expired")]
    InvitationExpired,
    /// The account has no bound worker.
    #[error("the account is not bound to a worker")]
    NotBound,
    /// The worker is bound to as many accounts as allowed.
    #[error("the worker is bound to too many kf accounts")]
    TooManyBindings,
    /// The account's worker is not logged in.
    #[error("the worker is not online")]
    Offline,
    /// The user does not follow the app.
    #[error("the user does not follow the app")]
    NotFollowing,
    /// The follower is being served in a session.
    #[error("the follower is in a session")]
    InSession,
    /// The follower is not in the waiting queue.
    #[error("the follower is not waiting")]
    NotWaiting,
    /// The follower waits for another kf account.
    #[error("the follower waits for another kf account")]
    WaitingForAnother,
    /// Nobody waits for this account.
    #[error("nobody is waiting")]
    QueueEmpty,
    /// The account holds no session with the follower.
    #[error("the account has no session with the follower")]
    NoSession,
    /// A session cannot be transferred to the account that holds it.
    #[error("the session is already with that account")]
    SameAccount,
    /// No send window is open: the follower has not written for 48 hours.
    #[error("the follower's send window is closed")]
    OutOfWindow,
}

impl HumanError {
    /// The stable code the control API answers with.
    pub fn code(self) -> &'static str {
        match self {
            HumanError::NoInvitation => "no_invitation",
            HumanError::InvitationRejected => "invitation_rejected",
            HumanError::InvitationExpired => "invitation_expired",
            HumanError::NotBound => "not_bound",
            HumanError::TooManyBindings => "too_many_bindings",
            HumanError::Offline => "offline",
            HumanError::NotFollowing => "not_following",
            HumanError::InSession => "in_session",
            HumanError::NotWaiting => "not_waiting",
            HumanError::WaitingForAnother => "waiting_for_another",
            HumanError::QueueEmpty => "queue_empty",
            HumanError::NoSession => "no_session",
            HumanError::SameAccount => "same_account",
            HumanError::OutOfWindow => "out_of_window",
        }
    }
}
