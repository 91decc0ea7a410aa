//! The SQLite database file deleted or replaced under a running `kefu
//! serve`: kefu notices before the next commit, so from then on every write
//! answers `-1 system error` (nothing is acknowledged into a file a restart
//! would not open) and `GET /_kefu/health` answers 503 `unavailable`. Also
//! the rig the full-filesystem test shares.

use crate::support::{data_dir, strip_rid, Kefu};
use std::path::Path;

/// A WeChat call that failed in the store.
pub const SYSTEM_ERROR: &str = r#"{"errcode":-1,"errmsg":"system error rid: RID"}"#;
/// A WeChat call that succeeded.
pub const OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;
pub const HEALTHY: &str = r#"{"status":"ok","store":"sqlite"}"#;
pub const UNAVAILABLE: &str = r#"{"status":"unavailable","store":"sqlite"}"#;

/// kefu on a SQLite file, with a token for the demo app.
pub struct Rig {
    pub kefu: Kefu,
    http: reqwest::Client,
    /// `kfaccount/add` with the token.
    add: String,
    /// `getkflist` with the token.
    kf_list: String,
    /// `/_kefu/health`.
    health: String,
}

impl Rig {
    pub async fn start(db: &Path) -> Rig {
        let kefu = Kefu::start_on(db, &[]);
        let token = kefu.client().access_token().await.expect("a token");
        Rig {
            http: reqwest::Client::new(),
            add: format!("{}/customservice/kfaccount/add?access_token={token}", kefu.base),
            kf_list: format!("{}/cgi-bin/customservice/getkflist?access_token={token}", kefu.base),
            health: format!("{}/_kefu/health", kefu.base),
            kefu,
        }
    }

    /// Adds the account `prefix@...`; the raw answer, its rid replaced.
    pub async fn add(&self, prefix: &str) -> String {
        let account = format!("{prefix}@{}", self.kefu.demo.wechat_id);
        let body = serde_json::json!({"kf_account": account, "nickname": prefix});
        let res = self
            .http
            .post(&self.add)
            .json(&body)
            .send()
            .await
            .expect("kfaccount/add");
        assert_eq!(res.status(), 200);
        strip_rid(&res.text().await.expect("an answer"))
    }

    /// `GET /_kefu/health`: the HTTP status and the body.
    pub async fn health(&self) -> (u16, String) {
        let res = self.http.get(&self.health).send().await.expect("health");
        let status = res.status().as_u16();
        (status, res.text().await.expect("an answer"))
    }

    /// The prefixes of the accounts `getkflist` lists.
    pub async fn accounts(&self) -> Vec<String> {
        let res = self.http.get(&self.kf_list).send().await.expect("getkflist");
        let list: serde_json::Value = res.json().await.expect("JSON");
        let accounts = list["kf_list"].as_array().expect("a list").iter();
        accounts
            .map(|kf| kf["kf_account"].as_str().expect("an account"))
            .map(|a| a.split('@').next().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_database_file_stops_kefu_acknowledging_writes() {
    // Arrange
    let (_dir, db) = data_dir();
    let rig = Rig::start(&db).await;
    assert_eq!(rig.add("a").await, OK);

    // Act
    std::fs::remove_file(&db).expect("delete the database file");
    let first = rig.add("b").await;
    let second = rig.add("c").await;
    let health = rig.health().await;

    // Assert
    assert_eq!([first, second], [SYSTEM_ERROR, SYSTEM_ERROR]);
    assert_eq!(health, (503, UNAVAILABLE.to_owned()));
    let printed = rig.kefu.output_with("was deleted after kefu opened it").await;
    assert!(printed.contains("was deleted after kefu opened it"), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_database_file_stops_kefu_acknowledging_writes() {
    // Arrange: a copy of the file, as a backup would be.
    let (dir, db) = data_dir();
    let rig = Rig::start(&db).await;
    assert_eq!(rig.add("a").await, OK);
    let backup = dir.path().join("backup.db");
    std::fs::copy(&db, &backup).expect("copy the database file");
    assert_eq!(rig.add("b").await, OK);

    // Act: the backup is put back over the file kefu has open.
    std::fs::rename(&backup, &db).expect("replace the database file");
    let write = rig.add("c").await;
    let health = rig.health().await;

    // Assert
    assert_eq!(write, SYSTEM_ERROR);
    assert_eq!(health, (503, UNAVAILABLE.to_owned()));
    let printed = rig.kefu.output_with("was replaced by another file").await;
    assert!(printed.contains("was replaced by another file"), "{printed}");
}
