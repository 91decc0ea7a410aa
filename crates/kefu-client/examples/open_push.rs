//! Verifying and opening a push as a developer's server must: the push kefu
//! (or WeChat) sends in safe mode carries `msg_signature`, `timestamp` and
//! `nonce` in its query and an `Encrypt` field in its body. This example
//! makes one the way kefu does, then checks and opens it with the Token and
//! EncodingAESKey the app's push settings hold. No server is needed.
//!
//! ```sh
//! cargo run -p kefu-client --example open_push
//! ```

use kefu_client::api::callback::{self, AesKey, Format};

const TOKEN: &str = "myToken";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx0123456789abcdef";

fn main() {
    let key = AesKey::parse(AES_KEY).expect("a 43-character EncodingAESKey");

    // What arrives: POST /wx?timestamp=…&nonce=…&msg_signature=…&encrypt_type=aes
    let (timestamp, nonce) = ("1700000000", "123456");
    let push = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o-follower]]></FromUserName>\
                <CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>\
                <MsgId>42</MsgId></xml>";
    let encrypt = callback::encrypt(&key, *b"0123456789abcdef", push.as_bytes(), APPID);
    let msg_signature = callback::msg_signature(TOKEN, timestamp, nonce, &encrypt);
    let body = callback::wire::render_safe(Format::Xml, "gh_0123456789ab", &encrypt);

    // What the developer's server does with it.
    let parsed = callback::wire::parse(Format::sniff(&body), &body).expect("a well-formed body");
    let sealed = parsed.get("Encrypt").expect("an Encrypt field");
    assert_eq!(
        callback::msg_signature(TOKEN, timestamp, nonce, sealed),
        msg_signature,
        "forged push"
    );
    let opened = callback::open(&key, sealed, APPID).expect("sealed with this key, for this app");
    let message = callback::wire::parse(Format::Xml, &String::from_utf8_lossy(&opened)).expect("the push");
    println!(
        "{} wrote {:?} (MsgId {})",
        message.get("FromUserName").unwrap_or("?"),
        message.get("Content").unwrap_or(""),
        message.get("MsgId").unwrap_or("?")
    );
}
