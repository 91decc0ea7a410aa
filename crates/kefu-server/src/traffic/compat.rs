//! The compatibility report: requests that relied on a leniency of kefu's,
//! or that real WeChat answers differently, each noted under a rule name,
//! and the notes counted per rule and app (`GET /_kefu/compat`). The rules
//! and what real WeChat does are in `docs/behaviour.md`.

use crate::hosts::is_wechat_host;
use kefu_api::traffic::{CompatNote, CompatSummary};
use kefu_core::endpoint;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What a note is decided on.
pub(crate) struct Facts<'a> {
    /// The path as sent (after `//` was collapsed).
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// Whether the request came over TLS (kefu's HTTPS port or a proxy tunnel).
    pub over_tls: bool,
    /// The request body.
    pub body: &'a [u8],
    /// The answer's errcode.
    pub errcode: Option<i64>,
}

fn note(rule: &str, refused: bool, explanation: String) -> CompatNote {
    CompatNote {
        rule: rule.into(),
        refused,
        explanation,
    }
}

/// The notes a request earns.
pub(crate) fn notes(f: &Facts<'_>) -> Vec<CompatNote> {
    let mut found = Vec::new();
    let refused_as_unknown = f.errcode == Some(40066);
    if let Some(documented) = endpoint::documented(f.path) {
        found.push(note(
            "path_variant",
            refused_as_unknown,
            format!("real WeChat answers 40066 invalid url here; the documented path is {documented}"),
        ));
    }
    if let Some(legacy) = endpoint::legacy(f.path) {
        found.push(note(
            "legacy_endpoint",
            refused_as_unknown,
            format!(
                "a retired endpoint; real WeChat documents {} instead",
                legacy.replaced_by
            ),
        ));
    }
    if percent_encoded_kf_account(f.query) {
        found.push(note(
            "kf_account_percent_encoded",
            false,
            "real WeChat answered 65401 invalid kf_account when the @ of kf_account came as %40; send it raw".into(),
        ));
    }
    if token_in_body(f) {
        found.push(note(
            "token_in_body",
            f.errcode == Some(41001),
            "WeChat reads access_token from the query string only; in the body it is ignored (41001)".into(),
        ));
    }
    if !f.over_tls && f.host.is_some_and(is_wechat_host) {
        found.push(note(
            "http_not_https",
            false,
            "real WeChat is reached over HTTPS only; this request came over plain HTTP".into(),
        ));
    }
    found
}

fn percent_encoded_kf_account(query: &str) -> bool {
    query.split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(k, v)| k == "kf_account" && v.to_ascii_lowercase().contains("%40"))
    })
}

fn token_in_body(f: &Facts<'_>) -> bool {
    let in_query = f.query.split('&').any(|p| p.starts_with("access_token="));
    !in_query && f.body.len() < (1 << 16) && String::from_utf8_lossy(f.body).contains("\"access_token\"")
}

/// The notes counted per rule and app.
#[derive(Default)]
pub(crate) struct Report {
    lines: Mutex<BTreeMap<(String, Option<String>), CompatSummary>>,
}

impl Report {
    /// Counts the notes of journal entry `id`.
    pub(crate) fn count(&self, id: u64, at_ms: i64, appid: Option<&str>, notes: &[CompatNote]) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        for n in notes {
            let key = (n.rule.clone(), appid.map(str::to_owned));
            let line = lines.entry(key).or_insert_with(|| CompatSummary {
                rule: n.rule.clone(),
                appid: appid.map(str::to_owned),
                count: 0,
                refused: 0,
                first_ms: at_ms,
                last_ms: at_ms,
                example: id,
                explanation: n.explanation.clone(),
            });
            line.count += 1;
            line.refused += u64::from(n.refused);
            line.last_ms = at_ms;
        }
    }

    /// The report, for one app or for all.
    pub(crate) fn lines(&self, appid: Option<&str>) -> Vec<CompatSummary> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .values()
            .filter(|l| appid.is_none_or(|a| l.appid.as_deref() == Some(a)))
            .cloned()
            .collect()
    }

    /// Forgets every count.
    pub(crate) fn clear(&self) {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(path: &'a str, query: &'a str, body: &'a [u8]) -> Facts<'a> {
        Facts {
            path,
            query,
            host: None,
            over_tls: false,
            body,
            errcode: Some(0),
        }
    }

    fn rules(f: &Facts<'_>) -> Vec<String> {
        notes(f).into_iter().map(|n| n.rule).collect()
    }

    #[test]
    fn each_rule_is_noted_where_it_applies() {
        assert_eq!(
            rules(&facts("/cgi-bin/customservice/kfaccount/add", "", b"")),
            ["path_variant"]
        );
        assert_eq!(
            rules(&facts("/customservice/msgrecord/getrecord", "", b"")),
            ["legacy_endpoint"]
        );
        assert_eq!(
            rules(&facts(
                "/customservice/kfaccount/del",
                "access_token=T&kf_account=a%40b",
                b""
            )),
            ["kf_account_percent_encoded"]
        );
        assert_eq!(
            rules(&facts(
                "/customservice/kfsession/create",
                "",
                br#"{"access_token":"T"}"#
            )),
            ["token_in_body"]
        );
        let proxied = Facts {
            host: Some("api.weixin.qq.com:80"),
            ..facts("/cgi-bin/token", "", b"")
        };
        assert_eq!(rules(&proxied), ["http_not_https"]);
        let tunnelled = Facts {
            host: Some("api.weixin.qq.com"),
            over_tls: true,
            ..facts("/cgi-bin/token", "", b"")
        };
        assert!(rules(&tunnelled).is_empty());
        assert!(rules(&facts("/cgi-bin/token", "access_token=T&kf_account=a@b", b"{}")).is_empty());
    }

    #[test]
    fn the_report_counts_per_rule_and_app() {
        let r = Report::default();
        let n = notes(&facts("/customservice/getkflist", "", b""));
        r.count(1, 10, Some("wx1"), &n);
        r.count(2, 20, Some("wx1"), &n);
        r.count(3, 30, None, &n);
        let mine = r.lines(Some("wx1"));
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].count, mine[0].first_ms, mine[0].last_ms, mine[0].example),
            (2, 10, 20, 1)
        );
        assert_eq!(r.lines(None).len(), 2);
    }
}
