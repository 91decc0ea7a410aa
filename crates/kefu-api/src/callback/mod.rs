//! WeChat's callback ("message push") wire envelope, shared by kefu, which
//! pushes events and messages to a developer's server, and by whatever
//! receives them (a test receiver, or a client) to check and open them.
//!
//! [`crypt`] holds the signatures and the AES envelope, [`wire`] the XML and
//! JSON bodies; everything is re-exported here. Reading a body yields the
//! types of the leaf module `parsed`, which `wire` and the XML reader `xml`
//! both use.

pub mod crypt;
mod parsed;
pub mod wire;
mod xml;

pub use crypt::{decrypt, encrypt, msg_signature, open, signature, AesKey, CryptError, KeyError, Opened};
pub use wire::{
    envelope, is_empty_reply, parse, render, render_compatible, render_encrypted_reply, render_safe, Envelope, Fields,
    ParseError, Parsed, Value,
};

/// The body format a developer chose for pushes (and answers in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `<xml>...</xml>`, text in CDATA.
    Xml,
    /// A flat JSON object.
    Json,
}

impl Format {
    /// The `Content-Type` a push in this format is sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    /// Guesses a body's format: JSON when it starts with `{`, XML otherwise.
    pub fn sniff(body: &str) -> Format {
        if body.trim_start_matches('\u{feff}').trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Xml
        }
    }
}
