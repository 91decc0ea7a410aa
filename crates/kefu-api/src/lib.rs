//! Wire types shared by kefu's server and its client: the WeChat side
//! ([`wechat`]) byte-for-byte as the platform sends them, and kefu's own
//! control API ([`control`]). Field order is the order on the wire.

pub mod control;
pub mod wechat;
