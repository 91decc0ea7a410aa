//! Seeing and shaping the WeChat-side traffic. One middleware ([`record`])
//! wraps every WeChat-side request: it applies the fault rules before the
//! request reaches its handler (so a faulted request changes nothing and
//! spends no quota), notes what real WeChat would do differently, and keeps
//! the request and its answer in the journal. Everything here is per
//! process and in memory.

pub(crate) mod compat;
pub(crate) mod faults;
pub(crate) mod journal;
pub(crate) mod marks;
mod mask;
mod observe;

pub(crate) use observe::record;

/// The journal, the fault rules and the compatibility report of a process.
pub(crate) struct Traffic {
    pub journal: journal::Journal,
    pub faults: faults::Faults,
    pub compat: compat::Report,
}

impl Traffic {
    /// Keeps at most `journal_size` requests (0: none).
    pub(crate) fn new(journal_size: usize) -> Self {
        Traffic {
            journal: journal::Journal::new(journal_size),
            faults: faults::Faults::default(),
            compat: compat::Report::default(),
        }
    }
}
