//! Conformance for claiming pushes from the outbox: limits per app and in
//! all, apps left out, claims of silent owners, a follower's order across
//! processes, releases, and two stores claiming at once.

use super::callback::{claim, enqueue, heartbeat, ids, pending, subscribe, write};
use super::Subject;
use kefu_core::ids::OpenId;
use kefu_core::push::{Push, PushId};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

pub async fn claims_take_the_oldest_free_pushes_within_their_limits(s: Subject) {
    let st = &*s.store;
    let order = ["wx1", "wx2", "wx1", "wx3", "wx1", "wx2", "wx3"];
    let e = enqueue(st, order.iter().map(|a| subscribe(a)).collect()).await;
    heartbeat(st, "a", 1000).await;
    heartbeat(st, "b", 1000).await;

    // Two per app, wx3 left out: wx1's third waits.
    let a = claim(st, "a", 2, 10, &["wx3"]).await;
    assert_eq!(ids(&a), [e[0], e[1], e[2], e[5]]);
    // At most `limit`, the oldest free one first.
    assert_eq!(ids(&claim(st, "b", 10, 1, &[]).await), [e[3]]);
    // Neither what `a` holds already nor what live `b` holds, nor what comes
    // after `b`'s push for the same follower (wx3's second).
    assert_eq!(ids(&claim(st, "a", 10, 10, &[]).await), [e[4]]);
    assert!(claim(st, "c", 10, 10, &[]).await.is_empty());
    assert_eq!(pending(st, "wx1").await, 3);
}

pub async fn claims_of_a_silent_owner_are_taken_over(s: Subject) {
    let st = &*s.store;
    let e = enqueue(st, vec![subscribe("wx1"), subscribe("wx2")]).await;
    heartbeat(st, "a", 100).await;
    assert_eq!(ids(&claim(st, "a", 10, 10, &[]).await), e);
    heartbeat(st, "b", 1000).await;
    // `a` was last seen at 100, before the limit of 500.
    assert_eq!(ids(&claim(st, "b", 10, 10, &[]).await), e);
    heartbeat(st, "a", 1000).await;
    assert!(claim(st, "a", 10, 10, &[]).await.is_empty());

    // An owner that never sent a heartbeat holds nothing for long either.
    let lone = enqueue(st, vec![subscribe("wx3")]).await;
    assert_eq!(ids(&claim(st, "ghost", 10, 10, &[]).await), lone);
    assert_eq!(ids(&claim(st, "a", 10, 10, &[]).await), lone);
}

pub async fn a_followers_later_push_waits_for_the_process_holding_an_earlier_one(s: Subject) {
    let st = &*s.store;
    let other = Push {
        openid: OpenId::new("o2"),
        ..subscribe("wx1")
    };
    let e = enqueue(st, vec![subscribe("wx1")]).await;
    heartbeat(st, "a", 1000).await;
    heartbeat(st, "b", 1000).await;
    assert_eq!(ids(&claim(st, "a", 10, 10, &[]).await), e);
    let later = enqueue(st, vec![subscribe("wx1"), other]).await;
    // `b` may not overtake `a` on follower o1, only take o2's push.
    assert_eq!(ids(&claim(st, "b", 10, 10, &[]).await), [later[1]]);
    // The holder itself may queue the later one behind the earlier.
    assert_eq!(ids(&claim(st, "a", 10, 10, &[]).await), [later[0]]);
}

pub async fn releasing_frees_every_claim_but_the_owners(s: Subject) {
    let st = &*s.store;
    let e = enqueue(st, vec![subscribe("wx1"), subscribe("wx1"), subscribe("wx2")]).await;
    heartbeat(st, "a", 1000).await;
    heartbeat(st, "b", 1000).await;
    assert_eq!(ids(&claim(st, "a", 10, 2, &[]).await), [e[0], e[1]]);
    assert_eq!(ids(&claim(st, "b", 10, 10, &[]).await), [e[2]]);
    write(st, |tx| tx.release_pushes("b")).await;
    heartbeat(st, "c", 1000).await;
    assert_eq!(ids(&claim(st, "c", 10, 10, &[]).await), [e[0], e[1]]);
    assert!(claim(st, "a", 10, 10, &[]).await.is_empty());
}

/// Two stores over the same data (two processes), three dispatchers on
/// each, claim concurrently, each in a loop until nothing is left: no push is
/// handed out twice, none is lost.
pub async fn racing_claims_from_two_stores_share_out_every_push_once(s: Subject) {
    const OWNERS: [[&str; 3]; 2] = [["a1", "a2", "a3"], ["b1", "b2", "b3"]];
    let pushes: Vec<Push> = (0..90).map(|i| subscribe(["wx1", "wx2", "wx3"][i % 3])).collect();
    let all: BTreeSet<PushId> = enqueue(&*s.store, pushes).await.into_iter().collect();
    let stores = [s.store.clone(), (s.reopen)()];
    // All alive from the start (no one takes another's claims over), and
    // each store connected before the race.
    for (store, owners) in stores.iter().zip(OWNERS) {
        for owner in owners {
            heartbeat(&**store, owner, 1000).await;
        }
    }
    let start = Arc::new(Barrier::new(6));
    let mut tasks = Vec::new();
    for (store, owners) in stores.iter().zip(OWNERS) {
        for owner in owners {
            let (store, start) = (store.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                let mut got = Vec::new();
                // 90 pushes, 3 at a time: a store that hands pushes out
                // again would never run out.
                for _ in 0..100 {
                    let claimed = claim(&*store, owner, 2, 3, &[]).await;
                    if claimed.is_empty() {
                        return got;
                    }
                    got.extend(ids(&claimed));
                    // Room for the other store's writer to get in.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                panic!("{owner} kept claiming: {} pushes so far", got.len());
            }));
        }
    }
    let mut seen = BTreeSet::new();
    let mut counts = Vec::new();
    for task in tasks {
        let got = task.await.unwrap();
        counts.push(got.len());
        for id in got {
            assert!(seen.insert(id), "{id:?} was claimed twice");
        }
    }
    assert_eq!(seen, all, "claims per dispatcher: {counts:?}");
}
