//! Wire types shared by kefu's server and its client: the WeChat side
//! ([`wechat`] for accounts and tokens, [`conversation`] for sessions,
//! records and messages, [`platform`] for third-party platforms) byte for
//! byte as the platform sends them, and kefu's own control API ([`control`]). Field order is the order on the wire.

pub mod control;
pub mod conversation;
pub mod platform;
pub mod wechat;
