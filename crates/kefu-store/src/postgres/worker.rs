//! The worker threads of the PostgreSQL backend and the transaction each job
//! runs in.
//!
//! A [`Pool`] is a queue and a few threads; each thread owns at most one
//! connection, opened when a job needs it and dropped as soon as it breaks,
//! so an outage costs the jobs that meet it and nothing after it. A job runs
//! in one transaction per attempt; an attempt that lost to a concurrent
//! transaction (serialization failure, deadlock) or lost its connection
//! before COMMIT changed nothing and is made again. A job submitted with a
//! queue key first takes a session advisory lock on that key (outside any
//! transaction, so before its snapshot): jobs that all touch one hot row
//! (refreshes of one app's token) then run one after the other in every
//! process instead of failing each other's transactions until they give up.
//!
//! Every job has a deadline, [`JOB_DEADLINE`] after its submission, and the
//! worker keeps it: past it a job is not started, not run again and not
//! committed (it is rolled back and answered as failed), and the pool's
//! watchdog (`watchdog.rs`) cuts the connection of a job still blocked on
//! the database, so the worker answers and goes on. The caller waits a
//! little longer than the deadline, as a safety net only: an answered
//! failure is never committed afterwards. The one failure whose outcome is
//! unknown is a COMMIT sent whose answer never came; it is answered as a
//! failure that says so.

use super::config::Target;
use super::cutoff::Cutoff;
use super::failure::{past_deadline, Answer, Attempt, Failure, Step};
use super::tx::{PgTx, Statements};
use super::watchdog::Watch;
use crate::error::StoreError;
use crate::job::{BoxFuture, JobError, WriteJob};
use postgres::{Client, IsolationLevel, Transaction};
use std::hash::{BuildHasher, RandomState};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most attempts at one job before its conflicts are reported as an error.
const MAX_ATTEMPTS: u32 = 20;
/// First key of the queue locks (the bytes of "kefq"); the second is the
/// hash of the schema and the job's key. Distinct from the migrations' lock.
const QUEUE_LOCK_CLASS: i32 = 0x6b65_6671;
/// How long after its submission a job may still start, be run again or be
/// committed; a connection blocked past it is cut.
const JOB_DEADLINE: Duration = Duration::from_secs(10);
/// How much longer than the deadline a caller waits for the worker's answer
/// before answering the failure itself (the worker answers by the deadline,
/// or a watchdog tick after it, unless something it cannot cut blocks it).
const ANSWER_GRACE: Duration = Duration::from_secs(2);

/// What a pool's transactions may do.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// SERIALIZABLE, committed.
    Write,
    /// REPEATABLE READ, READ ONLY, rolled back.
    Read,
}

struct Job {
    run: WriteJob,
    queue_on: Option<String>,
    deadline: Instant,
    reply: oneshot::Sender<Answer>,
}

/// When a job is no longer worth doing: past its deadline, or its caller
/// stopped waiting (nobody would be told it was done).
struct Due<'j> {
    deadline: Instant,
    reply: &'j oneshot::Sender<Answer>,
}

impl Due<'_> {
    fn passed(&self) -> bool {
        Instant::now() >= self.deadline || self.reply.is_closed()
    }
}

/// Worker threads sharing one queue; they end when the pool is dropped.
pub(crate) struct Pool {
    jobs: mpsc::Sender<Job>,
}

impl Pool {
    pub(crate) fn start(mode: Mode, size: usize, target: Arc<Target>) -> Result<Pool, StoreError> {
        let thread_error = |e: std::io::Error| StoreError::Backend(e.to_string());
        let (jobs, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let name = format!("kefu-pg-{mode:?}").to_lowercase();
        let watch = Watch::start(size, &format!("{name}-watch")).map_err(thread_error)?;
        for index in 0..size {
            let worker = Worker {
                mode,
                index,
                target: target.clone(),
                watch: watch.clone(),
                conn: None,
            };
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || worker.serve(&queue))
                .map_err(thread_error)?;
        }
        Ok(Pool { jobs })
    }

    /// Queues a job; the future resolves with its answer.
    pub(crate) fn submit(&self, run: WriteJob, queue_on: Option<String>) -> BoxFuture<Answer> {
        let (reply, answer) = oneshot::channel();
        let deadline = Instant::now() + JOB_DEADLINE;
        let sent = self.jobs.send(Job {
            run,
            queue_on,
            deadline,
            reply,
        });
        let wait = JOB_DEADLINE + ANSWER_GRACE;
        Box::pin(async move {
            sent.map_err(|_| JobError::Store(StoreError::Closed))?;
            let safety_net = tokio::time::Instant::from_std(deadline + ANSWER_GRACE);
            match tokio::time::timeout_at(safety_net, answer).await {
                Ok(answer) => answer.map_err(|_| JobError::Store(StoreError::Closed))?,
                Err(_) => Err(JobError::Store(StoreError::Backend(format!(
                    "no answer from PostgreSQL within {} s",
                    wait.as_secs()
                )))),
            }
        })
    }
}

/// One connection, its cutoff and the statements prepared on it.
struct Connection {
    client: Client,
    cutoff: Arc<Cutoff>,
    statements: Statements,
}

impl Connection {
    /// Broken, or cut by the watchdog.
    fn lost(&self) -> bool {
        self.client.is_closed() || self.cutoff.is_tripped()
    }

    /// Drops a lost connection without waiting on it: a silent server would
    /// otherwise hold the client's goodbye forever.
    fn discard(self) {
        self.cutoff.trip();
    }

    fn run_once(&mut self, mode: Mode, job: &mut WriteJob, due: &Due<'_>) -> Step {
        let mut txn = match begin(&mut self.client, mode) {
            Ok(txn) => txn,
            Err(e) => return Step::Begin(Failure::of(&e)),
        };
        let mut tx = PgTx::new(&mut txn, &mut self.statements);
        let answer = job(&mut tx);
        let failure = tx.into_failure();
        match failure {
            Some(f) => {
                let _ = txn.rollback();
                if !f.retryable() {
                    // A schema change can invalidate prepared statements.
                    self.statements.clear();
                }
                Step::Statement(f, answer)
            }
            None if answer.is_err() || matches!(mode, Mode::Read) => {
                let _ = txn.rollback();
                Step::Done(answer)
            }
            None if due.passed() => {
                // Answered as failed (or nobody waits): it must not commit.
                let _ = txn.rollback();
                Step::Expired
            }
            None => match txn.commit() {
                Ok(()) => {
                    crate::measure::commit("postgres", 1);
                    Step::Done(answer)
                }
                Err(e) => Step::Commit(Failure::of(&e)),
            },
        }
    }
}

fn begin(client: &mut Client, mode: Mode) -> Result<Transaction<'_>, postgres::Error> {
    let builder = client.build_transaction();
    match mode {
        Mode::Write => builder.isolation_level(IsolationLevel::Serializable).start(),
        Mode::Read => builder
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start(),
    }
}

struct Worker {
    mode: Mode,
    /// This worker's slot in the watch.
    index: usize,
    target: Arc<Target>,
    watch: Arc<Watch>,
    conn: Option<Connection>,
}

impl Worker {
    fn serve(mut self, queue: &Mutex<mpsc::Receiver<Job>>) {
        while let Some(job) = next_job(queue) {
            if job.reply.is_closed() {
                // The caller stopped waiting: nobody expects the job done.
                continue;
            }
            let (mut run, queue_on) = (job.run, job.queue_on);
            let due = Due {
                deadline: job.deadline,
                reply: &job.reply,
            };
            self.watch.job(self.index, Some(job.deadline));
            let answer = catch_unwind(AssertUnwindSafe(|| self.run(&mut run, queue_on.as_deref(), &due)))
                .unwrap_or_else(|_| {
                    // The transaction was rolled back while unwinding; start afresh.
                    self.drop_connection();
                    Err(JobError::Store(StoreError::Backend("the job panicked".into())))
                });
            self.watch.job(self.index, None);
            let _ = job.reply.send(answer);
        }
    }

    fn run(&mut self, job: &mut WriteJob, queue_on: Option<&str>, due: &Due<'_>) -> Answer {
        let locked = queue_on.is_some_and(|key| self.queue_lock(key, true));
        let answer = self.attempts(job, due);
        if let Some(key) = queue_on.filter(|_| locked) {
            self.queue_lock(key, false);
        }
        answer
    }

    fn attempts(&mut self, job: &mut WriteJob, due: &Due<'_>) -> Answer {
        let mut last = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            if due.passed() {
                return past_deadline(attempt == 1);
            }
            match self.attempt(job, due) {
                Attempt::Done(answer) => return answer,
                Attempt::Retry(why) => {
                    crate::measure::rerun();
                    tracing::debug!(attempt, reason = %why, "running a PostgreSQL transaction again");
                    last = why;
                    backoff(attempt);
                }
            }
        }
        tracing::warn!(db = %self.target, attempts = MAX_ATTEMPTS, reason = %last, "PostgreSQL transaction gave up");
        Err(JobError::Store(StoreError::Backend(format!(
            "gave up after {MAX_ATTEMPTS} attempts: {last}"
        ))))
    }

    /// Takes (`true`) or gives back the queue lock of `key` on this worker's
    /// connection, outside any transaction, so that it orders the holders'
    /// snapshots. Whether the lock is held afterwards; a lock that cannot be
    /// taken (lock timeout, lost connection) leaves the job optimistic, and a
    /// lost connection gives the lock back with its session.
    fn queue_lock(&mut self, key: &str, take: bool) -> bool {
        let key = format!("{}/{key}", self.target.schema().unwrap_or(""));
        let conn = if take {
            self.connection().ok()
        } else {
            // A lost connection gave the lock back with its session.
            self.conn.as_mut().filter(|conn| !conn.lost())
        };
        let Some(conn) = conn else { return false };
        let sql = if take {
            "SELECT pg_advisory_lock($1, hashtext($2))"
        } else {
            "SELECT pg_advisory_unlock($1, hashtext($2))"
        };
        conn.client.execute(sql, &[&QUEUE_LOCK_CLASS, &key]).is_ok() && take
    }

    fn attempt(&mut self, job: &mut WriteJob, due: &Due<'_>) -> Attempt {
        let mode = self.mode;
        let conn = match self.connection() {
            Ok(conn) => conn,
            Err(e) => return Attempt::Done(Err(JobError::Store(e))),
        };
        let step = conn.run_once(mode, job, due);
        let cut = conn.cutoff.is_tripped();
        let lost = conn.lost() || step.ended_session();
        if cut {
            tracing::warn!(db = %self.target, "PostgreSQL connection cut after a job passed its deadline; connecting again");
        } else if lost {
            tracing::warn!(db = %self.target, "PostgreSQL connection lost; connecting again");
        }
        if lost {
            self.drop_connection();
        }
        step.settle(lost)
    }

    /// The open connection, or a new one (shown to the watchdog first, so
    /// that a connection attempt past the job's deadline is cut too).
    fn connection(&mut self) -> Result<&mut Connection, StoreError> {
        let conn = match self.conn.take() {
            Some(conn) if !conn.lost() => conn,
            stale => {
                if let Some(stale) = stale {
                    stale.discard();
                }
                let cutoff = Arc::new(Cutoff::default());
                self.watch.connection(self.index, cutoff.clone());
                Connection {
                    client: self.target.connect(&cutoff)?,
                    cutoff,
                    statements: Statements::new(),
                }
            }
        };
        Ok(self.conn.insert(conn))
    }

    fn drop_connection(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.discard();
        }
    }
}

fn next_job(queue: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    queue.lock().unwrap_or_else(|p| p.into_inner()).recv().ok()
}

/// Sleeps a random while, longer after each failed attempt (up to ~130 ms),
/// so that two transactions that keep colliding drift apart.
fn backoff(attempt: u32) {
    let ceiling = 2u64 << attempt.min(6);
    let jitter = RandomState::new().hash_one(attempt) % ceiling;
    std::thread::sleep(Duration::from_millis(ceiling / 2 + jitter / 2));
}
