//! What reading a push body yields, in either format: the flattened
//! [`Parsed`] pairs and the [`ParseError`] that refuses a body. It is a leaf
//! that both the XML reader and the format dispatch in `wire` build on, so
//! neither has to import the other's types.

use std::fmt;

/// A read body: flattened keys and their text, in document order (a key
/// repeats when an element or array does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed(Vec<(String, String)>);

impl Parsed {
    /// The first value under `key` (`TransInfo.KfAccount` for nested ones).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value under `key`, in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// All pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Adds a pair.
    pub(super) fn push(&mut self, key: String, value: String) {
        self.0.push((key, value));
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No root element (empty or text only).
    NoRoot,
    /// Broken XML at this byte offset.
    Malformed {
        /// Byte offset of the fault.
        at: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// A close tag that does not match its open tag.
    Mismatch {
        /// The open tag's name.
        open: String,
        /// The close tag's name.
        close: String,
    },
    /// Not JSON.
    Json(String),
    /// JSON, but not an object.
    NotObject,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NoRoot => f.write_str("XML has no root element"),
            ParseError::Malformed { at, what } => write!(f, "malformed XML at byte {at}: {what}"),
            ParseError::Mismatch { open, close } => write!(f, "XML element <{open}> closed by </{close}>"),
            ParseError::Json(err) => write!(f, "invalid JSON: {err}"),
            ParseError::NotObject => f.write_str("JSON body is not an object"),
        }
    }
}

impl std::error::Error for ParseError {}
