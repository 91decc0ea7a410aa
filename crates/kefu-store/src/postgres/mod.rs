//! The PostgreSQL backend, for several kefu processes sharing one database.
//!
//! SQLite's single writer cannot be shared between processes; this backend
//! can, so it is built for concurrent writers instead of group commit:
//!
//! - Two small pools of worker threads (writers and readers), each thread
//!   owning one synchronous `postgres::Client`, take jobs from their pool's
//!   queue and answer through a `tokio::sync::oneshot`.
//! - A write job runs in its own SERIALIZABLE transaction. When PostgreSQL
//!   reports a serialization failure (40001) or a deadlock (40P01) the
//!   transaction is rolled back and the job re-run, a bounded number of times
//!   with a little jitter: of two processes racing for the same decision (two
//!   invitations of one account, two sessions for one follower) exactly one
//!   commits and the other decides again on the winner's data. A job's `Err`
//!   rolls back; the answer is sent only after COMMIT has returned. As a
//!   failed statement aborts a PostgreSQL transaction, a job that goes on
//!   after one is rolled back and answered with that failure.
//! - A read job runs in a READ ONLY REPEATABLE READ transaction: one
//!   consistent snapshot, never waiting for writers.
//! - Outages fail fast: a TCP connect gives up after 2 s and a whole
//!   connection attempt after 5 s, statements after 15 s, TCP keepalives
//!   notice a vanished server, and every job has a 10 s deadline the worker
//!   keeps: past it the job is not started, not run again and not
//!   committed, and a connection still blocked on it is cut (`cutoff.rs`,
//!   `watchdog.rs`), even over a path that keeps TCP alive but delivers
//!   nothing. The failure is a [`StoreError::Backend`] and a `tracing`
//!   warning naming host, port, database and schema (never the password).
//!   A broken or cut connection is dropped; the next job connects again, so
//!   the store recovers by itself once the database is back. A job whose
//!   caller stopped waiting is not started, nor committed. A failure answer
//!   means nothing was committed, except the one whose text says the
//!   outcome is unknown: COMMIT sent, its answer lost with the connection.
//!
//! The URL is libpq's `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, its query
//! parameters (`connect_timeout`, `options`, `application_name`, ...) passed
//! to the client, plus kefu's own `schema=NAME`: kefu's tables then live in
//! that schema, which is created when missing (`search_path` is set on every
//! connection). Without it they go where the server's `search_path` puts them.
//! `writers=N` and `readers=N` (1 to 64, 4 by default) size the two pools.
//! `sslmode` (`require`, `verify-ca`, `verify-full`) and `sslrootcert` ask
//! for TLS, made with rustls (`tls.rs`).
//!
//! Processes sharing the database hint to each other that they committed
//! changes with `LISTEN`/`NOTIFY` (`herald.rs`), for the console only.
//!
//! Migrations are the numbered files in `migrations/postgres/`, embedded,
//! recorded in `schema_migrations` and applied at open under an advisory
//! lock, so that processes starting together apply each file once.
//!
//! The statements themselves are the shared ones of `crate::sql`; this
//! module runs them (`tx.rs`) and decides what their failures mean
//! (`failure.rs`).

mod config;
mod cutoff;
mod failure;
mod herald;
mod migrate;
mod tls;
mod tx;
mod watchdog;
mod worker;

use crate::error::StoreError;
use crate::job::{BoxFuture, JobError, JobOutput, ReadJob, WriteJob};
use crate::store::Store;
use config::Target;
use herald::Herald;
use std::sync::{Arc, OnceLock};
use worker::{Mode, Pool};

/// The PostgreSQL store: a pool of writer and a pool of reader connections.
pub struct PgStore {
    writes: Pool,
    reads: Pool,
    target: Arc<Target>,
    /// Change hints to and from other processes, started at first use.
    herald: OnceLock<Herald>,
}

impl PgStore {
    /// Connects, creates the schema if the URL names one, applies pending
    /// migrations and starts the worker threads.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let target = Arc::new(Target::parse(url)?);
        let applied = off_runtime(|| migrate::run(&mut target.connect(&Arc::default())?, target.schema()))?;
        tracing::info!(db = %target, applied, "PostgreSQL store open");
        Ok(PgStore {
            writes: Pool::start(Mode::Write, target.writers, target.clone())?,
            reads: Pool::start(Mode::Read, target.readers, target.clone())?,
            target,
            herald: OnceLock::new(),
        })
    }

    fn herald(&self) -> &Herald {
        self.herald.get_or_init(|| Herald::start(self.target.clone()))
    }
}

impl Store for PgStore {
    fn submit_write(&self, job: WriteJob, queue_on: Option<String>) -> BoxFuture<Result<JobOutput, JobError>> {
        self.writes.submit(job, queue_on)
    }

    fn submit_read(&self, job: ReadJob) -> BoxFuture<Result<JobOutput, JobError>> {
        self.reads.submit(job, None)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn shared(&self) -> bool {
        // Other kefu processes may write the same database.
        true
    }

    fn tell_peers(&self) {
        self.herald().tell();
    }

    fn hear_peers(&self, heard: Box<dyn Fn() + Send + Sync>) {
        self.herald().listen(heard);
    }
}

/// Applies pending migrations to the database a URL names; returns how many ran.
pub fn migrate_url(url: &str) -> Result<usize, StoreError> {
    let target = Target::parse(url)?;
    off_runtime(|| migrate::run(&mut target.connect(&Arc::default())?, target.schema()))
}

/// Runs `f` on a thread of its own: the synchronous client drives its own
/// small runtime, which must not be started on an async runtime's thread
/// (`open` and `migrate` are often called from one).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
