//! The `KEFU_DATABASE_URL` forms kefu understands.

use crate::StoreError;
use std::fmt;
use std::path::PathBuf;

/// A parsed database URL. Its `Debug` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative) or `sqlite:///abs/path`.
    Sqlite(PathBuf),
    /// `postgres://...` (kept whole; not yet served by this build).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses a URL, naming the accepted forms on error.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, StoreError> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::Unsupported("sqlite:// needs a file path".into()));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        Err(StoreError::Unsupported(
            "expected sqlite://PATH or postgres://USER@HOST/DB".into(),
        ))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((creds, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_take_relative_and_absolute_paths() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://kefu-data/kefu.db").unwrap(),
            DatabaseUrl::Sqlite("kefu-data/kefu.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/k.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("/tmp/k.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let url = DatabaseUrl::parse("postgres://kefu:s3cret@db:5432/kefu").unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"));
        assert_eq!(shown, "postgres://kefu:***@db:5432/kefu");
    }
}
