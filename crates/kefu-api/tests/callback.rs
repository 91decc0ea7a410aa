//! WeChat's published callback test vectors, both ways, and the body
//! formats of the message push, checked through the public API.

use kefu_api::callback::{
    decrypt, encrypt, envelope, is_empty_reply, msg_signature, open, parse, render, render_compatible,
    render_encrypted_reply, render_safe, signature, AesKey, CryptError, Fields, Format, KeyError, Value,
};

const TOKEN: &str = "AAAAA";
const APPID: &str = "wxba5fad812f8e6fb9";
const PUSH_MSG: &str = r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#;
const PUSH_ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
const REPLY_MSG: &str = r#"{"demo_resp":"good luck"}"#;
const REPLY_ENCRYPT: &str = "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==";

fn key() -> AesKey {
    AesKey::parse(&"A".repeat(43)).unwrap()
}

fn random(ascii: &str) -> [u8; 16] {
    ascii.as_bytes().try_into().unwrap()
}

#[test]
fn url_signatures_match_the_vectors() {
    let cases = [
        ("1714036504", "1514711492", "f464b24fc39322e44b38aa78f5edd27bd1441696"),
        ("1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78"),
        ("1714112445", "415670741", "6c5c811b55cc85e0e1b54100749188c20beb3f5d"),
    ];
    for (timestamp, nonce, expected) in cases {
        assert_eq!(signature(TOKEN, timestamp, nonce), expected);
    }
}

#[test]
fn safe_mode_push_seals_to_the_vector() {
    let sealed = encrypt(&key(), random("a8eedb185eb2fecf"), PUSH_MSG.as_bytes(), APPID);
    assert_eq!(sealed, PUSH_ENCRYPT);
}

#[test]
fn safe_mode_push_opens_from_the_vector() {
    let opened = decrypt(&key(), PUSH_ENCRYPT).unwrap();
    assert_eq!(opened.random, random("a8eedb185eb2fecf"));
    assert_eq!(opened.msg.len(), 167);
    assert_eq!(opened.msg, PUSH_MSG.as_bytes());
    assert_eq!(opened.appid, APPID);
    assert_eq!(16 + 4 + opened.msg.len() + opened.appid.len(), 205);
    assert_eq!(open(&key(), PUSH_ENCRYPT, APPID).unwrap(), PUSH_MSG.as_bytes());
}

#[test]
fn safe_mode_push_msg_signature_matches() {
    let signed = msg_signature(TOKEN, "1714112445", "415670741", PUSH_ENCRYPT);
    assert_eq!(signed, "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3");
}

#[test]
fn encrypted_reply_seals_and_signs_to_the_vector() {
    assert_eq!(REPLY_MSG.len(), 25);
    let sealed = encrypt(&key(), random("707722b803182950"), REPLY_MSG.as_bytes(), APPID);
    assert_eq!(sealed, REPLY_ENCRYPT);
    let signed = msg_signature(TOKEN, "1713424427", "415670741", &sealed);
    assert_eq!(signed, "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1");
}

#[test]
fn encrypted_reply_opens_from_the_vector() {
    let opened = decrypt(&key(), REPLY_ENCRYPT).unwrap();
    assert_eq!(opened.random, random("707722b803182950"));
    assert_eq!(
        (opened.msg.as_slice(), opened.appid.as_str()),
        (REPLY_MSG.as_bytes(), APPID)
    );
}

#[test]
fn encrypted_reply_body_reads_back_into_its_envelope() {
    let sig = "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1";
    for format in [Format::Xml, Format::Json] {
        let body = render_encrypted_reply(format, REPLY_ENCRYPT, sig, 1713424427, "415670741");
        let env = envelope(&parse(format, &body).unwrap()).unwrap();
        assert_eq!(env.encrypt, REPLY_ENCRYPT);
        assert_eq!(env.msg_signature.as_deref(), Some(sig));
        assert_eq!(env.timestamp.as_deref(), Some("1713424427"));
        assert_eq!(env.nonce.as_deref(), Some("415670741"));
        let ts = env.timestamp.unwrap();
        assert_eq!(msg_signature(TOKEN, &ts, &env.nonce.unwrap(), &env.encrypt), sig);
        assert_eq!(open(&key(), &env.encrypt, APPID).unwrap(), REPLY_MSG.as_bytes());
    }
}

#[test]
fn a_wrong_appid_is_reported_apart() {
    assert_eq!(open(&key(), PUSH_ENCRYPT, "wx0000000000000000"), Err(CryptError::AppId));
    assert_eq!(decrypt(&key(), "@@@@"), Err(CryptError::Base64));
}

#[test]
fn a_wrong_key_does_not_open() {
    let other = AesKey::parse(&"B".repeat(43)).unwrap();
    assert!(open(&other, PUSH_ENCRYPT, APPID).is_err());
}

#[test]
fn keys_are_validated() {
    assert_eq!(AesKey::parse(&"A".repeat(42)).unwrap_err(), KeyError::Length);
    assert_eq!(AesKey::parse(&"A".repeat(44)).unwrap_err(), KeyError::Length);
    assert_eq!(
        AesKey::parse(&format!("{}-", "A".repeat(42))).unwrap_err(),
        KeyError::Alphabet
    );
    assert_eq!(
        AesKey::parse(&format!("{}=", "A".repeat(42))).unwrap_err(),
        KeyError::Alphabet
    );
    assert_eq!(AesKey::parse(&"é".repeat(43)).unwrap_err(), KeyError::Alphabet);
    assert!(AesKey::parse(&"A".repeat(43)).is_ok());
    // The last character's spare bits need not be zero.
    assert!(AesKey::parse(&format!("{}z", "A".repeat(42))).is_ok());
    assert_eq!(KeyError::Length.to_string(), "EncodingAESKey must be 43 characters");
}

fn text_message(content: &str) -> Fields {
    vec![
        ("ToUserName", "gh_x".into()),
        ("FromUserName", "openid".into()),
        ("CreateTime", Value::Number(1714112445)),
        ("MsgType", "text".into()),
        ("Content", Value::Text(content.to_owned())),
        ("MsgId", Value::Number(123)),
    ]
}

#[test]
fn plain_bodies_render_as_documented() {
    assert_eq!(
        render(Format::Xml, &text_message("hi")),
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[openid]]></FromUserName>\
         <CreateTime>1714112445</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>\
         <MsgId>123</MsgId></xml>"
    );
    assert_eq!(
        render(Format::Json, &text_message("hi")),
        r#"{"ToUserName":"gh_x","FromUserName":"openid","CreateTime":1714112445,"MsgType":"text","Content":"hi","MsgId":123}"#
    );
}

#[test]
fn xml_splits_cdata_ends_and_keeps_cjk() {
    let body = render(Format::Xml, &[("Content", Value::Text("a]]>b 你好".to_owned()))]);
    assert_eq!(body, "<xml><Content><![CDATA[a]]]]><![CDATA[>b 你好]]></Content></xml>");
    assert_eq!(parse(Format::Xml, &body).unwrap().get("Content"), Some("a]]>b 你好"));
}

#[test]
fn json_escapes_quotes_newlines_and_keeps_cjk() {
    let body = render(
        Format::Json,
        &[("Content", Value::Text("say \"hi\"\n你好\\".to_owned()))],
    );
    assert_eq!(body, r#"{"Content":"say \"hi\"\n你好\\"}"#);
    assert_eq!(
        parse(Format::Json, &body).unwrap().get("Content"),
        Some("say \"hi\"\n你好\\")
    );
}

#[test]
fn encrypted_push_bodies_render_as_documented() {
    assert_eq!(
        render_safe(Format::Xml, "gh_x", "E=="),
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[E==]]></Encrypt></xml>"
    );
    assert_eq!(
        render_safe(Format::Json, "gh_x", "E=="),
        r#"{"ToUserName":"gh_x","Encrypt":"E=="}"#
    );
    let fields = [("ToUserName", "gh_x".into()), ("CreateTime", Value::Number(1))];
    assert_eq!(
        render_compatible(Format::Xml, &fields, "E=="),
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><CreateTime>1</CreateTime><Encrypt><![CDATA[E==]]></Encrypt></xml>"
    );
    assert_eq!(
        render_compatible(Format::Json, &fields, "E=="),
        r#"{"ToUserName":"gh_x","CreateTime":1,"Encrypt":"E=="}"#
    );
}

#[test]
fn encrypted_reply_bodies_render_as_documented() {
    assert_eq!(
        render_encrypted_reply(Format::Xml, "E", "S", 1713424427, "N"),
        "<xml><Encrypt><![CDATA[E]]></Encrypt><MsgSignature><![CDATA[S]]></MsgSignature>\
         <TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[N]]></Nonce></xml>"
    );
    assert_eq!(
        render_encrypted_reply(Format::Json, "E", "S", 1713424427, "N"),
        r#"{"Encrypt":"E","MsgSignature":"S","TimeStamp":1713424427,"Nonce":"N"}"#
    );
}

#[test]
fn transfer_reply_reads_in_both_formats() {
    let xml = "<xml><ToUserName><![CDATA[openid]]></ToUserName><FromUserName><![CDATA[gh_x]]></FromUserName>\
               <CreateTime>1399197672</CreateTime><MsgType><![CDATA[transfer_customer_service]]></MsgType>\
               <TransInfo><KfAccount><![CDATA[test1@test]]></KfAccount></TransInfo></xml>";
    let json = r#"{"ToUserName":"openid","FromUserName":"gh_x","CreateTime":1399197672,
                   "MsgType":"transfer_customer_service","TransInfo":{"KfAccount":"test1@test"}}"#;
    for (format, body) in [(Format::Xml, xml), (Format::Json, json)] {
        let parsed = parse(format, body).unwrap();
        assert_eq!(parsed.get("MsgType"), Some("transfer_customer_service"));
        assert_eq!(parsed.get("TransInfo.KfAccount"), Some("test1@test"));
        assert_eq!(parsed.get("CreateTime"), Some("1399197672"));
        assert_eq!(parsed.get("TransInfo"), None);
        assert!(envelope(&parsed).is_none());
    }
}

#[test]
fn text_reply_reads_with_prolog_and_whitespace() {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n  <MsgType><![CDATA[text]]></MsgType>\n  \
                <Content><![CDATA[hel]]><![CDATA[lo]]></Content>\n</xml>\n";
    let parsed = parse(Format::Xml, body).unwrap();
    assert_eq!(parsed.get("MsgType"), Some("text"));
    assert_eq!(parsed.get("Content"), Some("hello"));
}

#[test]
fn entities_decode() {
    let body = "<xml><Content>&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#20320;</Content></xml>";
    assert_eq!(
        parse(Format::Xml, body).unwrap().get("Content"),
        Some("<a> & \"b\" 'c' 你")
    );
}

#[test]
fn mismatched_and_rootless_xml_is_refused() {
    assert!(parse(Format::Xml, "<xml><MsgType>text</Content></xml>").is_err());
    assert!(parse(Format::Xml, "<xml><MsgType>text</MsgType>").is_err());
    assert!(parse(Format::Xml, "").is_err());
    assert!(parse(Format::Xml, "<xml><a<b>x</b></xml>").is_err());
}

#[test]
fn json_must_be_an_object() {
    assert!(parse(Format::Json, "[1,2]").is_err());
    assert!(parse(Format::Json, "{").is_err());
    let parsed = parse(Format::Json, r#"{"a":true,"b":1.5,"c":{"d":{"e":"f"}},"g":["x","y"]}"#).unwrap();
    assert_eq!(parsed.get("a"), Some("true"));
    assert_eq!(parsed.get("b"), Some("1.5"));
    assert_eq!(parsed.get("c.d.e"), Some("f"));
    assert_eq!(parsed.get_all("g").collect::<Vec<_>>(), ["x", "y"]);
}

#[test]
fn render_then_parse_round_trips() {
    let fields = text_message("tricky ]]> & <tag> \"q\"\n你好");
    for format in [Format::Xml, Format::Json] {
        let parsed = parse(format, &render(format, &fields)).unwrap();
        for (key, value) in &fields {
            let expected = match value {
                Value::Text(text) => text.clone(),
                Value::Number(number) => number.to_string(),
            };
            assert_eq!(parsed.get(key), Some(expected.as_str()), "{format:?} {key}");
        }
    }
}

#[test]
fn compatible_push_reads_its_envelope() {
    let sealed = encrypt(&key(), [9; 16], b"<xml/>", APPID);
    for format in [Format::Xml, Format::Json] {
        let body = render_compatible(format, &text_message("hi"), &sealed);
        let env = envelope(&parse(format, &body).unwrap()).unwrap();
        assert_eq!((env.encrypt.as_str(), env.msg_signature), (sealed.as_str(), None));
        assert_eq!(open(&key(), &env.encrypt, APPID).unwrap(), b"<xml/>");
    }
}

#[test]
fn empty_replies_are_recognised() {
    for body in ["", "  \n", "success", " success\n"] {
        assert!(is_empty_reply(body), "{body:?}");
    }
    for body in ["SUCCESS", "successful", "<xml></xml>"] {
        assert!(!is_empty_reply(body), "{body:?}");
    }
}

#[test]
fn format_is_sniffed() {
    assert_eq!(Format::sniff(" {\"a\":1}"), Format::Json);
    assert_eq!(Format::sniff("<xml></xml>"), Format::Xml);
}
