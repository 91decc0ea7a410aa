//! A developer's server may answer anything: broken, truncated, hostile or
//! huge XML is refused with an error (or read, when it is well-formed), and
//! never panics, overflows the stack or expands entities.

use kefu_api::callback::{parse, Format, ParseError};

const REPLY: &str = "<xml><ToUserName><![CDATA[openid]]></ToUserName><CreateTime>1399197672</CreateTime>\
                     <MsgType><![CDATA[transfer_customer_service]]></MsgType>\
                     <TransInfo><KfAccount>a&amp;b@test</KfAccount></TransInfo></xml>";

fn xml(body: &str) -> Result<kefu_api::callback::Parsed, ParseError> {
    parse(Format::Xml, body)
}

#[test]
fn every_truncation_of_a_reply_is_refused() {
    assert!(xml(REPLY).is_ok());
    for end in (0..REPLY.len()).filter(|&end| REPLY.is_char_boundary(end)) {
        assert!(xml(&REPLY[..end]).is_err(), "{:?}", &REPLY[..end]);
    }
}

#[test]
fn unclosed_and_stray_tags_are_refused() {
    for body in [
        "<xml>",
        "<xml><A>",
        "<xml><A>x</xml>",
        "<xml><A>x</A>",
        "<xml></A></xml>",
        "</xml>",
        "<xml><A x</A></xml>",
        "<xml><A>x</A></xml></xml>",
        "<xml/><xml/>",
        "<xml><>x</></xml>",
        "<xml><A>x < y</A></xml>",
        "<xml><!-- open comment</xml>",
        "<?xml version=\"1.0\"",
    ] {
        assert!(xml(body).is_err(), "{body}");
    }
}

#[test]
fn entities_beyond_the_five_and_doctypes_are_refused() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY a \"lol\"><!ENTITY b \"&a;&a;&a;&a;\">]>\
                  <xml><A>&b;</A></xml>";
    let external = "<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><A>&e;</A></xml>";
    for body in [
        laughs,
        external,
        "<xml><A>&e;</A></xml>",
        "<xml><A>&amp</A></xml>",
        "<xml><A>&#;</A></xml>",
        "<xml><A>&#xZZ;</A></xml>",
        "<xml><A>&#x110000;</A></xml>",
        "<xml><A>&#xD800;</A></xml>",
        "<xml><A>&#99999999999999999999;</A></xml>",
        "<xml>&amp;</xml>&amp;",
    ] {
        assert!(xml(body).is_err(), "{body}");
    }
}

#[test]
fn cdata_is_read_verbatim_and_refused_when_open() {
    let body = "<xml><A><![CDATA[<B>&amp;</B> ]]]]><![CDATA[>]]></A></xml>";
    assert_eq!(xml(body).unwrap().get("A"), Some("<B>&amp;</B> ]]>"));
    for body in [
        "<xml><A><![CDATA[x</A></xml>",
        "<xml><A><![CDATA[x]]</A></xml>",
        "<xml><A><![CDAT[x]]></A></xml>",
        "<![CDATA[x]]><xml/>",
        "<xml/><![CDATA[x]]>",
    ] {
        assert!(xml(body).is_err(), "{body}");
    }
}

#[test]
fn very_deep_nesting_is_refused_without_recursion() {
    let depth = 200_000;
    let body = format!("<xml>{}x{}</xml>", "<a>".repeat(depth), "</a>".repeat(depth));
    assert!(matches!(xml(&body), Err(ParseError::Malformed { .. })));
    let unclosed = "<a>".repeat(depth);
    assert!(xml(&unclosed).is_err());
}

#[test]
fn huge_bodies_read_or_fail_cleanly() {
    let text = "你好 & ".repeat(200_000);
    let big = format!("<xml><Content><![CDATA[{text}]]></Content></xml>");
    assert_eq!(xml(&big).unwrap().get("Content"), Some(text.as_str()));
    let many = format!("<xml>{}</xml>", "<A>1</A>".repeat(100_000));
    assert_eq!(xml(&many).unwrap().get_all("A").count(), 100_000);
    let long_name = format!("<xml><{0}>x</{0}></xml>", "N".repeat(1 << 20));
    assert_eq!(xml(&long_name).unwrap().pairs().len(), 1);
    let open_attr = format!("<xml><A b=\"{}></A></xml>", "v".repeat(1 << 20));
    assert!(xml(&open_attr).is_err());
}

/// A small deterministic generator, so the noise test needs no dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn random_splices_of_markup_never_panic() {
    let pieces = [
        "<xml>",
        "</xml>",
        "<A>",
        "</A>",
        "<B/>",
        "<![CDATA[",
        "]]>",
        "&amp;",
        "&#x4F60;",
        "&",
        ";",
        "<!--",
        "-->",
        "<?",
        "?>",
        "<!DOCTYPE x>",
        "text",
        " ",
        "\"",
        "'",
        "=",
        "<",
        ">",
        "/",
        "你",
    ];
    let mut noise = Noise(7);
    for _ in 0..20_000 {
        let len = noise.next() % 12;
        let body: String = (0..len).map(|_| pieces[noise.next() % pieces.len()]).collect();
        let _ = xml(&body);
    }
}
