//! The watchdog of a pool: it cuts the connection of a worker whose job has
//! passed its deadline.
//!
//! A worker blocked inside the synchronous client cannot look at a clock, so
//! each worker shows the watchdog what it is doing: the deadline of the job
//! it runs (none while idle) and the [`Cutoff`] of the connection it uses or
//! is opening. A thread of the pool looks a few times a second and trips the
//! cutoff of every job past its deadline; the blocked read or write fails,
//! the worker drops that connection and answers the job itself. The thread
//! ends with the pool's workers.
//!
//! A cut also cuts the connections of the pool's idle workers, first: they
//! crossed the same path, and an idle connection cannot tell a path that
//! swallows everything (while it acknowledges keepalives) from quiet. Each
//! would make the next job to use it wait for its whole deadline; instead
//! that job connects afresh, which costs a few milliseconds on a sound path.

use super::cutoff::Cutoff;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// How often the watchdog looks: a cut lands at most this late.
const TICK: Duration = Duration::from_millis(100);

/// What one worker is doing, as the watchdog sees it.
#[derive(Default)]
struct Slot {
    /// The deadline of the job it runs; `None` while idle.
    deadline: Option<Instant>,
    /// The connection it uses or is opening.
    cutoff: Option<Arc<Cutoff>>,
}

/// The slots of one pool's workers.
pub(crate) struct Watch {
    slots: Vec<Mutex<Slot>>,
}

impl Watch {
    /// Slots for `workers` workers, and the thread that watches them.
    pub(crate) fn start(workers: usize, name: &str) -> std::io::Result<Arc<Watch>> {
        let watch = Arc::new(Watch {
            slots: (0..workers).map(|_| Mutex::default()).collect(),
        });
        let watched = Arc::downgrade(&watch);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || watch_over(&watched))?;
        Ok(watch)
    }

    fn slot(&self, worker: usize) -> Option<MutexGuard<'_, Slot>> {
        let slot = self.slots.get(worker)?;
        Some(slot.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Worker `worker` runs a job due by `deadline` (`None`: it is idle).
    pub(crate) fn job(&self, worker: usize, deadline: Option<Instant>) {
        if let Some(mut slot) = self.slot(worker) {
            slot.deadline = deadline;
        }
    }

    /// Worker `worker` uses (or opens) the connection behind `cutoff`. A job
    /// already past its deadline has it tripped at once.
    pub(crate) fn connection(&self, worker: usize, cutoff: Arc<Cutoff>) {
        if let Some(mut slot) = self.slot(worker) {
            slot.cutoff = Some(cutoff);
            slot.cut_if_late(Instant::now());
        }
    }

    /// Trips the connection of every job past its deadline, after those
    /// of the idle workers when there is one (so that they are cut by the
    /// time the late job is answered).
    fn cut_late_jobs(&self) {
        let now = Instant::now();
        let slots = || self.slots.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner()));
        if !slots().any(|slot| slot.needs_cut(now)) {
            return;
        }
        for mut slot in slots() {
            if slot.deadline.is_none() {
                slot.cut();
            }
        }
        for mut slot in slots() {
            slot.cut_if_late(now);
        }
    }
}

impl Slot {
    /// Runs a job past its deadline on a connection not cut yet.
    fn needs_cut(&self, now: Instant) -> bool {
        let late = self.deadline.is_some_and(|d| d <= now);
        late && self.cutoff.as_ref().is_some_and(|c| !c.is_tripped())
    }

    fn cut_if_late(&mut self, now: Instant) {
        if self.needs_cut(now) {
            tracing::debug!("a PostgreSQL job passed its deadline; cutting its connection");
            self.cut();
        }
    }

    fn cut(&mut self) {
        if let Some(cutoff) = &self.cutoff {
            cutoff.trip();
        }
    }
}

fn watch_over(watch: &Weak<Watch>) {
    while let Some(watch) = watch.upgrade() {
        watch.cut_late_jobs();
        drop(watch);
        std::thread::sleep(TICK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A watch over workers running jobs due by `deadlines` (`None`: idle),
    /// each on a connection; and those connections' cutoffs.
    fn watched(deadlines: &[Option<Instant>]) -> (Arc<Watch>, Vec<Arc<Cutoff>>) {
        let watch = Arc::new(Watch {
            slots: deadlines.iter().map(|_| Mutex::default()).collect(),
        });
        let cutoffs: Vec<_> = deadlines.iter().map(|_| Arc::new(Cutoff::default())).collect();
        for (worker, (deadline, cutoff)) in deadlines.iter().zip(&cutoffs).enumerate() {
            watch.connection(worker, cutoff.clone());
            watch.job(worker, *deadline);
        }
        (watch, cutoffs)
    }

    fn tripped(cutoffs: &[Arc<Cutoff>]) -> Vec<bool> {
        cutoffs.iter().map(|c| c.is_tripped()).collect()
    }

    #[test]
    fn no_connection_is_cut_while_every_job_is_in_time() {
        let later = Some(Instant::now() + Duration::from_secs(60));
        let (watch, cutoffs) = watched(&[None, later, later]);
        watch.cut_late_jobs();
        assert_eq!(tripped(&cutoffs), [false, false, false]);
    }

    #[test]
    fn a_late_job_loses_its_connection_and_idle_workers_theirs() {
        let (now, later) = (Some(Instant::now()), Some(Instant::now() + Duration::from_secs(60)));
        let (watch, cutoffs) = watched(&[None, later, now, None]);
        watch.cut_late_jobs();
        assert_eq!(tripped(&cutoffs), [true, false, true, true]);
    }

    #[test]
    fn a_connection_opened_for_a_late_job_is_cut_at_once() {
        let (watch, _) = watched(&[Some(Instant::now())]);
        let fresh = Arc::new(Cutoff::default());
        watch.connection(0, fresh.clone());
        assert!(fresh.is_tripped());
    }

    #[test]
    fn the_thread_cuts_a_job_when_its_deadline_passes() {
        let watch = Watch::start(2, "kefu-pg-watch-test").unwrap();
        let cutoff = Arc::new(Cutoff::default());
        watch.job(1, Some(Instant::now() + Duration::from_millis(50)));
        watch.connection(1, cutoff.clone());
        let give_up = Instant::now() + Duration::from_secs(5);
        while !cutoff.is_tripped() {
            assert!(Instant::now() < give_up, "not cut 5 s after its deadline");
            std::thread::sleep(TICK / 4);
        }
    }
}
