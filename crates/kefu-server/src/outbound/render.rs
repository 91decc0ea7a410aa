//! The HTTP request a push becomes: the URL with its signatures, and the
//! body in the app's format and mode, field for field as WeChat pushes.
//!
//! Everything random in a request (the nonce, the envelope's 16 random
//! characters) derives from the push's stored nonce, and the timestamp is
//! its `CreateTime`, so every try of one push is byte for byte the same.

use kefu_api::callback::{self as wire, AesKey, Fields, Format, Value};
use kefu_core::callback::{self as settings, CallbackConfig, Mode};
use kefu_core::push::{Push, PushEvent};

/// Where and how one app (or third-party platform) is pushed to.
#[derive(Debug)]
pub(crate) struct Target {
    /// The saved settings.
    pub config: CallbackConfig,
    /// The app's original id (`ToUserName`), or the platform's appid (`AppId`).
    pub to_user: String,
    /// The parsed EncodingAESKey, when there is one.
    pub key: Option<AesKey>,
}

/// A push, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The URL, query included.
    pub url: String,
    /// The body.
    pub body: String,
}

/// The body format on the wire.
pub(crate) fn format(config: &CallbackConfig) -> Format {
    match config.format {
        settings::Format::Xml => Format::Xml,
        settings::Format::Json => Format::Json,
    }
}

/// Appends query parameters to a URL that may already have some.
pub(crate) fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", query.finish())
}

/// The request for `push` to `target`.
pub(crate) fn request(target: &Target, push: &Push) -> Request {
    let cfg = &target.config;
    let (timestamp, nonce) = (push.created_at.0.to_string(), nonce(push.nonce));
    // A platform's ticket is addressed by `AppId` and concerns no follower.
    let (fields, for_follower) = match &push.event {
        PushEvent::ComponentVerifyTicket { ticket } => (ticket_fields(&target.to_user, push, ticket), false),
        _ => (fields(&target.to_user, push), true),
    };
    let addressee = if for_follower { "ToUserName" } else { "AppId" };
    let format = format(cfg);
    let mut params = vec![
        ("signature", wire::signature(&cfg.token, &timestamp, &nonce)),
        ("timestamp", timestamp.clone()),
        ("nonce", nonce.clone()),
    ];
    if for_follower {
        params.push(("openid", push.openid.to_string()));
    }
    let body = match (&target.key, cfg.mode) {
        (Some(key), Mode::Compatible | Mode::Safe) => {
            let plain = wire::render(format, &fields);
            let sealed = wire::encrypt(key, random16(push.nonce), plain.as_bytes(), cfg.appid.as_str());
            params.push(("encrypt_type", "aes".into()));
            params.push((
                "msg_signature",
                wire::msg_signature(&cfg.token, &timestamp, &nonce, &sealed),
            ));
            if cfg.mode == Mode::Safe {
                let to = Value::from(target.to_user.as_str());
                wire::render(format, &[(addressee, to), ("Encrypt", Value::Text(sealed))])
            } else {
                wire::render_compatible(format, &fields, &sealed)
            }
        }
        _ => wire::render(format, &fields),
    };
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Request {
        url: with_query(&cfg.url, &params),
        body,
    }
}

/// The fields of a push, in WeChat's order.
fn fields(to_user: &str, push: &Push) -> Fields {
    let mut f: Fields = vec![
        ("ToUserName", Value::from(to_user)),
        ("FromUserName", Value::from(push.openid.as_str())),
        ("CreateTime", Value::Number(push.created_at.0)),
    ];
    let text = |s: &str| Value::Text(s.to_owned());
    match &push.event {
        PushEvent::Message {
            msgid,
            msgtype,
            content,
        } => {
            let name = msgtype.as_str();
            f.push(("MsgType", text(name)));
            match name {
                "text" => f.push(("Content", text(content))),
                "image" => {
                    f.push((
                        "PicUrl",
                        Value::Text(format!("https://mmbiz.qpic.cn/mmbiz/{content}/0")),
                    ));
                    f.push(("MediaId", text(content)));
                }
                "voice" => {
                    f.push(("MediaId", text(content)));
                    f.push(("Format", text("amr")));
                }
                _ => {
                    f.push(("MediaId", text(content)));
                    f.push(("ThumbMediaId", Value::Text(format!("{content}_thumb"))));
                }
            }
            f.push(("MsgId", Value::Number(msgid.0)));
        }
        event => {
            f.push(("MsgType", text("event")));
            f.push(("Event", text(event.name())));
            event_fields(event, &mut f);
        }
    }
    f
}

/// A platform's ticket push, in WeChat's order.
fn ticket_fields(component: &str, push: &Push, ticket: &str) -> Fields {
    vec![
        ("AppId", Value::from(component)),
        ("CreateTime", Value::Number(push.created_at.0)),
        ("InfoType", Value::from("component_verify_ticket")),
        ("ComponentVerifyTicket", Value::from(ticket)),
    ]
}

fn event_fields(event: &PushEvent, f: &mut Fields) {
    match event {
        PushEvent::Scan { key } | PushEvent::Click { key } => f.push(("EventKey", Value::Text(key.clone()))),
        PushEvent::KfCreateSession { kf } | PushEvent::KfCloseSession { kf } => {
            f.push(("KfAccount", Value::Text(kf.to_string())))
        }
        PushEvent::KfSwitchSession { from, to } => {
            f.push(("FromKfAccount", Value::Text(from.to_string())));
            f.push(("ToKfAccount", Value::Text(to.to_string())));
        }
        _ => {}
    }
}

/// A WeChat-like nonce: up to ten digits.
fn nonce(seed: u64) -> String {
    (seed % 10_000_000_000).to_string()
}

/// The envelope's 16 random characters (`[A-Za-z0-9]`, as WeChat's own
/// samples use), drawn from the push's seed.
fn random16(seed: u64) -> [u8; 16] {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = seed;
    let mut out = [0u8; 16];
    for b in &mut out {
        // splitmix64: a fixed, well-mixed sequence for a given seed.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        *b = ALPHABET[((z ^ (z >> 31)) % ALPHABET.len() as u64) as usize];
    }
    out
}
