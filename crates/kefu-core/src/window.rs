//! When a customer-service message may reach a follower: the send windows
//! that the follower's own actions open, and the typing indicator.
//!
//! WeChat lets an app answer only after the follower did something: a message
//! grants 5 messages within 48 hours, a follow, a QR-code scan or a menu click
//! grants 3 within a minute. The two grants are kept apart, each action resets
//! its own grant to the full count and duration (counts never add up), and a
//! send spends the grant that ends first. Unfollowing ends both at once.

use crate::errcode::ErrCode;
use crate::ids::Timestamp;

/// Messages a follower's message allows, and for how long.
pub const MESSAGE_GRANT: (u32, i64) = (5, 48 * 3600);
/// Messages a follow, a scan or a menu click allows, and for how long.
pub const EVENT_GRANT: (u32, i64) = (3, 60);
/// Typing needs a message between the two sides within this many seconds.
pub const TYPING_NEEDS_CONTACT_WITHIN: i64 = 30;
/// How long a typing indicator lasts.
pub const TYPING_LASTS: i64 = 15;

/// What opened a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The follower wrote (text, image, voice, video).
    Message,
    /// The follower followed, scanned a QR code or clicked a menu.
    Event,
}

/// Messages left in one grant, and when it ends (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grant {
    /// Messages the app may still send under this grant.
    pub left: u32,
    /// The first instant the grant no longer applies.
    pub until: Timestamp,
}

impl Grant {
    fn live(&self, now: Timestamp) -> bool {
        now < self.until
    }

    fn usable(&self, now: Timestamp) -> bool {
        self.live(now) && self.left > 0
    }
}

/// A follower's contact state with the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Contact {
    /// The grant the follower's last message opened.
    pub message: Grant,
    /// The grant the follower's last follow, scan or click opened.
    pub event: Grant,
    /// The last message between the follower and the app, either way.
    pub last_contact: Option<Timestamp>,
    /// The typing indicator shows until then.
    pub typing_until: Option<Timestamp>,
}

/// A typing command (`Typing` or `CancelTyping`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// Show "typing…".
    Start,
    /// Hide it.
    Cancel,
}

impl Typing {
    /// Parses the `command` field; anything else is 45072.
    pub fn parse(command: &str) -> Result<Typing, ErrCode> {
        match command {
            "Typing" => Ok(Typing::Start),
            "CancelTyping" => Ok(Typing::Cancel),
            _ => Err(ErrCode::InvalidCommand),
        }
    }
}

impl Contact {
    /// The follower acted: the trigger's grant is reset to its full count
    /// and duration. A message is also contact for typing.
    pub fn open(&mut self, trigger: Trigger, now: Timestamp) {
        let (left, secs) = match trigger {
            Trigger::Message => MESSAGE_GRANT,
            Trigger::Event => EVENT_GRANT,
        };
        let grant = Grant {
            left,
            until: now.plus(secs),
        };
        match trigger {
            Trigger::Message => {
                self.message = grant;
                self.last_contact = Some(now);
            }
            Trigger::Event => self.event = grant,
        }
    }

    /// The follower unfollowed: nothing may be sent any more.
    pub fn close(&mut self) {
        *self = Contact::default();
    }

    /// Whether any window is open now (a worker's reply needs one, but does
    /// not spend the API's count).
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.event.live(now) || self.message.live(now)
    }

    /// Whether a message may be sent now: 45015 when no grant is live,
    /// 45047 when the live ones are used up.
    pub fn check_send(&self, now: Timestamp) -> Result<(), ErrCode> {
        let grants = [self.event, self.message];
        if grants.iter().any(|g| g.usable(now)) {
            Ok(())
        } else if grants.iter().any(|g| g.live(now)) {
            Err(ErrCode::OutOfResponseCount)
        } else {
            Err(ErrCode::OutOfTimeLimit)
        }
    }

    /// Sends one API message: spends the usable grant that ends first,
    /// cancels typing and counts as contact.
    pub fn spend(&mut self, now: Timestamp) -> Result<(), ErrCode> {
        self.check_send(now)?;
        let grant = match (self.event.usable(now), self.message.usable(now)) {
            (true, true) if self.message.until < self.event.until => &mut self.message,
            (true, _) => &mut self.event,
            _ => &mut self.message,
        };
        grant.left -= 1;
        self.delivered(now);
        Ok(())
    }

    /// A message reached the follower outside the API's count (a worker's
    /// reply in the customer-service client): contact, and typing ends.
    pub fn delivered(&mut self, now: Timestamp) {
        self.last_contact = Some(now);
        self.typing_until = None;
    }

    /// Whether the typing indicator shows now.
    pub fn is_typing(&self, now: Timestamp) -> bool {
        self.typing_until.is_some_and(|t| now < t)
    }

    /// `Typing` / `CancelTyping`: typing needs the send condition (45015,
    /// 45047), a message either way within 30 s (45080) and no indicator
    /// already showing (45081). Cancelling always succeeds.
    pub fn typing(&mut self, command: Typing, now: Timestamp) -> Result<(), ErrCode> {
        if command == Typing::Cancel {
            self.typing_until = None;
            return Ok(());
        }
        self.check_send(now)?;
        let recent = self
            .last_contact
            .is_some_and(|t| now.since(t) < TYPING_NEEDS_CONTACT_WITHIN);
        if !recent {
            return Err(ErrCode::NoRecentContact);
        }
        if self.is_typing(now) {
            return Err(ErrCode::AlreadyTyping);
        }
        self.typing_until = Some(now.plus(TYPING_LASTS));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_000_000);

    fn after_message() -> Contact {
        let mut c = Contact::default();
        c.open(Trigger::Message, T);
        c
    }

    #[test]
    fn nothing_may_be_sent_before_the_follower_acts() {
        assert_eq!(Contact::default().check_send(T), Err(ErrCode::OutOfTimeLimit));
    }

    #[test]
    fn a_message_allows_five_within_48_hours() {
        let mut c = after_message();
        for _ in 0..5 {
            assert_eq!(c.spend(T.plus(10)), Ok(()));
        }
        assert_eq!(c.spend(T.plus(10)), Err(ErrCode::OutOfResponseCount));
        let mut c = after_message();
        assert_eq!(c.spend(T.plus(48 * 3600 - 1)), Ok(()));
        assert_eq!(c.spend(T.plus(48 * 3600)), Err(ErrCode::OutOfTimeLimit));
    }

    #[test]
    fn a_new_message_resets_the_count_rather_than_adding() {
        let mut c = after_message();
        c.spend(T).unwrap();
        c.open(Trigger::Message, T.plus(5));
        assert_eq!(c.message.left, 5);
        assert_eq!(c.message.until, T.plus(5 + 48 * 3600));
    }

    #[test]
    fn an_event_grant_is_spent_first_and_lasts_a_minute() {
        let mut c = after_message();
        c.open(Trigger::Event, T);
        for _ in 0..3 {
            c.spend(T.plus(1)).unwrap();
        }
        assert_eq!(c.message.left, 5);
        assert_eq!(c.event.left, 0);
        let mut e = Contact::default();
        e.open(Trigger::Event, T);
        assert_eq!(e.check_send(T.plus(59)), Ok(()));
        assert_eq!(e.check_send(T.plus(60)), Err(ErrCode::OutOfTimeLimit));
    }

    #[test]
    fn unfollowing_ends_every_grant() {
        let mut c = after_message();
        c.close();
        assert_eq!(c.check_send(T), Err(ErrCode::OutOfTimeLimit));
    }

    #[test]
    fn typing_needs_recent_contact_and_is_not_repeated() {
        let mut c = after_message();
        assert_eq!(c.typing(Typing::Start, T.plus(30)), Err(ErrCode::NoRecentContact));
        assert_eq!(c.typing(Typing::Start, T.plus(29)), Ok(()));
        assert_eq!(c.typing(Typing::Start, T.plus(29)), Err(ErrCode::AlreadyTyping));
        assert!(!c.is_typing(T.plus(29 + 15)));
        c.spend(T.plus(35)).unwrap();
        assert_eq!(c.typing_until, None);
        assert_eq!(c.typing(Typing::Start, T.plus(36)), Ok(()));
        assert_eq!(c.typing(Typing::Cancel, T.plus(37)), Ok(()));
        assert_eq!(c.typing(Typing::Start, T.plus(38)), Ok(()));
    }

    #[test]
    fn typing_commands_are_exact() {
        assert_eq!(Typing::parse("Typing"), Ok(Typing::Start));
        assert_eq!(Typing::parse("CancelTyping"), Ok(Typing::Cancel));
        assert_eq!(Typing::parse("typing"), Err(ErrCode::InvalidCommand));
    }
}
