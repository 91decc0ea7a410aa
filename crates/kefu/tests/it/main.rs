//! End-to-end tests of the `kefu` binary: a real server process on an
//! ephemeral port over a temporary SQLite file, and the CLI against it.

mod cli;
mod cli_platform;
mod durability;
mod startup;
mod support;
