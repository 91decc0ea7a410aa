//! Change hints between processes sharing one database (`LISTEN` and
//! `NOTIFY`): a store hears what another says it committed; another
//! schema's stores do not.

use super::open;
use kefu_test_support as common;

use common::PgSchema;
use std::sync::mpsc;
use std::time::Duration;

fn hearing(store: &dyn kefu_store::Store) -> mpsc::Receiver<()> {
    let (heard, hears) = mpsc::channel();
    store.hear_peers(Box::new(move || {
        let _ = heard.send(());
    }));
    hears
}

/// Waits for a hint (a signal, never a sleep); panics after 10 s.
fn next(hears: &mpsc::Receiver<()>, what: &str) {
    hears
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what}: no hint within 10 s"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_hears_what_another_says_it_committed() {
    let Some(schema) = PgSchema::fresh() else { return };
    let (a, b) = (open(&schema.url("")), open(&schema.url("")));
    let (a_hears, b_hears) = (hearing(&*a), hearing(&*b));
    // Listening starts with one call: what was missed before is unknown.
    next(&a_hears, "a listening");
    next(&b_hears, "b listening");

    a.tell_peers();
    a.tell_peers(); // merged with the first, or heard twice
    next(&b_hears, "b after a told");
    b.tell_peers();
    next(&a_hears, "a after b told");

    // A store in another schema is another deployment: it hears nothing of
    // these (checked once b, on the same server, heard a's next hint).
    let Some(other) = PgSchema::fresh() else { return };
    let c = open(&other.url(""));
    let c_hears = hearing(&*c);
    next(&c_hears, "c listening");
    while b_hears.try_recv().is_ok() {} // a spare hint of the double tell
    a.tell_peers();
    next(&b_hears, "b after a told again");
    assert!(c_hears.try_recv().is_err(), "c heard another schema's hint");
}
