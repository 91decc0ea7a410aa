//! HTTP contract tests of the WeChat side and the control API: exact bodies,
//! the order of checks, and that failed calls change nothing. One test
//! binary; each module one area.

mod support;
mod talk;

mod e2e;
mod human;
mod invite;
mod kf_accounts;
mod races;
mod records;
mod send;
mod session_control;
mod sessions;
mod tokens;
mod typing;
mod wire;
