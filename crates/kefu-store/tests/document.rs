//! The export document's reader: every malformed document is refused with a
//! message naming the place, and a well-formed one reads back unchanged.

use kefu_store::{Document, DocumentError};
use serde_json::{json, Value};

fn refused(doc: Value) -> String {
    match Document::from_json(&doc) {
        Err(DocumentError(message)) => message,
        Ok(_) => panic!("accepted {doc}"),
    }
}

fn with_tables(tables: Value) -> Value {
    json!({"format": "kefu-export", "version": 1, "tables": tables})
}

fn wechat_user(wx: Value, invalid: Value) -> Value {
    json!({"wx": wx, "invalid": invalid})
}

#[test]
fn the_envelope_is_checked() {
    assert_eq!(refused(json!([])), "the document is not a JSON object");
    assert_eq!(
        refused(json!({"version": 1, "tables": {}})),
        "format: expected \"kefu-export\""
    );
    assert_eq!(
        refused(json!({"format": "kefu-export", "version": 2, "tables": {}})),
        "version: expected 1"
    );
    assert_eq!(
        refused(json!({"format": "kefu-export", "version": 1})),
        "tables: expected an object of tables"
    );
    assert_eq!(
        refused(with_tables(json!({"users": []}))),
        "tables.users: no such table"
    );
    assert_eq!(
        refused(with_tables(json!({"apps": {}}))),
        "tables.apps: expected an array of rows"
    );
}

#[test]
fn rows_and_values_are_checked_by_place() {
    let users = |rows: Value| with_tables(json!({ "wechat_users": rows }));
    assert_eq!(refused(users(json!([1]))), "tables.wechat_users[0]: expected an object");
    let good = wechat_user(json!("a"), json!(true));
    assert_eq!(
        refused(users(json!([good, wechat_user(json!("b"), json!(1))]))),
        "tables.wechat_users[1].invalid: expected a boolean"
    );
    assert_eq!(
        refused(users(json!([{"wx": "a"}]))),
        "tables.wechat_users[0].invalid: expected a boolean"
    );
    assert_eq!(
        refused(users(json!([{"wx": "a", "invalid": true, "extra": 1}]))),
        "tables.wechat_users[0].extra: no such column"
    );
    assert_eq!(
        refused(users(json!([good.clone(), good]))),
        "tables.wechat_users: two rows have one primary key"
    );
    let counter = json!({"appid": "wx1", "key": "k", "window_start": 1.5, "count": 1, "last_at": 1});
    assert_eq!(
        refused(with_tables(json!({ "counters": [counter] }))),
        "tables.counters[0].window_start: expected an integer"
    );
    let image = json!({"appid": "wx1", "kf_account": "k", "content_type": "image/png", "data": "!!"});
    assert_eq!(
        refused(with_tables(json!({ "headimgs": [image] }))),
        "tables.headimgs[0].data: expected base64"
    );
}

#[test]
fn a_left_out_table_is_empty_and_rows_come_back_in_key_order() {
    let rows = json!([
        wechat_user(json!("b"), json!(false)),
        wechat_user(json!("a"), json!(true))
    ]);
    let doc = Document::from_json(&with_tables(json!({ "wechat_users": rows }))).unwrap();
    assert_eq!(doc.rows(), 2);
    let json = doc.to_json();
    assert_eq!(json["tables"]["wechat_users"][0]["wx"], "a");
    assert_eq!(json["tables"]["apps"], json!([]));
    assert_eq!(Document::from_json(&json).unwrap(), doc);
}
