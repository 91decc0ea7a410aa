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

/// Runs `serve` with `args` on a fresh database that must not be created,
/// and asserts it exits non-zero printing `why`.
async fn refused(args: &[&str], env: &[(&str, &str)], why: &str) {
    let (_dir, db) = data_dir();
    let url = sqlite_url(&db);
    let mut all = vec!["serve", "--database", &url];
    all.extend(args);
    let out = crate::support::cli_env(&all, env).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains(why), "{args:?}: {out:?}");
    assert!(!db.exists(), "the store was opened");
}

/// A short admin token is refused wherever kefu listens; an empty one is no
/// token, which off loopback is refused by name.
#[tokio::test]
async fn weak_or_empty_admin_tokens_are_refused() {
    let short = "--admin-token (KEFU_ADMIN_TOKEN) must be at least 16 characters long";
    refused(
        &["--listen", "127.0.0.1:0", "--admin-token", "fifteen-chars-x"],
        &[],
        short,
    )
    .await;
    refused(&["--listen", "127.0.0.1:0"], &[("KEFU_ADMIN_TOKEN", "short")], short).await;
    refused(
        &["--listen", "0.0.0.0:0"],
        &[("KEFU_ADMIN_TOKEN", "")],
        "refusing to listen on 0.0.0.0:0 with an empty --admin-token (KEFU_ADMIN_TOKEN)",
    )
    .await;
}

/// `--frozen-clock` outside the epoch..9999 range is refused before the
/// store is opened.
#[tokio::test]
async fn a_frozen_clock_out_of_range_is_refused() {
    refused(
        &["--listen", "127.0.0.1:0", "--frozen-clock", "9223372036854775807"],
        &[],
        "--frozen-clock 9223372036854775807: the clock cannot pass 9999-12-31T23:59:59Z (unix time 253402300799)",
    )
    .await;
    refused(
        &["--listen", "127.0.0.1:0", "--frozen-clock=-5"],
        &[],
        "--frozen-clock -5: the clock cannot show a time before the Unix epoch (unix time 0)",
    )
    .await;
}
