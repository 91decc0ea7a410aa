//! The virtual clock's bounds: an advance past the last second of 9999, or
//! one whose sum overflows, is refused with 400 naming `seconds`, and the
//! clock (in memory and stored) does not move.

use crate::support::{TestApp, T0};
use serde_json::{json, Value};

const LATEST: i64 = 253_402_300_799;

async fn clock(app: &TestApp) -> Value {
    app.control("GET", "/_kefu/clock", Value::Null).await
}

async fn advance_refused(app: &TestApp, seconds: Value, why: &str) {
    let before = clock(app).await;
    let r = app
        .send(
            "POST",
            "/_kefu/clock/advance",
            json!({ "seconds": seconds }).to_string(),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"error": "bad_request", "message": format!("seconds: {why}")}),
        "{seconds}"
    );
    assert_eq!(clock(app).await, before, "a refused advance moved the clock");
}

#[tokio::test]
async fn an_advance_past_9999_or_overflowing_changes_nothing() {
    let app = TestApp::new().await;
    let past = "the clock cannot pass 9999-12-31T23:59:59Z (unix time 253402300799)";
    advance_refused(&app, json!(i64::MAX), past).await;
    advance_refused(&app, json!(LATEST - T0 + 1), past).await;
    advance_refused(
        &app,
        json!(-1),
        "the clock only moves forward: seconds must be 0 or more",
    )
    .await;
    // A token fetched before is still good: nothing expired.
    let list = app.wx_get("/cgi-bin/customservice/getkflist").await;
    assert_eq!(list.text(), r#"{"kf_list":[]}"#);
}

#[tokio::test]
async fn the_clock_reaches_the_last_second_of_9999_exactly() {
    let app = TestApp::new().await;
    let moved = app
        .control("POST", "/_kefu/clock/advance", json!({ "seconds": LATEST - T0 }))
        .await;
    assert_eq!(moved, json!({"now": LATEST, "offset": LATEST - T0, "frozen": true}));
    advance_refused(
        &app,
        json!(1),
        "the clock cannot pass 9999-12-31T23:59:59Z (unix time 253402300799)",
    )
    .await;
    // Nothing overflows at the edge: a token issued now expires after it.
    let mut app = app;
    app.relogin().await;
    let list = app.wx_get("/cgi-bin/customservice/getkflist").await;
    assert_eq!(list.text(), r#"{"kf_list":[]}"#);
}
