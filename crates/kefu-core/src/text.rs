//! The one character no request may carry: U+0000. No WeChat identifier or
//! message holds it, and PostgreSQL cannot store it in text, so a request
//! that carries it is refused at the edge (WeChat side: 47001; control API:
//! 400) instead of failing in the store.

/// Whether a query string (percent-encoded) or a JSON body carries U+0000:
/// `%00` in the query, a raw NUL or the escape `\u0000` in the body.
pub fn carries_nul(query: &str, body: &[u8]) -> bool {
    query.as_bytes().windows(3).any(|w| w == b"%00") || body.contains(&0) || escaped_nul(body)
}

/// Whether a JSON text holds the escape `\u0000` (not an escaped backslash
/// followed by `u0000`).
fn escaped_nul(json: &[u8]) -> bool {
    json.windows(6)
        .enumerate()
        .any(|(i, w)| w == b"\\u0000" && json[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_encoded_raw_or_escaped() {
        assert!(carries_nul("kf_account=a%00b", b""));
        assert!(carries_nul("", br#"{"content":"a\u0000b"}"#));
        assert!(carries_nul("", br#"{"content":"\\\u0000"}"#));
        assert!(carries_nul("", b"{\"a\":\"\0\"}"));
    }

    #[test]
    fn text_that_only_looks_like_nul_is_not() {
        assert!(!carries_nul("a=%2500", br#"{"content":"\\u0000"}"#));
        assert!(!carries_nul("kf_account=a%20b", br#"{"content":"a\u0001b"}"#));
    }
}
