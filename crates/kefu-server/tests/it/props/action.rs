//! The random actions of the conversation property test: what a step does,
//! how it reads in a failure report, and how the next one is drawn.

use super::{FANS, KF_PREFIXES};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use std::fmt;

/// One step. Followers and kf accounts are numbered (`f0`.., `k0`..).
#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    Follow(usize),
    Event(usize, &'static str),
    Write(usize, &'static str),
    Enqueue(usize, Option<usize>),
    Accept(usize, Option<usize>),
    Reply(usize, usize),
    Transfer(usize, usize, usize),
    WorkerClose(usize, usize),
    Create(usize, usize),
    ApiClose(usize, usize),
    Send(usize),
    Online(usize, bool),
    Advance(i64),
}

impl Action {
    pub(super) fn kind(self) -> &'static str {
        match self {
            Action::Follow(_) => "follow",
            Action::Event(..) => "event",
            Action::Write(..) => "write",
            Action::Enqueue(..) => "enqueue",
            Action::Accept(..) => "accept",
            Action::Reply(..) => "reply",
            Action::Transfer(..) => "transfer",
            Action::WorkerClose(..) => "worker close",
            Action::Create(..) => "kfsession/create",
            Action::ApiClose(..) => "kfsession/close",
            Action::Send(_) => "custom/send",
            Action::Online(..) => "status",
            Action::Advance(_) => "advance",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Follow(f) => write!(out, "f{f} follows"),
            Action::Event(f, e) => write!(out, "f{f} event {e}"),
            Action::Write(f, t) => write!(out, "f{f} writes {t}"),
            Action::Enqueue(f, None) => write!(out, "f{f} waits"),
            Action::Enqueue(f, Some(k)) => write!(out, "f{f} waits for k{k}"),
            Action::Accept(k, None) => write!(out, "k{k} accepts the next"),
            Action::Accept(k, Some(f)) => write!(out, "k{k} accepts f{f}"),
            Action::Reply(k, f) => write!(out, "k{k} replies to f{f}"),
            Action::Transfer(k, f, to) => write!(out, "k{k} hands f{f} to k{to}"),
            Action::WorkerClose(k, f) => write!(out, "k{k} closes f{f}"),
            Action::Create(k, f) => write!(out, "kfsession/create k{k} f{f}"),
            Action::ApiClose(k, f) => write!(out, "kfsession/close k{k} f{f}"),
            Action::Send(f) => write!(out, "custom/send to f{f}"),
            Action::Online(k, on) => write!(out, "k{k} {}", if on { "online" } else { "offline" }),
            Action::Advance(s) => write!(out, "clock +{s}s"),
        }
    }
}

/// What the last check read: live sessions (follower, account) and waiting followers.
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub(super) sessions: Vec<(usize, usize)>,
    pub(super) waiting: Vec<usize>,
}

impl fmt::Display for Seen {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sessions: Vec<String> = self.sessions.iter().map(|(f, k)| format!("f{f} with k{k}")).collect();
        let waiting: Vec<String> = self.waiting.iter().map(|f| format!("f{f}")).collect();
        write!(
            out,
            "sessions [{}], waiting [{}]",
            sessions.join(", "),
            waiting.join(", ")
        )
    }
}

/// A follower or an account picked at random, or most of the time one the
/// state makes interesting (in a session, waiting), so actions do succeed.
pub(super) fn next_action(rng: &mut StdRng, seen: &Seen) -> Action {
    let (f, k) = (rng.random_range(0..FANS), rng.random_range(0..KF_PREFIXES.len()));
    let (sf, sk) = match seen.sessions.choose(rng) {
        Some(&pair) if rng.random_bool(0.7) => pair,
        _ => (f, k),
    };
    let wf = seen
        .waiting
        .choose(rng)
        .copied()
        .filter(|_| rng.random_bool(0.7))
        .unwrap_or(f);
    let named = rng.random_bool(0.4);
    match rng.random_range(0..100) {
        0..=2 => Action::Follow(f),
        3..=7 => Action::Event(f, one_of(rng, &["subscribe", "unsubscribe", "SCAN", "CLICK"])),
        8..=19 => Action::Write(f, one_of(rng, &["text", "text", "image", "voice", "video"])),
        20..=29 => Action::Enqueue(f, named.then_some(k)),
        30..=39 => Action::Accept(k, named.then_some(wf)),
        40..=47 => Action::Reply(sk, sf),
        48..=52 => Action::Transfer(sk, sf, rng.random_range(0..KF_PREFIXES.len())),
        53..=57 => Action::WorkerClose(sk, sf),
        58..=65 => Action::Create(k, f),
        66..=69 => Action::ApiClose(sk, sf),
        70..=79 => Action::Send(f),
        80..=85 => Action::Online(k, rng.random_bool(0.6)),
        _ => Action::Advance(advance(rng)),
    }
}

fn one_of(rng: &mut StdRng, names: &[&'static str]) -> &'static str {
    names[rng.random_range(0..names.len())]
}

/// Mostly small moves; some cross the 30-minute idle close, a few the 48 hours.
fn advance(rng: &mut StdRng) -> i64 {
    match rng.random_range(0..10) {
        0..=6 => rng.random_range(1..=300),
        7..=8 => rng.random_range(1500..=2100),
        _ => 48 * 3600 + rng.random_range(-600..=600),
    }
}
