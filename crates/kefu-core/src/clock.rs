//! The virtual clock's bounds: kefu's clock shows instants from the Unix
//! epoch to the last second of the year 9999, so every expiry computed from
//! it (tokens, invitations, sessions, send windows) stays a valid instant
//! and no arithmetic on it can overflow.

use crate::ids::Timestamp;

/// The earliest instant the clock may show: the Unix epoch.
pub const EARLIEST: Timestamp = Timestamp(0);
/// The latest instant the clock may show: 9999-12-31T23:59:59Z.
pub const LATEST: Timestamp = Timestamp(253_402_300_799);

/// Why the clock refuses to move or to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// A negative advance.
    #[error("the clock only moves forward: seconds must be 0 or more")]
    Backwards,
    /// An instant after [`LATEST`].
    #[error("the clock cannot pass 9999-12-31T23:59:59Z (unix time 253402300799)")]
    PastLatest,
    /// An instant before [`EARLIEST`].
    #[error("the clock cannot show a time before the Unix epoch (unix time 0)")]
    BeforeEarliest,
}

/// Checks an instant the clock is asked to stand at (`--frozen-clock`).
pub fn check_instant(at: i64) -> Result<Timestamp, ClockError> {
    if at < EARLIEST.0 {
        Err(ClockError::BeforeEarliest)
    } else if at > LATEST.0 {
        Err(ClockError::PastLatest)
    } else {
        Ok(Timestamp(at))
    }
}

/// The offset after moving the clock `seconds` forward from `base` (the
/// time the clock runs from) plus `offset`.
pub fn advance(base: i64, offset: i64, seconds: i64) -> Result<i64, ClockError> {
    if seconds < 0 {
        return Err(ClockError::Backwards);
    }
    let offset = offset.checked_add(seconds).ok_or(ClockError::PastLatest)?;
    let now = base.checked_add(offset).ok_or(ClockError::PastLatest)?;
    check_instant(now).map(|_| offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_up_to_the_last_second_of_9999_and_no_further() {
        assert_eq!(advance(1_700_000_000, 10, 5), Ok(15));
        assert_eq!(advance(LATEST.0 - 100, 0, 100), Ok(100));
        assert_eq!(advance(LATEST.0 - 100, 0, 101), Err(ClockError::PastLatest));
        assert_eq!(advance(1_700_000_000, 0, i64::MAX), Err(ClockError::PastLatest));
        assert_eq!(advance(1_700_000_000, i64::MAX, 1), Err(ClockError::PastLatest));
        assert_eq!(advance(1_700_000_000, 0, -1), Err(ClockError::Backwards));
        assert_eq!(advance(1_700_000_000, 0, 0), Ok(0));
    }

    #[test]
    fn a_frozen_instant_is_between_the_epoch_and_9999() {
        assert_eq!(check_instant(0), Ok(EARLIEST));
        assert_eq!(check_instant(LATEST.0), Ok(LATEST));
        assert_eq!(check_instant(LATEST.0 + 1), Err(ClockError::PastLatest));
        assert_eq!(check_instant(-1), Err(ClockError::BeforeEarliest));
        assert_eq!(check_instant(i64::MAX), Err(ClockError::PastLatest));
    }
}
