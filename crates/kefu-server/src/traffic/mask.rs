//! What the journal may keep of a request: tokens cut to their first 8
//! characters and secrets removed, in the query and in JSON bodies (in
//! place, so the rest of a body reads as sent), and multipart uploads
//! summarised part by part instead of kept as bytes.

/// Query parameters and JSON fields that carry a token: shown as their
/// first 8 characters.
const TOKENS: &[&str] = &[
    "access_token",
    "component_access_token",
    "authorizer_access_token",
    "authorizer_refresh_token",
    "pre_auth_code",
    "component_verify_ticket",
];
/// Parameters and fields that carry a secret: never shown.
const SECRETS: &[&str] = &["secret", "appsecret", "component_appsecret"];
/// How much of a token stays visible.
const SHOWN: usize = 8;
/// How much of a body is kept.
pub(crate) const BODY_MAX: usize = 64 << 10;

fn masked(key: &str, value: &str) -> Option<String> {
    if SECRETS.contains(&key) {
        return Some("***".into());
    }
    if TOKENS.contains(&key) {
        let shown: String = value.chars().take(SHOWN).collect();
        return Some(if shown.len() < value.len() {
            format!("{shown}…")
        } else {
            shown
        });
    }
    None
}

/// The query string with every token and secret masked; the other
/// parameters as sent.
pub(crate) fn query(raw: &str) -> String {
    raw.split('&')
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match masked(key, value) {
                Some(m) => format!("{key}={m}"),
                None => pair.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A body as text, at most [`BODY_MAX`] bytes, JSON tokens and secrets
/// masked; a multipart body is summarised.
pub(crate) fn body(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some(boundary) = content_type.and_then(multipart_boundary) {
        return multipart(bytes, &boundary);
    }
    let mut end = bytes.len().min(BODY_MAX);
    let text = loop {
        match std::str::from_utf8(&bytes[..end]) {
            Ok(t) => break t,
            // Cut inside a character, or not text at all.
            Err(e) if e.valid_up_to() + 4 >= end => end = e.valid_up_to(),
            Err(_) => return format!("[{} bytes, not text]", bytes.len()),
        }
    };
    json_fields(text)
}

/// `text` with the string values of token and secret fields masked.
fn json_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Each string is read whole (escapes included); a string followed by
    // `:` is a key, and a string value after it is masked when it must be.
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..=start]);
        rest = &rest[start + 1..];
        let Some(end) = string_end(rest) else { break };
        let key = &rest[..end];
        out.push_str(&rest[..=end]);
        rest = &rest[end + 1..];
        let after = rest.trim_start();
        let Some(value) = after
            .strip_prefix(':')
            .map(str::trim_start)
            .and_then(|v| v.strip_prefix('"'))
        else {
            continue;
        };
        let Some(close) = string_end(value) else { break };
        let lead = rest.len() - value.len();
        out.push_str(&rest[..lead]);
        match masked(key, &value[..close]) {
            Some(m) => out.push_str(&m),
            None => out.push_str(&value[..close]),
        }
        out.push('"');
        rest = &value[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Where a JSON string that starts at `s` ends (its closing quote).
fn string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// A multipart body's summary, when `content_type` says it is one.
pub(crate) fn multipart_summary(bytes: &[u8], content_type: Option<&str>) -> Option<String> {
    let boundary = content_type.and_then(multipart_boundary)?;
    Some(multipart(bytes, &boundary))
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
    })
}

/// `[multipart, N bytes: media (filename="a.png"; image/png; 1234 bytes)]`.
fn multipart(bytes: &[u8], boundary: &str) -> String {
    let delimiter = format!("--{boundary}");
    let parts: Vec<String> = split(bytes, delimiter.as_bytes())
        .into_iter()
        .filter_map(|part| {
            let split_at = find(part, b"\r\n\r\n")?;
            let head = String::from_utf8_lossy(&part[..split_at]);
            let data = &part[split_at + 4..];
            let name = header_param(&head, "name")?;
            let filename = header_param(&head, "filename").map(|f| format!("filename=\"{f}\"; "));
            let kind = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Content-Type:")
                        .or_else(|| l.strip_prefix("content-type:"))
                })
                .map_or(String::new(), |t| format!("{}; ", t.trim()));
            let size = data.strip_suffix(b"\r\n").unwrap_or(data).len();
            Some(format!("{name} ({}{kind}{size} bytes)", filename.unwrap_or_default()))
        })
        .collect();
    format!("[multipart, {} bytes: {}]", bytes.len(), parts.join(", "))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The pieces of `bytes` between occurrences of `delimiter`.
fn split<'a>(mut bytes: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    while let Some(at) = find(bytes, delimiter) {
        pieces.push(&bytes[..at]);
        bytes = &bytes[at + delimiter.len()..];
    }
    pieces.push(bytes);
    pieces
}

fn header_param(head: &str, key: &str) -> Option<String> {
    let start = head.find(&format!("{key}=\""))? + key.len() + 2;
    let end = head[start..].find('"')?;
    Some(head[start..start + end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    #[test]
    fn every_token_form_in_a_query_shows_eight_characters() {
        let q = format!(
            "access_token={TOKEN}&component_access_token={TOKEN}&authorizer_access_token={TOKEN}&openid=o1&secret=s3cr3t"
        );
        assert_eq!(
            query(&q),
            "access_token=ABCDEFGH…&component_access_token=ABCDEFGH…&authorizer_access_token=ABCDEFGH…&openid=o1&secret=***"
        );
    }

    #[test]
    fn tokens_and_secrets_in_json_bodies_are_masked_in_place() {
        let body = format!(
            r#"{{"grant_type":"client_credential","appid":"wx1", "secret" : "s3cr3t","force_refresh":false}} {{"note":"x\"","access_token":"{TOKEN}","expires_in":7200,"authorizer_refresh_token":"{TOKEN}","n":"a \"quoted\" access_token"}}"#
        );
        assert_eq!(
            json_fields(&body),
            r#"{"grant_type":"client_credential","appid":"wx1", "secret" : "***","force_refresh":false} {"note":"x\"","access_token":"ABCDEFGH…","expires_in":7200,"authorizer_refresh_token":"ABCDEFGH…","n":"a \"quoted\" access_token"}"#
        );
    }

    #[test]
    fn multipart_uploads_are_summarised_and_long_bodies_cut() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\x00\x01\r\n--XyZ--\r\n";
        assert_eq!(
            super::body(body, Some("multipart/form-data; boundary=XyZ")),
            format!(
                "[multipart, {} bytes: media (filename=\"a.png\"; image/png; 6 bytes)]",
                body.len()
            )
        );
        assert_eq!(super::body(&vec![b'a'; BODY_MAX + 10], None).len(), BODY_MAX);
        assert_eq!(
            super::body(&[0xff, 0xfe, 0, 1, 2, 3, 4, 5], None),
            "[8 bytes, not text]"
        );
    }
}
