//! How a push is printed: one readable line (time, event or message type,
//! follower, the other fields, and what was answered), or with `--json` one
//! JSON object a line for scripts.

use super::check::Checked;
use serde_json::{json, Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Fields the line shows in its own columns (or that say nothing).
const SHOWN: [&str; 6] = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Event",
    "Encrypt",
];

/// What became of a push.
#[derive(Debug)]
pub(super) struct Handled<'a> {
    /// The query string, as it came.
    pub query: &'a str,
    /// The body, as it came.
    pub body: &'a str,
    /// The checks' findings.
    pub checked: &'a Checked,
    /// What was answered, in words (`success`, `forwarded: HTTP 200`, ...).
    pub answered: String,
    /// Why the push could not be passed on, when `--forward` failed.
    pub forward_error: Option<String>,
}

/// The current wall-clock time, `HH:MM:SS` UTC.
fn clock() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

/// One readable line.
pub(super) fn line(h: &Handled<'_>) -> String {
    let c = h.checked;
    let mut out = clock();
    if let Some(why) = &c.problem {
        out.push_str(&format!("  REJECTED  {why}"));
    } else {
        let kind = match (c.get("MsgType"), c.get("Event")) {
            (Some("event"), Some(event)) => event,
            (Some(msgtype), _) => msgtype,
            (None, _) => "?",
        };
        out.push_str(&format!("  {kind}"));
        if let Some(from) = c.get("FromUserName") {
            out.push_str(&format!("  from {from}"));
        }
        for (k, v) in c.fields.iter().filter(|(k, _)| !SHOWN.contains(&k.as_str())) {
            out.push_str(&format!("  {k}={v:?}"));
        }
    }
    out.push_str(&format!("  -> {}", h.answered));
    if let Some(why) = &h.forward_error {
        out.push_str(&format!(" (forward failed: {why})"));
    }
    out
}

/// One JSON object.
pub(super) fn object(h: &Handled<'_>) -> Value {
    let c = h.checked;
    let query: Map<String, Value> = form_urlencoded::parse(h.query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let fields: Map<String, Value> = c
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "query": query,
        "body": h.body,
        "opened": c.opened,
        "fields": fields,
        "verified": c.problem.is_none(),
        "problem": c.problem,
        "answered": h.answered,
        "forward_error": h.forward_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_api::callback::Format;

    fn checked(problem: Option<&str>) -> Checked {
        let fields = [
            ("ToUserName", "gh_1"),
            ("FromUserName", "o1"),
            ("MsgType", "event"),
            ("Event", "CLICK"),
            ("EventKey", "menu"),
        ];
        Checked {
            problem: problem.map(str::to_owned),
            format: Format::Xml,
            opened: None,
            fields: fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
        }
    }

    fn handled(c: &Checked, forward_error: Option<&str>) -> String {
        let h = Handled {
            query: "a=1",
            body: "<xml/>",
            checked: c,
            answered: "success".into(),
            forward_error: forward_error.map(str::to_owned),
        };
        line(&h)
    }

    #[test]
    fn a_line_shows_the_event_the_follower_and_the_other_fields() {
        let shown = handled(&checked(None), None);
        assert!(
            shown.ends_with(r#"  CLICK  from o1  EventKey="menu"  -> success"#),
            "{shown}"
        );
        let failed = handled(&checked(None), Some("cannot connect"));
        assert!(
            failed.ends_with("-> success (forward failed: cannot connect)"),
            "{failed}"
        );
    }

    #[test]
    fn a_rejected_push_says_why() {
        let shown = handled(&checked(Some("signature does not match the Token")), None);
        assert!(
            shown.ends_with("  REJECTED  signature does not match the Token  -> success"),
            "{shown}"
        );
    }
}
