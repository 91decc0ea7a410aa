//! The `KEFU_DATABASE_URL` forms kefu understands.
//!
//! A PostgreSQL URL is libpq's `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?k=v&...]`
//! plus one parameter of kefu's own, `schema=NAME`: the schema kefu's tables
//! live in (created when missing). It lets several kefu deployments, or tests,
//! share one database. The parameter is taken out before the rest goes to the
//! PostgreSQL client.

use crate::error::StoreError;
use std::fmt;
use std::path::PathBuf;

/// A parsed database URL. Its `Debug` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative) or `sqlite:///abs/path`.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`, kept whole (with `schema`).
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
            split_schema(raw)?;
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

/// Splits kefu's `schema=NAME` parameter off a PostgreSQL URL: returns the
/// URL the client library understands and the schema, if one was named.
pub(crate) fn split_schema(url: &str) -> Result<(String, Option<String>), StoreError> {
    let (url, [schema]) = take_params(url, ["schema"])?;
    Ok((url, schema.map(|name| check_schema(&name)).transpose()?))
}

/// Takes the parameters `names` out of a URL's query (values decoded):
/// the URL left, and each parameter's value, in the order of `names`. A
/// parameter given twice is refused.
pub(crate) fn take_params<const N: usize>(
    url: &str,
    names: [&str; N],
) -> Result<(String, [Option<String>; N]), StoreError> {
    let mut values = [const { None }; N];
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), values));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = form_urlencoded::parse(pair.as_bytes()).next().unwrap_or_default();
        match names.iter().position(|n| *n == key) {
            Some(i) if values[i].is_some() => {
                return Err(StoreError::Unsupported(format!("postgres url: `{key}` is given twice")))
            }
            Some(i) => values[i] = Some(value.into_owned()),
            None => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, values))
}

/// A schema name kefu can use unquoted: lower-case ASCII letters, digits and
/// `_`, not starting with a digit, at most 63 bytes (PostgreSQL's limit).
fn check_schema(name: &str) -> Result<String, StoreError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(StoreError::Unsupported(
            "`schema` must be 1-63 characters of a-z, 0-9 and _, not starting with a digit".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Replaces the password of `scheme://user:password@host` and the value of
/// a `password=` parameter with `***`.
fn redact(url: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let mut shown = redact_userinfo(main);
    if let Some(query) = query {
        let pairs: Vec<&str> = query
            .split('&')
            .map(|p| if p.starts_with("password=") { "password=***" } else { p })
            .collect();
        shown = format!("{shown}?{}", pairs.join("&"));
    }
    shown
}

fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((creds, host)) = rest.rsplit_once('@') else {
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
        let url = DatabaseUrl::parse("postgres://kefu@db/kefu?sslmode=disable&password=s3cret").unwrap();
        assert_eq!(
            format!("{url:?}"),
            "postgres://kefu@db/kefu?sslmode=disable&password=***"
        );
        let url = DatabaseUrl::parse("postgres://kefu:p@ss@db/kefu").unwrap();
        assert_eq!(format!("{url:?}"), "postgres://kefu:***@db/kefu");
    }

    #[test]
    fn the_schema_parameter_is_split_off_and_checked() {
        let (url, schema) = split_schema("postgres://u@h/db?schema=kefu_1&connect_timeout=1").unwrap();
        assert_eq!(url, "postgres://u@h/db?connect_timeout=1");
        assert_eq!(schema.as_deref(), Some("kefu_1"));
        let (url, schema) = split_schema("postgres://u@h/db?schema=kefu").unwrap();
        assert_eq!((url.as_str(), schema.as_deref()), ("postgres://u@h/db", Some("kefu")));
        assert_eq!(split_schema("postgres://u@h/db").unwrap().1, None);
        for bad in ["Kefu", "1kefu", "ke-fu", "ke\"fu", "", &"k".repeat(64)] {
            let url = format!("postgres://u:pw@h/db?schema={bad}");
            let err = DatabaseUrl::parse(&url).unwrap_err();
            assert!(!err.to_string().contains("pw"), "{err}");
        }
        assert!(DatabaseUrl::parse("postgres://u@h/db?schema=a&schema=b").is_err());
    }
}
