//! `kefu serve` start-up guards and `kefu migrate`.

use crate::support::{cli, data_dir, sqlite_url};

/// `serve` refuses to listen off loopback without an admin token: it exits
/// non-zero naming `--admin-token`, before it opens (or creates) the store.
#[tokio::test]
async fn serve_off_loopback_without_admin_token_is_refused() {
    // Arrange
    let (_dir, db) = data_dir();
    let url = sqlite_url(&db);

    // Act
    let out = cli(&["serve", "--listen", "0.0.0.0:0", "--database", &url]).await;

    // Assert
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("refusing to listen on 0.0.0.0:0 without --admin-token (KEFU_ADMIN_TOKEN)"),
        "{out:?}"
    );
    assert!(!db.exists(), "the store was opened");
}

/// `migrate` applies every embedded migration to a new file, and a second
/// run finds nothing left to apply.
#[tokio::test]
async fn migrate_applies_once_then_reports_nothing_to_do() {
    // Arrange
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("m.db");
    let url = sqlite_url(&db);
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../kefu-store/migrations/sqlite"))
        .expect("migrations directory")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();

    // Act
    let first = cli(&["migrate", "--database", &url]).await;
    let second = cli(&["migrate", "--database", &url]).await;

    // Assert
    assert_eq!(first.code, Some(0), "{first:?}");
    assert_eq!(first.stdout, format!("{url}: {embedded} migration(s) applied\n"));
    assert!(db.exists());
    assert_eq!(second.code, Some(0), "{second:?}");
    assert_eq!(second.stdout, format!("{url}: 0 migration(s) applied\n"));
}
