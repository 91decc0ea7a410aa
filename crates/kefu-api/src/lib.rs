//! Wire types shared by kefu's server and its client: the WeChat side
//! ([`wechat`] for accounts and tokens, [`conversation`] for sessions,
//! records and messages, [`platform`] for third-party platforms) byte for
//! byte as the platform sends them, and kefu's own control API ([`control`]). Field order is the order on the wire.
//! [`callback`] is the message-push envelope: signatures, AES sealing and
//! the XML/JSON bodies kefu pushes to a developer's server and reads back;
//! [`control_push`] is the control API's side of it (settings, delivery log).
//! [`traffic`] is the journal of WeChat-side requests, fault rules and the
//! compatibility report. [`seed`] is the file `kefu serve --seed` starts from.

pub mod callback;
pub mod control;
pub mod control_push;
mod control_state;
pub mod conversation;
pub mod platform;
pub mod seed;
pub mod snapshot;
pub mod traffic;
pub mod wechat;
