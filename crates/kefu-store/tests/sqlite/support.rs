//! What the SQLite-only test binaries share: an app row to write, an error
//! type for closures, and a store on a fresh file.

use kefu_core::app::{AccountType, App};
use kefu_core::ids::AppId;
use kefu_core::Timestamp;
use kefu_store::sqlite::SqliteStore;
use kefu_store::{SqliteSettings, Store, StoreError, Tx};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, PartialEq)]
pub enum E {
    Store(StoreError),
}

impl From<StoreError> for E {
    fn from(e: StoreError) -> Self {
        E::Store(e)
    }
}

impl E {
    /// The store error's text.
    pub fn text(&self) -> String {
        let E::Store(e) = self;
        e.to_string()
    }
}

pub fn app(id: &str) -> App {
    App {
        appid: AppId::new(id),
        secret: "s".repeat(32),
        account_type: AccountType::ServiceAccount,
        certified: true,
        wechat_id: "test".into(),
        original_id: "gh_000000000000".into(),
        kf_enabled: true,
        next_kf_id: 1001,
        created_at: Timestamp(1),
        ip_whitelist: kefu_core::whitelist::Whitelist::default(),
        quotas: vec![],
    }
}

pub async fn put_app(s: &dyn Store, id: &str) -> Result<(), E> {
    let a = app(id);
    s.write(move |tx: &mut dyn Tx| tx.put_app(&a).map_err(E::from)).await
}

pub async fn app_ids(s: &dyn Store) -> Vec<String> {
    let apps = s.read(|tx: &mut dyn Tx| tx.apps().map_err(E::from)).await.unwrap();
    apps.into_iter().map(|a| a.appid.as_str().to_owned()).collect()
}

/// A store on `kefu.db` in a fresh directory (kept alive by the guard).
pub struct Fresh {
    pub store: Arc<dyn Store>,
    pub path: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Fresh {
    pub fn open(settings: SqliteSettings) -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kefu.db");
        let store = Arc::new(SqliteStore::open_with(&path, settings).unwrap());
        Fresh { store, path, dir }
    }
}
