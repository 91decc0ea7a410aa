//! The rules of WeChat's customer-service (kf) API, as a pure library.
//!
//! Nothing here does IO, reads the clock or draws random numbers: callers pass
//! `now` and any generated value in, and get back decisions and new records.
//! The store persists what this crate decides; the server sequences the two.
//!
//! # Layout
//! - [`ids`]: newtypes for every identifier that crosses a crate boundary.
//! - [`errcode`]: the one table of WeChat error codes and their errmsg texts.
//! - [`app`]: an app (Official Account, Service Account, Mini Program, MiniGame).
//! - [`endpoint`]: the table of endpoints with their scope and permission sets.
//! - [`credential`]: who may call, in WeChat's order of checks.
//! - [`token`]: access-token lifecycle (`cgi-bin/token`, `stable_token`).
//! - [`quota`]: daily and per-minute call counters on the virtual clock.
//! - [`kf`]: kf accounts, invitations and workers.
//! - [`session`]: followers and kf sessions (idle close after 30 minutes).
//! - [`window`]: the send windows a follower's actions open, and typing.
//! - [`outgoing`]: `message/custom/send` types and their payload checks.
//! - [`message`]: messages, chat records and the `getmsglist` cursor.
//! - [`queue`]: the waiting queue and accepting from it.
//! - [`human`]: why the human side (workers, followers) may be refused.
//! - [`platform`]: third-party platforms, tickets and authorizations.
//! - [`whitelist`]: IP whitelists (40164, 61004).
//! - [`limits`]: the tunable limits (invitation lifetime, bindings per worker).
//! - [`callback`]: the developer's push settings (URL, Token, mode, format).
//! - [`push`]: what is pushed to the developer, tries, and what answers mean.

pub mod app;
pub mod callback;
pub mod clock;
pub mod credential;
pub mod endpoint;
pub mod errcode;
pub mod human;
pub mod ids;
pub mod kf;
pub mod limits;
pub mod message;
pub mod outgoing;
pub mod platform;
pub mod push;
pub mod queue;
pub mod quota;
pub mod session;
pub mod text;
pub mod token;
pub mod whitelist;
pub mod window;

pub use errcode::ErrCode;
pub use ids::Timestamp;
