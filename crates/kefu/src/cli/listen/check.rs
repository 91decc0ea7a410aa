//! Checking a push as a developer's server must before trusting it: the URL
//! `signature` made with the Token, and for an encrypted push its
//! `msg_signature`, the AES envelope opened with the EncodingAESKey and the
//! appid sealed inside it. Also WeChat's GET handshake. Pure functions of
//! the query string and the body, so every refusal is tested without a
//! network.

use kefu_api::callback::{self as wire, AesKey, Format, Parsed};

/// What the receiver checks pushes against.
#[derive(Debug)]
pub(super) struct Keys {
    /// The Token both sides sign with.
    pub token: String,
    /// The EncodingAESKey, parsed (absent in plaintext mode without one).
    pub key: Option<AesKey>,
    /// The app whose pushes these are (sealed into every envelope).
    pub appid: String,
    /// Whether pushes must be encrypted (compatible and safe mode).
    pub encrypted: bool,
}

/// A push after its checks.
#[derive(Debug)]
pub(super) struct Checked {
    /// Why it does not verify, when it does not.
    pub problem: Option<String>,
    /// The body's format (XML, or JSON for Mini Programs), read off the body.
    pub format: Format,
    /// The opened envelope, for an encrypted push that opened.
    pub opened: Option<String>,
    /// The push's fields: the opened ones when encrypted, else the clear ones.
    pub fields: Vec<(String, String)>,
}

impl Checked {
    /// The value of a field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The value of a query parameter (empty when absent).
pub(super) fn param(query: &str, key: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Whether the URL's `signature` was made with the Token.
fn signed(keys: &Keys, query: &str) -> bool {
    let expected = wire::signature(&keys.token, &param(query, "timestamp"), &param(query, "nonce"));
    expected == param(query, "signature")
}

/// WeChat's URL handshake: the `echostr` to answer, or why it is refused.
pub(super) fn handshake(keys: &Keys, query: &str) -> Result<String, String> {
    if !signed(keys, query) {
        return Err("the handshake's signature does not match the Token".into());
    }
    Ok(param(query, "echostr"))
}

/// Checks and opens a push.
pub(super) fn check(keys: &Keys, query: &str, body: &str) -> Checked {
    let format = Format::sniff(body);
    let clear = wire::parse(format, body);
    let clear_fields = clear.as_ref().map(|p| p.pairs().to_vec()).unwrap_or_default();
    let mut checked = Checked {
        problem: None,
        format,
        opened: None,
        fields: clear_fields,
    };
    if !signed(keys, query) {
        checked.problem = Some("signature does not match the Token".into());
        return checked;
    }
    let clear = match clear {
        Ok(parsed) => parsed,
        Err(e) => {
            checked.problem = Some(format!("the body cannot be read as {format:?}: {e}"));
            return checked;
        }
    };
    match wire::envelope(&clear) {
        Some(env) => open(keys, query, &clear, &env.encrypt, &mut checked),
        None if keys.encrypted || param(query, "encrypt_type") == "aes" => {
            checked.problem = Some("expected an encrypted push, but the body has no Encrypt".into());
        }
        None => {}
    }
    checked
}

/// Checks an encrypted push's `msg_signature`, opens it for the app, and
/// (compatible mode) compares its clear fields with the sealed ones.
fn open(keys: &Keys, query: &str, clear: &Parsed, encrypt: &str, checked: &mut Checked) {
    if let Err(why) = opened(keys, query, clear, encrypt, checked) {
        checked.problem = Some(why);
    }
}

fn opened(keys: &Keys, query: &str, clear: &Parsed, encrypt: &str, checked: &mut Checked) -> Result<(), String> {
    let (ts, nonce) = (param(query, "timestamp"), param(query, "nonce"));
    if wire::msg_signature(&keys.token, &ts, &nonce, encrypt) != param(query, "msg_signature") {
        return Err("msg_signature does not match the Token and the Encrypt value".into());
    }
    let key = keys
        .key
        .as_ref()
        .ok_or("an encrypted push, but the receiver has no EncodingAESKey")?;
    let msg = wire::open(key, encrypt, &keys.appid).map_err(|e| format!("cannot open the push: {e}"))?;
    let text = String::from_utf8(msg).map_err(|_| "the opened push is not UTF-8".to_owned())?;
    let inner = wire::parse(checked.format, &text).map_err(|e| format!("the opened push cannot be read: {e}"))?;
    checked.opened = Some(text);
    checked.fields = inner.pairs().to_vec();
    for (k, v) in clear.pairs().iter().filter(|(k, _)| k != "Encrypt") {
        if inner.get(k) != Some(v.as_str()) {
            return Err(format!("the clear field {k} differs from the sealed one"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok3n";
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx0123456789abcdef";
    const PUSH: &str = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
                        <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content></xml>";

    fn keys(encrypted: bool) -> Keys {
        Keys {
            token: TOKEN.into(),
            key: Some(AesKey::parse(KEY).unwrap()),
            appid: APPID.into(),
            encrypted,
        }
    }

    fn query(extra: &[(&str, &str)]) -> String {
        let sig = wire::signature(TOKEN, "1700000000", "42");
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.extend_pairs([
            ("signature", sig.as_str()),
            ("timestamp", "1700000000"),
            ("nonce", "42"),
        ]);
        q.extend_pairs(extra.iter().copied());
        q.finish()
    }

    /// A safe-mode push of `PUSH` sealed for `appid`, and its query.
    fn sealed(appid: &str, token: &str) -> (String, String) {
        let encrypt = wire::encrypt(
            &AesKey::parse(KEY).unwrap(),
            *b"0123456789abcdef",
            PUSH.as_bytes(),
            appid,
        );
        let sig = wire::msg_signature(token, "1700000000", "42", &encrypt);
        let body = wire::render_safe(Format::Xml, "gh_1", &encrypt);
        (query(&[("encrypt_type", "aes"), ("msg_signature", &sig)]), body)
    }

    #[test]
    fn a_plaintext_push_verifies_and_reads() {
        let checked = check(&keys(false), &query(&[]), PUSH);
        assert_eq!(checked.problem, None);
        assert_eq!(
            (checked.get("Content"), checked.opened.as_deref()),
            (Some("hello"), None)
        );
    }

    #[test]
    fn a_safe_mode_push_opens() {
        let (q, body) = sealed(APPID, TOKEN);
        let checked = check(&keys(true), &q, &body);
        assert_eq!(checked.problem, None);
        assert_eq!(checked.opened.as_deref(), Some(PUSH));
        assert_eq!(checked.get("FromUserName"), Some("o1"));
    }

    #[test]
    fn every_refusal_is_named() {
        let bad_sig = query(&[]).replace("signature=", "signature=0");
        let problem = |q: &str, body: &str, encrypted| check(&keys(encrypted), q, body).problem.unwrap_or_default();
        assert_eq!(problem(&bad_sig, PUSH, false), "signature does not match the Token");
        assert!(problem(&query(&[]), "{", false).starts_with("the body cannot be read as Json"));
        assert!(problem(&query(&[]), PUSH, true).starts_with("expected an encrypted push"));
        let (q, body) = sealed("wx_other", TOKEN);
        assert_eq!(
            problem(&q, &body, true),
            "cannot open the push: Encrypt was sealed for another appid"
        );
        let (q, body) = sealed(APPID, "another");
        assert!(problem(&q, &body, true).starts_with("msg_signature does not match"));
        let (q, body) = sealed(APPID, TOKEN);
        let no_key = Keys {
            key: None,
            ..keys(true)
        };
        assert!(check(&no_key, &q, &body)
            .problem
            .unwrap_or_default()
            .contains("no EncodingAESKey"));
    }

    #[test]
    fn a_compatible_push_whose_clear_fields_were_changed_is_refused() {
        let (q, body) = sealed(APPID, TOKEN);
        let encrypt = wire::parse(Format::Xml, &body)
            .unwrap()
            .get("Encrypt")
            .unwrap()
            .to_owned();
        let forged = format!("<xml><Content><![CDATA[bye]]></Content><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
        let problem = check(&keys(true), &q, &forged).problem;
        assert_eq!(
            problem.as_deref(),
            Some("the clear field Content differs from the sealed one")
        );
    }

    #[test]
    fn the_handshake_echoes_only_a_signed_echostr() {
        assert_eq!(handshake(&keys(true), &query(&[("echostr", "e1")])), Ok("e1".into()));
        let forged = query(&[("echostr", "e1")]).replace("nonce=42", "nonce=43");
        assert!(handshake(&keys(true), &forged).is_err());
    }
}
