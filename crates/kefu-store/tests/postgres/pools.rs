//! The pool sizes a URL sets (`writers=N`, `readers=N`): however many
//! writes come at once, the store holds at most that many connections.

use super::{app_ids, open, put_app};
use kefu_test_support as common;

use common::{off_runtime, PgSchema};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_holds_at_most_the_connections_its_url_sets() {
    let Some(schema) = PgSchema::fresh() else { return };
    let name = format!("{}_pools", schema.name);
    let store = open(&schema.url(&format!("&writers=1&readers=2&application_name={name}")));
    let writes: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { put_app(&*store, "wx1").await })
        })
        .collect();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    let reads: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { app_ids(&*store).await })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap().unwrap(), vec!["wx1"]);
    }
    let base = common::base_url();
    let held: i64 = off_runtime(move || {
        let mut c = common::connect(&base).unwrap();
        let row = c
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .unwrap();
        row.get(0)
    });
    assert!((1..=3).contains(&held), "{held} connections for 1 writer and 2 readers");
}
