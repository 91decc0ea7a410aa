//! What the receiver answers a push, as a developer's server would: `success`,
//! or a passive reply (`transfer_customer_service`, or a text) in the push's
//! format, encrypted and signed like WeChat's passive replies when the push
//! came encrypted. Only a follower's message gets a passive reply; every
//! event is answered `success`.

use super::check::{param, Checked, Keys};
use kefu_api::callback::{self as wire, Value};
use rand::distr::{Alphanumeric, SampleString};

/// How the receiver answers pushes (`--reply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `success`: nothing to do.
    Success,
    /// Hand the follower to customer service (they join the waiting queue).
    Transfer,
    /// A passive text reply.
    Text(String),
}

/// Parses `success`, `transfer` or `text:WORDS`.
pub(crate) fn parse(s: &str) -> Result<Reply, String> {
    match s {
        "success" => Ok(Reply::Success),
        "transfer" => Ok(Reply::Transfer),
        _ => match s.strip_prefix("text:") {
            Some(words) if !words.is_empty() => Ok(Reply::Text(words.to_owned())),
            _ => Err("expected success, transfer or text:WORDS".into()),
        },
    }
}

impl Reply {
    /// Short words for the printed line.
    pub(super) fn describe(&self) -> String {
        match self {
            Reply::Success => "success".into(),
            Reply::Transfer => "transfer_customer_service".into(),
            Reply::Text(words) => format!("text {words:?}"),
        }
    }
}

/// The answer to a verified push: `(what it is, body)`.
pub(super) fn answer(reply: &Reply, keys: &Keys, query: &str, push: &Checked) -> (String, String) {
    let is_message = push.get("MsgType").is_some_and(|t| t != "event");
    let (msgtype, content) = match reply {
        Reply::Transfer if is_message => ("transfer_customer_service", None),
        Reply::Text(words) if is_message => ("text", Some(words.as_str())),
        _ => return ("success".into(), "success".into()),
    };
    let created = push.get("CreateTime").and_then(|t| t.parse::<i64>().ok()).unwrap_or(0);
    let mut fields: Vec<(&str, Value)> = vec![
        ("ToUserName", push.get("FromUserName").unwrap_or_default().into()),
        ("FromUserName", push.get("ToUserName").unwrap_or_default().into()),
        ("CreateTime", Value::Number(created)),
        ("MsgType", msgtype.into()),
    ];
    if let Some(words) = content {
        fields.push(("Content", words.into()));
    }
    let plain = wire::render(push.format, &fields);
    let body = match (&keys.key, push.opened.is_some()) {
        (Some(key), true) => {
            let random = Alphanumeric.sample_string(&mut rand::rng(), 16);
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(random.as_bytes());
            let encrypt = wire::encrypt(key, bytes, plain.as_bytes(), &keys.appid);
            let (ts, nonce) = (created.to_string(), param(query, "nonce"));
            let sig = wire::msg_signature(&keys.token, &ts, &nonce, &encrypt);
            wire::render_encrypted_reply(push.format, &encrypt, &sig, created, &nonce)
        }
        _ => plain,
    };
    (reply.describe(), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_api::callback::{AesKey, Format};

    const TOKEN: &str = "tok3n";
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx0123456789abcdef";

    fn keys() -> Keys {
        Keys {
            token: TOKEN.into(),
            key: Some(AesKey::parse(KEY).unwrap()),
            appid: APPID.into(),
            encrypted: true,
        }
    }

    fn push(msgtype: &str, opened: bool) -> Checked {
        let fields = [
            ("ToUserName", "gh_1"),
            ("FromUserName", "o1"),
            ("CreateTime", "1700000000"),
            ("MsgType", msgtype),
        ];
        Checked {
            problem: None,
            format: Format::Xml,
            opened: opened.then(String::new),
            fields: fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
        }
    }

    #[test]
    fn replies_parse() {
        assert_eq!(parse("success"), Ok(Reply::Success));
        assert_eq!(parse("transfer"), Ok(Reply::Transfer));
        assert_eq!(parse("text:hi there"), Ok(Reply::Text("hi there".into())));
        assert!(parse("text:").is_err());
        assert!(parse("nothing").is_err());
    }

    #[test]
    fn events_and_success_are_answered_success() {
        let text = Reply::Text("hi".into());
        assert_eq!(answer(&text, &keys(), "", &push("event", false)).1, "success");
        assert_eq!(answer(&Reply::Success, &keys(), "", &push("text", false)).1, "success");
    }

    #[test]
    fn a_clear_push_gets_a_clear_reply() {
        let (what, body) = answer(&Reply::Transfer, &keys(), "", &push("text", false));
        assert_eq!(what, "transfer_customer_service");
        let reply = wire::parse(Format::Xml, &body).unwrap();
        assert_eq!(reply.get("ToUserName"), Some("o1"));
        assert_eq!(reply.get("MsgType"), Some("transfer_customer_service"));
    }

    /// The sealed reply opens the way kefu opens answers: its MsgSignature
    /// signs the Encrypt value, and it is sealed for the app.
    #[test]
    fn an_encrypted_push_gets_a_sealed_signed_reply() {
        let (_, body) = answer(&Reply::Text("hi".into()), &keys(), "nonce=7", &push("text", true));
        let parsed = wire::parse(Format::Xml, &body).unwrap();
        let env = wire::envelope(&parsed).unwrap();
        let (ts, nonce) = (env.timestamp.unwrap(), env.nonce.unwrap());
        assert_eq!(nonce, "7");
        assert_eq!(
            env.msg_signature,
            Some(wire::msg_signature(TOKEN, &ts, &nonce, &env.encrypt))
        );
        let msg = wire::open(&AesKey::parse(KEY).unwrap(), &env.encrypt, APPID).unwrap();
        let inner = wire::parse(Format::Xml, std::str::from_utf8(&msg).unwrap()).unwrap();
        assert_eq!((inner.get("MsgType"), inner.get("Content")), (Some("text"), Some("hi")));
    }
}
