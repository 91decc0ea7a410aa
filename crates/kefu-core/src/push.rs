//! What WeChat pushes to the developer's server, and how a delivery ends.
//!
//! A [`Push`] is written to the outbox in the same transaction as the change
//! that causes it (a follower's message, a session that opens), so a push is
//! never lost nor invented. Delivery follows WeChat: a 5-second timeout and
//! [`TRIES`] tries in all, every try carrying the same `MsgId` or
//! `FromUserName` + `CreateTime`. The developer's answer decides what happens
//! next ([`ReplyAction`]).

use crate::ids::{AppId, KfAccount, MsgId, OpenId, Timestamp};
use crate::message::FollowerMsgType;

/// How long WeChat waits for the developer's answer.
pub const TIMEOUT_SECS: u64 = 5;
/// Tries in all, the first included.
pub const TRIES: u32 = 3;

/// A push's place in the outbox: ascending, server-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PushId(pub i64);

/// What happened, as the push names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// The follower wrote; `content` is the text, or the media id.
    Message {
        /// The message's id (`MsgId`), the same as in chat records.
        msgid: MsgId,
        /// `text`, `image`, `voice` or `video`.
        msgtype: FollowerMsgType,
        /// The text, or the media id for the other types.
        content: String,
    },
    /// The user followed.
    Subscribe,
    /// The user unfollowed.
    Unsubscribe,
    /// A follower scanned a parameter QR code.
    Scan {
        /// The scene (`EventKey`).
        key: String,
    },
    /// A follower clicked a menu item.
    Click {
        /// The item's key (`EventKey`).
        key: String,
    },
    /// A kf account's session with the follower opened.
    KfCreateSession {
        /// The account serving.
        kf: KfAccount,
    },
    /// A kf account's session with the follower closed.
    KfCloseSession {
        /// The account that served.
        kf: KfAccount,
    },
    /// The session passed from one account to another.
    KfSwitchSession {
        /// The account that served until now.
        from: KfAccount,
        /// The account serving from now on.
        to: KfAccount,
    },
    /// A third-party platform's new `component_verify_ticket` (pushed for
    /// the component itself, with no follower).
    ComponentVerifyTicket {
        /// The ticket.
        ticket: String,
    },
}

/// The event's name for storage and the delivery log, its message id if
/// any, and up to two text values.
pub type EventParts = (&'static str, Option<MsgId>, String, String);

impl PushEvent {
    /// `text`, `image`, … for messages; the `Event` value for events.
    pub fn name(&self) -> &'static str {
        self.parts_ref().0
    }

    fn parts_ref(&self) -> (&'static str, Option<MsgId>, &str, &str) {
        match self {
            PushEvent::Message {
                msgid,
                msgtype,
                content,
            } => (msgtype.as_str(), Some(*msgid), content, ""),
            PushEvent::Subscribe => ("subscribe", None, "", ""),
            PushEvent::Unsubscribe => ("unsubscribe", None, "", ""),
            PushEvent::Scan { key } => ("SCAN", None, key, ""),
            PushEvent::Click { key } => ("CLICK", None, key, ""),
            PushEvent::KfCreateSession { kf } => ("kf_create_session", None, kf.as_str(), ""),
            PushEvent::KfCloseSession { kf } => ("kf_close_session", None, kf.as_str(), ""),
            PushEvent::KfSwitchSession { from, to } => ("kf_switch_session", None, from.as_str(), to.as_str()),
            PushEvent::ComponentVerifyTicket { ticket } => ("component_verify_ticket", None, ticket, ""),
        }
    }

    /// The flat form a store keeps.
    pub fn to_parts(&self) -> EventParts {
        let (name, msgid, a, b) = self.parts_ref();
        (name, msgid, a.to_owned(), b.to_owned())
    }

    /// Reads back [`to_parts`](Self::to_parts); `None` for an unknown name.
    pub fn from_parts(name: &str, msgid: Option<MsgId>, a: String, b: String) -> Option<PushEvent> {
        if let Some(msgtype) = FollowerMsgType::parse(name) {
            return Some(PushEvent::Message {
                msgid: msgid?,
                msgtype,
                content: a,
            });
        }
        Some(match name {
            "subscribe" => PushEvent::Subscribe,
            "unsubscribe" => PushEvent::Unsubscribe,
            "SCAN" => PushEvent::Scan { key: a },
            "CLICK" => PushEvent::Click { key: a },
            "kf_create_session" => PushEvent::KfCreateSession { kf: KfAccount::new(a) },
            "kf_close_session" => PushEvent::KfCloseSession { kf: KfAccount::new(a) },
            "kf_switch_session" => PushEvent::KfSwitchSession {
                from: KfAccount::new(a),
                to: KfAccount::new(b),
            },
            "component_verify_ticket" => PushEvent::ComponentVerifyTicket { ticket: a },
            _ => return None,
        })
    }

    /// Whether the push is a follower's message (the developer may answer
    /// it with a passive reply or hand it to customer service).
    pub fn is_message(&self) -> bool {
        matches!(self, PushEvent::Message { .. })
    }
}

/// One push in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Its place in the outbox (ignored when enqueued).
    pub id: PushId,
    /// The app pushed for.
    pub appid: AppId,
    /// The follower concerned (`FromUserName`).
    pub openid: OpenId,
    /// When it happened (`CreateTime`).
    pub created_at: Timestamp,
    /// A random value drawn when it was enqueued: the URL's nonce and the
    /// envelope's random bytes derive from it, so every try is identical.
    pub nonce: u64,
    /// What happened.
    pub event: PushEvent,
}

/// A push a dispatcher has claimed, with the tries already made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The push.
    pub push: Push,
    /// Tries made before this claim (0 for a fresh push).
    pub attempts: u32,
}

/// How one try ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The developer answered and the answer was acted on.
    Ok,
    /// No answer within [`TIMEOUT_SECS`].
    Timeout,
    /// The server could not be reached (refused, reset, DNS).
    Unreachable,
    /// An HTTP status other than 2xx.
    HttpStatus,
    /// An answer kefu cannot read (not XML/JSON, or clear text in safe mode).
    BadReply,
    /// An encrypted answer whose signature, key or appid is wrong.
    BadSignature,
    /// A readable answer whose action is not possible now (the follower
    /// unfollowed, or is already in a session).
    Refused,
}

impl Outcome {
    /// The delivery log's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Timeout => "timeout",
            Outcome::Unreachable => "unreachable",
            Outcome::HttpStatus => "http_status",
            Outcome::BadReply => "bad_reply",
            Outcome::BadSignature => "bad_signature",
            Outcome::Refused => "refused",
        }
    }

    /// Parses a delivery-log name.
    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::Ok,
            Outcome::Timeout,
            Outcome::Unreachable,
            Outcome::HttpStatus,
            Outcome::BadReply,
            Outcome::BadSignature,
            Outcome::Refused,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    /// Whether WeChat tries again: only when no answer arrived. An answer
    /// that arrived but is wrong is shown to the follower as "this account
    /// cannot serve you now" and not sent again.
    pub fn retries(self) -> bool {
        matches!(self, Outcome::Timeout | Outcome::Unreachable | Outcome::HttpStatus)
    }
}

/// Whether the try numbered `attempt` (from 1) is the push's last.
pub fn is_final(attempt: u32, outcome: Outcome) -> bool {
    !outcome.retries() || attempt >= TRIES
}

/// One try, as the delivery log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The log entry's id (ignored when recorded).
    pub id: i64,
    /// The push tried.
    pub push_id: PushId,
    /// The app.
    pub appid: AppId,
    /// The follower.
    pub openid: OpenId,
    /// The push's event name (`text`, `kf_create_session`, …).
    pub event: String,
    /// 1, 2 or 3.
    pub attempt: u32,
    /// When the try was made.
    pub at: Timestamp,
    /// The URL called, query included.
    pub url: String,
    /// The body sent.
    pub request: String,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The answer's body (cut to a few KiB).
    pub response: String,
    /// Milliseconds from sending to the answer (or to giving up).
    pub latency_ms: u64,
    /// How the try ended.
    pub outcome: Outcome,
    /// What kefu did with the answer, or why the try failed.
    pub detail: String,
    /// Whether this was the push's last try.
    pub last: bool,
}

/// What the developer's answer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyAction {
    /// Empty or `success`: nothing.
    Nothing,
    /// `transfer_customer_service`: the follower waits for customer service,
    /// for the named account if one is given.
    Transfer {
        /// `TransInfo/KfAccount`.
        kf: Option<String>,
    },
    /// A passive text reply to the follower.
    Text {
        /// `Content`.
        content: String,
    },
    /// Another passive reply (image, news, …), recorded by its type.
    Other {
        /// `MsgType`.
        msgtype: String,
    },
}

/// Reads a developer's (decrypted) answer from its `MsgType`, `Content` and
/// `TransInfo/KfAccount`; `None` when it has no `MsgType`.
pub fn interpret(msgtype: Option<&str>, content: Option<&str>, kf: Option<&str>) -> Option<ReplyAction> {
    let action = match msgtype? {
        "transfer_customer_service" => ReplyAction::Transfer {
            kf: kf.filter(|k| !k.is_empty()).map(str::to_owned),
        },
        "text" => ReplyAction::Text {
            content: content.unwrap_or_default().to_owned(),
        },
        other => ReplyAction::Other {
            msgtype: other.to_owned(),
        },
    };
    Some(action)
}

/// Whether a follower's message is pushed: not while a kf serves them (it
/// goes to the kf instead); while they wait in the queue it still is.
pub fn pushes_message(in_live_session: bool) -> bool {
    !in_live_session
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_their_flat_form() {
        let events = [
            PushEvent::Message {
                msgid: MsgId(7),
                msgtype: FollowerMsgType::Voice,
                content: "media".into(),
            },
            PushEvent::Subscribe,
            PushEvent::Unsubscribe,
            PushEvent::Scan { key: "s".into() },
            PushEvent::Click { key: "k".into() },
            PushEvent::KfCreateSession {
                kf: KfAccount::new("a@b"),
            },
            PushEvent::KfCloseSession {
                kf: KfAccount::new("a@b"),
            },
            PushEvent::KfSwitchSession {
                from: KfAccount::new("a@b"),
                to: KfAccount::new("c@b"),
            },
            PushEvent::ComponentVerifyTicket {
                ticket: "ticket@@@x".into(),
            },
        ];
        for e in events {
            let (name, msgid, a, b) = e.to_parts();
            assert_eq!(PushEvent::from_parts(name, msgid, a, b), Some(e));
        }
        assert_eq!(PushEvent::from_parts("text", None, "x".into(), String::new()), None);
        assert_eq!(
            PushEvent::from_parts("LOCATION", None, String::new(), String::new()),
            None
        );
    }

    #[test]
    fn only_missing_answers_are_tried_again_and_never_past_three() {
        assert!(!is_final(1, Outcome::Timeout));
        assert!(!is_final(2, Outcome::Unreachable));
        assert!(is_final(3, Outcome::Timeout));
        assert!(is_final(1, Outcome::Ok));
        assert!(is_final(1, Outcome::BadSignature));
        assert!(is_final(1, Outcome::BadReply));
        for o in [
            "ok",
            "timeout",
            "unreachable",
            "http_status",
            "bad_reply",
            "bad_signature",
            "refused",
        ] {
            assert_eq!(Outcome::parse(o).map(Outcome::as_str), Some(o));
        }
    }

    #[test]
    fn answers_are_read_by_their_msgtype() {
        assert_eq!(interpret(None, None, None), None);
        assert_eq!(
            interpret(Some("transfer_customer_service"), None, Some("")),
            Some(ReplyAction::Transfer { kf: None })
        );
        assert_eq!(
            interpret(Some("transfer_customer_service"), None, Some("a@b")),
            Some(ReplyAction::Transfer { kf: Some("a@b".into()) })
        );
        assert_eq!(
            interpret(Some("text"), Some("hi"), None),
            Some(ReplyAction::Text { content: "hi".into() })
        );
        assert_eq!(
            interpret(Some("news"), None, None),
            Some(ReplyAction::Other { msgtype: "news".into() })
        );
        assert!(pushes_message(false));
        assert!(!pushes_message(true));
    }
}
