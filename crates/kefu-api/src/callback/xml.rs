//! A small, tolerant reader for the XML of WeChat's push replies: one root
//! element whose children hold text, CDATA or further children. It exists so
//! the crate reads these bodies without an XML dependency; it skips the
//! prolog, comments and attributes, decodes entities, and refuses broken or
//! mismatched tags.

use super::wire::{ParseError, Parsed};

/// Deepest nesting read below the root; deeper input is refused.
const MAX_DEPTH: usize = 32;

/// Reads `body` into the flattened children of its root element.
pub(super) fn parse(body: &str) -> Result<Parsed, ParseError> {
    let mut reader = Reader { src: body, pos: 0 };
    reader.eat("\u{feff}");
    reader.misc()?;
    if !reader.rest().starts_with('<') {
        return Err(ParseError::NoRoot);
    }
    let mut parsed = Parsed::default();
    let (root, empty) = reader.start_tag()?;
    if !empty {
        reader.content(root, "", &mut parsed, 0)?;
    }
    reader.misc()?;
    if !reader.rest().is_empty() {
        return Err(reader.error("content after the root element"));
    }
    Ok(parsed)
}

/// A cursor over the body.
struct Reader<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// What is left to read.
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    /// A fault at the cursor.
    fn error(&self, what: &'static str) -> ParseError {
        ParseError::Malformed { at: self.pos, what }
    }

    /// Steps over `prefix` if it comes next.
    fn eat(&mut self, prefix: &str) -> bool {
        let found = self.rest().starts_with(prefix);
        if found {
            self.pos += prefix.len();
        }
        found
    }

    /// Reads up to `end` and steps past it.
    fn until(&mut self, end: &str, what: &'static str) -> Result<&'a str, ParseError> {
        let rest = self.rest();
        let at = rest.find(end).ok_or_else(|| self.error(what))?;
        self.pos += at + end.len();
        Ok(&rest[..at])
    }

    /// Skips whitespace, processing instructions (the prolog) and comments.
    fn misc(&mut self) -> Result<(), ParseError> {
        loop {
            self.pos = self.src.len() - self.rest().trim_start().len();
            if self.eat("<?") {
                self.until("?>", "unterminated processing instruction")?;
            } else if self.eat("<!--") {
                self.until("-->", "unterminated comment")?;
            } else {
                return Ok(());
            }
        }
    }

    /// An element or attribute name.
    fn name(&mut self) -> Result<&'a str, ParseError> {
        let rest = self.rest();
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        if !rest.starts_with(|c: char| c.is_alphabetic() || c == '_' || c == ':') {
            return Err(self.error("expected an element name"));
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    /// `<name attrs>` or `<name attrs/>`: the name and whether it is empty.
    /// Attributes are skipped.
    fn start_tag(&mut self) -> Result<(&'a str, bool), ParseError> {
        self.eat("<");
        let name = self.name()?;
        let rest = self.rest();
        let mut quote = None;
        for (i, c) in rest.char_indices() {
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '<') => return Err(self.error("'<' inside a tag")),
                (None, '>') => return self.tag_end(name, &rest[..i], i),
                _ => {}
            }
        }
        Err(self.error("unterminated tag"))
    }

    /// Checks what lies between a tag's name and its `>` (at `end`).
    fn tag_end(&mut self, name: &'a str, attrs: &str, end: usize) -> Result<(&'a str, bool), ParseError> {
        if !attrs.is_empty() && attrs != "/" && !attrs.starts_with(char::is_whitespace) {
            return Err(self.error("bad character in a tag name"));
        }
        self.pos += end + 1;
        Ok((name, attrs.ends_with('/')))
    }

    /// `</name>`, which must close `open`.
    fn end_tag(&mut self, open: &str) -> Result<(), ParseError> {
        self.eat("</");
        let close = self.name()?;
        self.pos = self.src.len() - self.rest().trim_start().len();
        if !self.eat(">") {
            return Err(self.error("unterminated close tag"));
        }
        if close != open {
            let (open, close) = (open.to_owned(), close.to_owned());
            return Err(ParseError::Mismatch { open, close });
        }
        Ok(())
    }

    /// The content of element `name` (reached as `key`) up to its close tag.
    /// A leaf's text is recorded under `key`; an element with children
    /// records only them.
    fn content(&mut self, name: &str, key: &str, parsed: &mut Parsed, depth: usize) -> Result<(), ParseError> {
        let mut text = String::new();
        let mut has_children = false;
        loop {
            let rest = self.rest();
            if self.eat("<![CDATA[") {
                text.push_str(self.until("]]>", "unterminated CDATA")?);
            } else if self.eat("<!--") {
                self.until("-->", "unterminated comment")?;
            } else if rest.starts_with("</") {
                self.end_tag(name)?;
                break;
            } else if rest.starts_with('<') {
                has_children = true;
                self.child(key, parsed, depth + 1)?;
            } else if rest.is_empty() {
                return Err(self.error("unclosed element"));
            } else {
                self.text(&mut text)?;
            }
        }
        if !has_children && !key.is_empty() {
            parsed.push(key.to_owned(), text);
        }
        Ok(())
    }

    /// A child element below `prefix`.
    fn child(&mut self, prefix: &str, parsed: &mut Parsed, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("elements nested too deep"));
        }
        let (name, empty) = self.start_tag()?;
        let key = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        if empty {
            parsed.push(key, String::new());
            return Ok(());
        }
        self.content(name, &key, parsed, depth)
    }

    /// Character data up to the next `<`, with entities decoded.
    fn text(&mut self, out: &mut String) -> Result<(), ParseError> {
        let rest = self.rest();
        let mut run = &rest[..rest.find('<').unwrap_or(rest.len())];
        while let Some(amp) = run.find('&') {
            out.push_str(&run[..amp]);
            self.pos += amp;
            let tail = &run[amp + 1..];
            let semi = tail.find(';').ok_or_else(|| self.error("unterminated entity"))?;
            out.push(entity(&tail[..semi]).ok_or_else(|| self.error("unknown entity"))?);
            self.pos += semi + 2;
            run = &tail[semi + 1..];
        }
        out.push_str(run);
        self.pos += run.len();
        Ok(())
    }
}

/// A character allowed in a name.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// The character an entity (without `&` and `;`) stands for.
fn entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
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
}
