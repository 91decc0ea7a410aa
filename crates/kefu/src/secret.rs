//! A command-line value that must not show in `Debug` output (admin
//! tokens, app secrets, database URLs that may hold a password). A leaf
//! every argument struct may use.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A secret argument: parsed like a string, shown as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// The value itself, for the one place that uses it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(Secret(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s: Secret = "hunter2".parse().unwrap();
        assert_eq!(format!("{s:?} {:?}", Some(s.clone())), "<redacted> Some(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }
}
