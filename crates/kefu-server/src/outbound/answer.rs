//! Reading the developer's answer to a push: empty or `success`, a clear
//! passive reply, or an encrypted one whose signature and appid are checked
//! before it is opened. What the answer asks for is `kefu-core`'s
//! [`ReplyAction`]; an answer that cannot be read is an [`Outcome`].

use super::render::{format, Target};
use kefu_api::callback::{self as wire, Parsed};
use kefu_core::callback::Mode;
use kefu_core::push::{interpret, Outcome, ReplyAction};

/// Why an answer is not acted on: how the try ends and a sentence.
pub(crate) type Unread = (Outcome, String);

/// What the answer `body` asks for.
pub(crate) fn read(target: &Target, body: &str) -> Result<ReplyAction, Unread> {
    if wire::is_empty_reply(body) {
        return Ok(ReplyAction::Nothing);
    }
    let fmt = format(&target.config);
    let parsed = wire::parse(fmt, body).map_err(|e| bad(format!("the answer is not {fmt:?}: {e}")))?;
    let clear = match wire::envelope(&parsed) {
        Some(env) => match open(target, env)? {
            Some(opened) => opened,
            None => return Ok(ReplyAction::Nothing),
        },
        None if target.config.mode == Mode::Safe => {
            return Err(bad("safe mode needs an encrypted answer".into()));
        }
        None => parsed,
    };
    interpret(
        clear.get("MsgType"),
        clear.get("Content"),
        clear.get("TransInfo.KfAccount"),
    )
    .ok_or_else(|| bad("the answer has no MsgType".into()))
}

fn bad(why: String) -> Unread {
    (Outcome::BadReply, why)
}

fn forged(why: String) -> Unread {
    (Outcome::BadSignature, why)
}

/// Checks an encrypted answer's `MsgSignature` and appid, and opens it
/// (`None` when it holds an empty answer or `success`).
fn open(target: &Target, env: wire::Envelope) -> Result<Option<Parsed>, Unread> {
    let cfg = &target.config;
    let key = target
        .key
        .as_ref()
        .ok_or_else(|| bad("an encrypted answer, but the app has no EncodingAESKey".into()))?;
    let (ts, nonce) = (env.timestamp.unwrap_or_default(), env.nonce.unwrap_or_default());
    let expected = wire::msg_signature(&cfg.token, &ts, &nonce, &env.encrypt);
    match env.msg_signature {
        Some(given) if given == expected => {}
        Some(given) => return Err(forged(format!("MsgSignature {given} does not match {expected}"))),
        None => return Err(forged("the encrypted answer has no MsgSignature".into())),
    }
    let msg = wire::open(key, &env.encrypt, cfg.appid.as_str()).map_err(|e| forged(format!("cannot open: {e}")))?;
    let text = String::from_utf8(msg).map_err(|_| bad("the opened answer is not UTF-8".into()))?;
    if wire::is_empty_reply(&text) {
        return Ok(None);
    }
    let parsed = wire::parse(format(cfg), &text).map_err(|e| bad(format!("the opened answer cannot be read: {e}")))?;
    Ok(Some(parsed))
}
