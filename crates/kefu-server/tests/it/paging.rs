//! Large control reads are bounded: `GET /_kefu/apps/{appid}` cuts each
//! list at `limit` (default 1000) and says so, and `GET …/fans` pages the
//! followers in openid order; a bad limit is 400 naming `limit`.

use crate::support::TestApp;
use serde_json::{json, Value};

async fn follow(app: &TestApp, openid: &str) {
    let path = format!("/_kefu/apps/{}/fans", app.appid);
    app.control("POST", &path, json!({ "openid": openid })).await;
}

fn openids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["openid"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_apps_lists_are_cut_at_the_limit_and_followers_page_by_openid() {
    let app = TestApp::new().await;
    for o in ["o-c", "o-a", "o-e", "o-b", "o-d"] {
        follow(&app, o).await;
    }
    let state = format!("/_kefu/apps/{}", app.appid);
    let whole = app.control("GET", &state, Value::Null).await;
    assert_eq!(openids(&whole["followers"]), ["o-a", "o-b", "o-c", "o-d", "o-e"]);
    assert_eq!(whole["truncated"], false);
    let cut = app.control("GET", &format!("{state}?limit=2"), Value::Null).await;
    assert_eq!(openids(&cut["followers"]), ["o-a", "o-b"]);
    assert_eq!(cut["truncated"], true);

    let fans = format!("{state}/fans");
    let first = app.control("GET", &format!("{fans}?limit=2"), Value::Null).await;
    assert_eq!(first, json!({"followers": cut["followers"], "next": "o-b"}));
    let second = app
        .control("GET", &format!("{fans}?limit=2&after=o-b"), Value::Null)
        .await;
    assert_eq!(
        (openids(&second["followers"]), &second["next"]),
        (vec!["o-c", "o-d"], &json!("o-d"))
    );
    let last = app
        .control("GET", &format!("{fans}?limit=2&after=o-d"), Value::Null)
        .await;
    assert_eq!(openids(&last["followers"]), ["o-e"]);
    assert!(last.get("next").is_none(), "{last}");
}

#[tokio::test]
async fn a_limit_out_of_range_is_400_naming_it() {
    let app = TestApp::new().await;
    let state = format!("/_kefu/apps/{}", app.appid);
    for q in ["limit=0", "limit=10001", "limit=x", "limit=-1"] {
        for path in [format!("{state}?{q}"), format!("{state}/fans?{q}")] {
            let r = app.get(&path).await;
            assert_eq!(r.status, 400, "{path}");
            assert_eq!(
                r.json(),
                json!({"error": "bad_request", "message": "limit: a number from 1 to 10000"})
            );
        }
    }
    let missing = app.get("/_kefu/apps/wxnothere/fans").await;
    assert_eq!(missing.status, 404);
}
