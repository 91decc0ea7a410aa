//! Property test of the conversation: random sequences of follower, worker,
//! WeChat API and clock actions on one app, and after every step the rules
//! that tie sessions, the waiting queue and `accepted_case` together, read
//! back through the API. Seeds are fixed, so a failure replays exactly.

mod action;
mod world;

use action::{next_action, Action, Seen};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::BTreeMap;
use world::{ensure, World};

/// Each seed drives a fresh app for `STEPS` steps.
const SEEDS: [u64; 8] = [1, 2, 3, 5, 8, 13, 21, 34];
const STEPS: usize = 150;
/// Followers and kf accounts (the first two online at the start).
const FANS: usize = 6;
const KF_PREFIXES: [&str; 3] = ["ann", "ben", "cat"];

/// What a successful action must have done, as the reads after it show.
fn check_effect(action: Action, ok: bool, seen: &Seen) -> Result<(), String> {
    let in_session = |f: usize| seen.sessions.iter().find(|(o, _)| *o == f).map(|(_, k)| *k);
    let expected = match action {
        _ if !ok => return Ok(()),
        Action::Create(k, f) | Action::Accept(k, Some(f)) | Action::Reply(k, f) => in_session(f) == Some(k),
        Action::Transfer(_, f, to) => in_session(f) == Some(to),
        Action::WorkerClose(_, f) | Action::ApiClose(_, f) => in_session(f).is_none(),
        Action::Enqueue(f, _) => seen.waiting.contains(&f),
        Action::Event(f, "unsubscribe") => in_session(f).is_none() && !seen.waiting.contains(&f),
        Action::Advance(secs) if secs >= 1800 => seen.sessions.is_empty(),
        _ => true,
    };
    ensure(expected, || format!("after {action}: {seen}"))
}

/// What one seed did, for the test's own sanity checks.
#[derive(Debug, Default)]
struct Tally {
    succeeded: BTreeMap<&'static str, u32>,
    most_sessions: usize,
    most_waiting: usize,
}

fn failure(world: &World, seed: u64, log: &[(Action, &str)], error: &str) -> String {
    let steps: Vec<String> = log
        .iter()
        .enumerate()
        .map(|(i, (a, outcome))| format!("  {i:>3}: {a} -> {outcome}"))
        .collect();
    format!(
        "seed {seed}, step {}: {error}\n{}\nactions so far:\n{}",
        log.len().saturating_sub(1),
        world.legend(),
        steps.join("\n")
    )
}

/// One action, then every check; whether it succeeded and what the checks read.
async fn step(world: &mut World, action: Action) -> (&'static str, Result<Seen, String>) {
    match world.apply(action).await {
        Ok(ok) => {
            let checked = world.check().await;
            let seen = checked.and_then(|seen| check_effect(action, ok, &seen).map(|()| seen));
            (if ok { "ok" } else { "refused" }, seen)
        }
        Err(e) => ("failed", Err(e)),
    }
}

async fn run_seed(seed: u64, tally: &mut Tally) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut world = World::new().await;
    let mut log = Vec::new();
    let mut seen = world
        .check()
        .await
        .unwrap_or_else(|e| panic!("{}", failure(&world, seed, &log, &e)));
    for _ in 0..STEPS {
        let action = next_action(&mut rng, &seen);
        let (outcome, checked) = step(&mut world, action).await;
        log.push((action, outcome));
        seen = checked.unwrap_or_else(|e| panic!("{}", failure(&world, seed, &log, &e)));
        if outcome == "ok" {
            *tally.succeeded.entry(action.kind()).or_default() += 1;
        }
        tally.most_sessions = tally.most_sessions.max(seen.sessions.len());
        tally.most_waiting = tally.most_waiting.max(seen.waiting.len());
    }
}

/// Whatever the order of calls, a follower is in at most one session, waits
/// at most once and never while in a session, the WeChat reads agree with
/// the control state, and `accepted_case` counts each account's sessions.
#[tokio::test]
async fn random_conversations_keep_sessions_queue_and_cases_consistent() {
    // Arrange
    let mut tally = Tally::default();

    // Act: every step is checked inside; a broken invariant panics there.
    for seed in SEEDS {
        run_seed(seed, &mut tally).await;
    }

    // Assert: the runs did exercise the conversation, not only refusals.
    for kind in [
        "write",
        "enqueue",
        "accept",
        "reply",
        "transfer",
        "worker close",
        "kfsession/create",
        "kfsession/close",
        "custom/send",
    ] {
        let n = tally.succeeded.get(kind).copied().unwrap_or(0);
        assert!(n > 0, "no {kind} ever succeeded: {tally:?}");
    }
    assert!(tally.most_sessions >= 2, "{tally:?}");
    assert!(tally.most_waiting >= 2, "{tally:?}");
}
