//! End-to-end tests of the `kefu` binary: a real server process on an
//! ephemeral port over a temporary SQLite file or a PostgreSQL schema, and
//! the CLI against it.

mod cli;
mod cli_errors;
mod cli_platform;
mod console;
mod durability;
mod full_disk;
mod https;
mod instances;
mod listen;
mod log_sink;
mod outage;
// The PostgreSQL schema-per-test helper the store's own tests use.
use kefu_test_support as pg;
mod push_cli;
mod push_durability;
mod seed;
// The developer's server the server's push tests use (not every answer it
// can give is used here).
#[allow(dead_code)]
#[path = "../../../kefu-server/tests/it/receiver.rs"]
mod receiver;
mod snapshots;
mod sqlite_faults;
mod startup;
mod support;
mod traffic_cli;
mod uploads;
