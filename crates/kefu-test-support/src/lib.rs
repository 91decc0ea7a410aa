//! What kefu's test binaries share for PostgreSQL: where the server is, a
//! fresh schema per test (dropped afterwards), and the skip-or-fail rule
//! when no server answers. The store's, the server's and the binary's tests
//! all use it, as a dev-dependency; it is never part of kefu itself.
//!
//! `KEFU_TEST_POSTGRES` names the server (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached the
//! PostgreSQL tests print `SKIPPED: ...` and pass, unless
//! `KEFU_REQUIRE_POSTGRES=1`, which makes them fail (CI sets it).

use postgres::{Config, NoTls};
use std::hash::{BuildHasher, RandomState};
use std::io::Write;
use std::time::Duration;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server the tests use.
pub fn base_url() -> String {
    std::env::var("KEFU_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A schema of its own for one test; dropped with everything in it when
/// this value is dropped.
pub struct PgSchema {
    base: String,
    pub name: String,
}

impl PgSchema {
    /// A new schema name on a reachable server; `None` when the tests are
    /// to be skipped (and fails the test when they may not be).
    pub fn fresh() -> Option<PgSchema> {
        let base = base_url();
        let probe = base.clone();
        if let Err(e) = off_runtime(move || connect(&probe).map(drop)) {
            skip_or_fail(&base, &e);
            return None;
        }
        let name = format!("kefu_test_{:016x}", RandomState::new().hash_one(std::process::id()));
        Some(PgSchema { base, name })
    }

    /// The server's URL with this schema (and `extra` query parameters).
    pub fn url(&self, extra: &str) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={}{extra}", self.base, self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        let dropped = off_runtime(move || {
            let sql = format!("DROP SCHEMA IF EXISTS {name} CASCADE");
            connect(&base)?.batch_execute(&sql).map_err(|e| e.to_string())
        });
        if let Err(e) = dropped {
            let _ = writeln!(std::io::stderr(), "could not drop test schema {}: {e}", self.name);
        }
    }
}

/// A client on the test server (for what the store does not offer).
pub fn connect(url: &str) -> Result<postgres::Client, String> {
    let mut config: Config = url.parse().map_err(|e: postgres::Error| chain(&e))?;
    config.connect_timeout(Duration::from_secs(2));
    config.connect(NoTls).map_err(|e| chain(&e))
}

/// An error with its causes.
fn chain(e: &dyn std::error::Error) -> String {
    match e.source() {
        Some(cause) => format!("{e}: {}", chain(cause)),
        None => e.to_string(),
    }
}

/// Runs blocking client code away from the async runtime's threads.
pub fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match std::thread::spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn skip_or_fail(base: &str, error: &str) {
    let shown = match kefu_store::DatabaseUrl::parse(base) {
        Ok(url) => format!("{url:?}"),
        Err(_) => "KEFU_TEST_POSTGRES (not a postgres:// URL)".to_owned(),
    };
    if std::env::var("KEFU_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!("PostgreSQL not reachable at {shown}: {error} (KEFU_REQUIRE_POSTGRES=1)");
    }
    // Straight to stderr, past the test harness's capture: a skip must show.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: PostgreSQL not reachable at {shown}: {error} (set KEFU_REQUIRE_POSTGRES=1 to fail instead)"
    );
}
