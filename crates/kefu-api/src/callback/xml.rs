//! Reads the XML of WeChat's push replies into flattened pairs: one root
//! element whose children hold text, CDATA or further children. The
//! tokenizing is `quick-xml`'s; this module adds what the wire needs on top
//! of it: dotted keys for nested elements, text joined across CDATA sections
//! and entity references, a bound on nesting, and the refusals (a DOCTYPE,
//! an unknown entity, a bad element name, anything outside the root) that
//! keep a hostile body an error and never a panic. The prolog, comments,
//! processing instructions and attributes are skipped.

use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use super::parsed::{ParseError, Parsed};

/// Deepest nesting read below the root; deeper input is refused.
const MAX_DEPTH: usize = 32;

/// Reads `body` into the flattened children of its root element.
pub(super) fn parse(body: &str) -> Result<Parsed, ParseError> {
    let mut reader = Reader::from_str(body);
    let mut doc = Doc::default();
    loop {
        let start = offset(reader.buffer_position());
        let event = reader.read_event().map_err(|e| refusal(&reader, e))?;
        if let Event::Eof = event {
            return doc.finish(offset(reader.buffer_position()));
        }
        doc.take(event).map_err(|fault| fault.at(start))?;
    }
}

/// An element still open, the root first.
struct Open {
    /// The key its text is recorded under (empty for the root).
    key: String,
    /// Its character data so far.
    text: String,
    /// Whether a child element was read (then only the children count).
    has_children: bool,
}

/// The document read so far.
#[derive(Default)]
struct Doc {
    open: Vec<Open>,
    /// Whether the root element has begun.
    rooted: bool,
    parsed: Parsed,
}

/// A refusal found while taking an event, placed by the caller.
enum Fault {
    /// A body without a root element.
    NoRoot,
    /// Broken XML.
    Malformed(&'static str),
}

impl Fault {
    /// The error, at byte `at`.
    fn at(self, at: usize) -> ParseError {
        match self {
            Fault::NoRoot => ParseError::NoRoot,
            Fault::Malformed(what) => ParseError::Malformed { at, what },
        }
    }
}

impl Doc {
    /// Takes one event other than the end of input.
    fn take(&mut self, event: Event<'_>) -> Result<(), Fault> {
        match event {
            Event::Start(tag) => self.start(&tag),
            Event::Empty(tag) => {
                self.start(&tag)?;
                self.end();
                Ok(())
            }
            Event::End(_) => {
                self.end();
                Ok(())
            }
            Event::Text(text) => self.text(&text.into_inner()),
            Event::CData(cdata) => self.data(&cdata.into_inner()),
            Event::GeneralRef(reference) => self.data(&entity(&reference)?.to_string()),
            Event::DocType(_) => Err(Fault::Malformed("a DOCTYPE is not allowed")),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::Eof => Ok(()),
        }
    }

    /// `<name ...>`: opens a child of the innermost element, or the root.
    fn start(&mut self, tag: &BytesStart<'_>) -> Result<(), Fault> {
        let name = checked_name(tag)?;
        if self.rooted && self.open.is_empty() {
            return Err(Fault::Malformed("content after the root element"));
        }
        if self.open.len() > MAX_DEPTH {
            return Err(Fault::Malformed("elements nested too deep"));
        }
        let key = match self.open.last_mut() {
            None => String::new(),
            Some(parent) => {
                parent.has_children = true;
                dotted(&parent.key, name)
            }
        };
        self.rooted = true;
        self.open.push(Open {
            key,
            text: String::new(),
            has_children: false,
        });
        Ok(())
    }

    /// `</name>` (quick-xml has checked it closes the innermost element):
    /// a leaf's text is recorded under its key.
    fn end(&mut self) {
        if let Some(done) = self.open.pop() {
            if !done.has_children && !done.key.is_empty() {
                self.parsed.push(done.key, done.text);
            }
        }
    }

    /// Text between tags; only whitespace may stand outside the root.
    fn text(&mut self, text: &str) -> Result<(), Fault> {
        if self.open.is_empty() && text.trim().is_empty() {
            return Ok(());
        }
        if !self.rooted {
            return Err(Fault::NoRoot);
        }
        self.data(text)
    }

    /// Character data for the innermost element.
    fn data(&mut self, text: &str) -> Result<(), Fault> {
        match self.open.last_mut() {
            Some(inner) => {
                inner.text.push_str(text);
                Ok(())
            }
            None if self.rooted => Err(Fault::Malformed("content after the root element")),
            None => Err(Fault::Malformed("content before the root element")),
        }
    }

    /// The pairs, once the input ended at byte `at`.
    fn finish(self, at: usize) -> Result<Parsed, ParseError> {
        if !self.rooted {
            return Err(ParseError::NoRoot);
        }
        if !self.open.is_empty() {
            return Err(ParseError::Malformed {
                at,
                what: "unclosed element",
            });
        }
        Ok(self.parsed)
    }
}

/// `prefix.name`, or `name` below the root.
fn dotted(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The element's name, refused unless it is a plain XML name.
fn checked_name<'t>(tag: &'t BytesStart<'_>) -> Result<&'t str, Fault> {
    let name = tag.name().into_inner();
    let starts_well = name.starts_with(|c: char| c.is_alphabetic() || c == '_' || c == ':');
    if !starts_well || !name.chars().all(is_name_char) {
        return Err(Fault::Malformed("bad element name"));
    }
    Ok(name)
}

/// A character allowed in a name.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// The character an entity reference stands for: one of the five
/// predefined entities or a character reference; anything else is refused
/// (no DTD is read, so no other entity is defined).
fn entity(reference: &BytesRef<'_>) -> Result<char, Fault> {
    let unknown = Fault::Malformed("unknown entity");
    if reference.is_char_ref() {
        return reference.resolve_char_ref().ok().flatten().ok_or(unknown);
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => Err(unknown),
    }
}

/// A byte offset as `usize`.
fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// quick-xml's refusal as a [`ParseError`].
fn refusal(reader: &Reader<&[u8]>, error: XmlError) -> ParseError {
    let at = offset(reader.error_position());
    let what = match error {
        XmlError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            return ParseError::Mismatch {
                open: expected,
                close: found,
            };
        }
        XmlError::IllFormed(IllFormedError::UnmatchedEndTag(_)) => "close tag without an open tag",
        XmlError::IllFormed(IllFormedError::UnclosedReference) => "unterminated entity",
        XmlError::IllFormed(_) => "not well-formed",
        XmlError::Syntax(syntax) => syntax_fault(syntax),
        XmlError::Escape(_) => "bad character reference",
        _ => "unreadable XML",
    };
    ParseError::Malformed { at, what }
}

/// What a quick-xml syntax error means, in the words this crate uses.
fn syntax_fault(error: SyntaxError) -> &'static str {
    match error {
        SyntaxError::InvalidBangMarkup => "unknown markup after '<!'",
        SyntaxError::UnclosedPI | SyntaxError::UnclosedXmlDecl => "unterminated processing instruction",
        SyntaxError::UnclosedComment => "unterminated comment",
        SyntaxError::UnclosedDoctype => "unterminated DOCTYPE",
        SyntaxError::UnclosedCData => "unterminated CDATA",
        SyntaxError::UnclosedTag => "unterminated tag",
        SyntaxError::UnclosedSingleQuotedAttributeValue | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
            "unterminated attribute value"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prolog_comments_attributes_and_whitespace_are_skipped() {
        let body =
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- c --><root a='x>y'>\n <A b=\"1\">v</A><!--x-->\n <B/>\n</root >\n";
        let parsed = parse(body).unwrap();
        assert_eq!(
            parsed.pairs(),
            [("A".to_owned(), "v".to_owned()), ("B".to_owned(), String::new())]
        );
    }

    #[test]
    fn hex_references_and_split_cdata_decode() {
        let parsed = parse("<xml><A>&#x4F60;&#20320;x<![CDATA[]]]]><![CDATA[>]]>&gt;</A></xml>").unwrap();
        assert_eq!(parsed.get("A"), Some("你你x]]>>"));
    }

    #[test]
    fn broken_input_is_refused() {
        for body in [
            "<xml><A>1</A>",
            "<xml><A>1</B></xml>",
            "<xml><A>&bogus;</A></xml>",
            "<xml><A>& </A></xml>",
            "<xml><1A>x</1A></xml>",
            "<xml><A$>x</A$></xml>",
            "<xml><A>x</A></xml><more/>",
            "<xml><A>x</A></xml>trailing",
            "<xml><![CDATA[x</xml>",
            "<xml><A attr=\"open></A></xml>",
        ] {
            assert!(parse(body).is_err(), "{body}");
        }
        assert_eq!(parse("   "), Err(ParseError::NoRoot));
        assert_eq!(parse("success"), Err(ParseError::NoRoot));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let body = format!("<xml>{}x{}</xml>", "<a>".repeat(1000), "</a>".repeat(1000));
        assert!(matches!(parse(&body), Err(ParseError::Malformed { .. })));
        let ok = format!("<xml>{}x{}</xml>", "<a>".repeat(3), "</a>".repeat(3));
        assert_eq!(parse(&ok).unwrap().get("a.a.a"), Some("x"));
    }

    #[test]
    fn the_deepest_allowed_nesting_reads() {
        let body = format!("<xml>{}x{}</xml>", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        let key = vec!["a"; MAX_DEPTH].join(".");
        assert_eq!(parse(&body).unwrap().get(&key), Some("x"));
        let deeper = format!(
            "<xml>{}x{}</xml>",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deeper).is_err());
    }

    #[test]
    fn mismatched_close_tags_name_both_tags() {
        assert_eq!(
            parse("<xml><A>1</B></xml>"),
            Err(ParseError::Mismatch {
                open: "A".into(),
                close: "B".into()
            })
        );
    }
}
