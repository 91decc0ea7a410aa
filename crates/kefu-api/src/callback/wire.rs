//! The bodies of WeChat's message push in both of its formats: rendering
//! what kefu pushes (plain, safe-mode, compatible-mode, encrypted reply) and
//! reading what a developer's server answers, so the pusher and any receiver
//! agree on the bytes.
//!
//! XML puts text in CDATA and numbers bare; JSON keeps the fields in the
//! given order. Reading flattens nested elements or objects with a dot
//! (`TransInfo.KfAccount`).

use super::xml;
use super::Format;

pub use super::parsed::{ParseError, Parsed};

/// A field's value: text, or a number written bare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text: CDATA in XML, a string in JSON.
    Text(String),
    /// A number: bare in both formats.
    Number(i64),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Self {
        Value::Number(number)
    }
}

/// A message's fields in wire order.
pub type Fields = Vec<(&'static str, Value)>;

/// A body being written, field by field.
struct Body {
    format: Format,
    out: String,
}

impl Body {
    /// Opens `<xml>` or `{`.
    fn new(format: Format) -> Self {
        let out = match format {
            Format::Xml => "<xml>".to_owned(),
            Format::Json => "{".to_owned(),
        };
        Body { format, out }
    }

    /// Adds one field.
    fn field(&mut self, key: &str, value: &Value) -> &mut Self {
        match value {
            Value::Text(text) => self.text(key, text),
            Value::Number(number) => self.number(key, *number),
        }
    }

    /// Adds a text field.
    fn text(&mut self, key: &str, text: &str) -> &mut Self {
        let rendered = match self.format {
            Format::Xml => format!("<![CDATA[{}]]>", xml_chars(text).replace("]]>", "]]]]><![CDATA[>")),
            Format::Json => json_string(text),
        };
        self.raw(key, &rendered)
    }

    /// Adds a number field.
    fn number(&mut self, key: &str, number: i64) -> &mut Self {
        self.raw(key, &number.to_string())
    }

    /// Adds a field whose value is already rendered.
    fn raw(&mut self, key: &str, rendered: &str) -> &mut Self {
        match self.format {
            Format::Xml => self.out.push_str(&format!("<{key}>{rendered}</{key}>")),
            Format::Json => {
                if self.out.len() > 1 {
                    self.out.push(',');
                }
                self.out.push_str(&format!("{}:{rendered}", json_string(key)));
            }
        }
        self
    }

    /// Closes the body.
    fn finish(&mut self) -> String {
        self.out.push_str(match self.format {
            Format::Xml => "</xml>",
            Format::Json => "}",
        });
        std::mem::take(&mut self.out)
    }
}

/// A JSON string literal, escaped by serde_json.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// A plaintext body: the fields in order.
pub fn render(format: Format, fields: &[(&str, Value)]) -> String {
    let mut body = Body::new(format);
    for (key, value) in fields {
        body.field(key, value);
    }
    body.finish()
}

/// A safe-mode push: only `ToUserName` and `Encrypt`.
pub fn render_safe(format: Format, to_user: &str, encrypt: &str) -> String {
    Body::new(format)
        .text("ToUserName", to_user)
        .text("Encrypt", encrypt)
        .finish()
}

/// A compatible-mode push: the plaintext fields, then `Encrypt`.
pub fn render_compatible(format: Format, fields: &[(&str, Value)], encrypt: &str) -> String {
    let mut body = Body::new(format);
    for (key, value) in fields {
        body.field(key, value);
    }
    body.text("Encrypt", encrypt).finish()
}

/// An encrypted reply: `Encrypt`, `MsgSignature`, `TimeStamp`, `Nonce`.
pub fn render_encrypted_reply(
    format: Format,
    encrypt: &str,
    msg_signature: &str,
    timestamp: i64,
    nonce: &str,
) -> String {
    Body::new(format)
        .text("Encrypt", encrypt)
        .text("MsgSignature", msg_signature)
        .number("TimeStamp", timestamp)
        .text("Nonce", nonce)
        .finish()
}

/// True for a reply that asks nothing: empty, blank, or `success`.
pub fn is_empty_reply(body: &str) -> bool {
    let body = body.trim();
    body.is_empty() || body == "success"
}

/// Reads a body: the root's children (XML) or the object's members (JSON).
pub fn parse(format: Format, body: &str) -> Result<Parsed, ParseError> {
    match format {
        Format::Xml => xml::parse(body),
        Format::Json => parse_json(body),
    }
}

/// Reads a JSON object, flattening nested objects and arrays.
fn parse_json(body: &str) -> Result<Parsed, ParseError> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let serde_json::Value::Object(members) = value else {
        return Err(ParseError::NotObject);
    };
    let mut parsed = Parsed::default();
    for (key, value) in members {
        flatten(&mut parsed, key, value);
    }
    Ok(parsed)
}

/// Adds `value` under `key`: scalars as text, objects as `key.member`,
/// arrays as repeats of `key`.
fn flatten(parsed: &mut Parsed, key: String, value: serde_json::Value) {
    use serde_json::Value as J;
    match value {
        J::String(text) => parsed.push(key, text),
        J::Number(number) => parsed.push(key, number.to_string()),
        J::Bool(flag) => parsed.push(key, flag.to_string()),
        J::Null => parsed.push(key, String::new()),
        J::Array(items) => items.into_iter().for_each(|item| flatten(parsed, key.clone(), item)),
        J::Object(members) => {
            for (member, value) in members {
                flatten(parsed, format!("{key}.{member}"), value);
            }
        }
    }
}

/// The encrypted part of a body, as a receiver needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The `Encrypt` value.
    pub encrypt: String,
    /// `MsgSignature` (in encrypted replies; pushes carry it in the URL).
    pub msg_signature: Option<String>,
    /// `TimeStamp`.
    pub timestamp: Option<String>,
    /// `Nonce`.
    pub nonce: Option<String>,
}

/// The envelope of a read body, when it has an `Encrypt` field.
pub fn envelope(parsed: &Parsed) -> Option<Envelope> {
    let text = |key: &str| parsed.get(key).map(str::to_owned);
    Some(Envelope {
        encrypt: text("Encrypt")?,
        msg_signature: text("MsgSignature"),
        timestamp: text("TimeStamp"),
        nonce: text("Nonce"),
    })
}

/// `text` with every character XML 1.0 cannot carry replaced by U+FFFD, so
/// that a push is always well-formed (kefu refuses such characters where
/// they come in; this covers what was stored before).
fn xml_chars(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(xml_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let cleaned = text.chars().map(|c| if xml_char(c) { c } else { '\u{FFFD}' }).collect();
    std::borrow::Cow::Owned(cleaned)
}

/// The first character of `text` that no WeChat message or push can carry,
/// if any: XML 1.0 has no way to write U+0000-U+001F (but tab, line feed
/// and carriage return), U+FFFE or U+FFFF, escaped or not, and a WeChat
/// client cannot type them.
pub fn unwritable_char(text: &str) -> Option<char> {
    text.chars().find(|&c| !xml_char(c))
}

/// Whether XML 1.0 allows `c` in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod unwritable_tests {
    use super::*;

    #[test]
    fn control_characters_but_whitespace_are_unwritable() {
        assert_eq!(unwritable_char("你好\tok\r\n🙂"), None);
        assert_eq!(unwritable_char("a\u{0}b"), Some('\u{0}'));
        assert_eq!(unwritable_char("\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(unwritable_char("x\u{FFFF}"), Some('\u{FFFF}'));
        assert_eq!(unwritable_char("\u{7f}"), None);
    }

    #[test]
    fn a_push_with_unwritable_characters_is_still_well_formed_xml() {
        assert_eq!(xml_chars("ok"), "ok");
        assert_eq!(xml_chars("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
    }
}
