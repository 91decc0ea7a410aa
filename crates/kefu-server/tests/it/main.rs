//! HTTP contract tests of the WeChat side and the control API: exact bodies,
//! the order of checks, and that failed calls change nothing. One test
//! binary; each module one area. They run on SQLite, or on PostgreSQL with
//! `KEFU_TEST_BACKEND=postgres` (each test in a fresh schema).

mod support;
// A developer's server that receives pushes.
mod receiver;
// The PostgreSQL schema-per-test helper the store's own tests use.
use kefu_test_support as pg;
mod talk;

mod access;
mod clock_bounds;
mod connections;
mod console;
mod control_guard;
mod e2e;
mod faults;
mod fuzz;
mod human;
mod invite;
mod journal;
mod kf_accounts;
mod layout;
mod openapi;
mod paging;
mod platform;
mod props;
mod push_component;
mod push_delivery;
mod pushes;
mod races;
mod records;
mod seeding;
mod send;
mod session_control;
mod sessions;
mod snapshots;
mod tls;
mod tokens;
mod typing;
mod unwritable;
mod wire;
