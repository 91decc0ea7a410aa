//! HTTP contract tests of the WeChat side and the control API: exact bodies,
//! the order of checks, and that failed calls change nothing. One test
//! binary; each module one area.

mod support;

mod e2e;
mod invite;
mod kf_accounts;
mod races;
mod sessions;
mod tokens;
mod wire;
