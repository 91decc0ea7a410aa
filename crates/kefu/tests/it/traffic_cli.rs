//! The traffic tools through the binary: `kefu journal` (lines, JSON,
//! `--follow`), `kefu fault`, `kefu compat`, and the access log in text and
//! JSON.

use crate::support::{Kefu, KEFU, KEFU_ENV};
use kefu_api::traffic::{CompatSummary, FaultState, JournalEntry};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// `journal` prints one line per request, oldest first; `--json` the
/// entries; filters narrow both.
#[tokio::test]
async fn journal_prints_a_line_per_request() {
    // Arrange
    let kefu = Kefu::start();
    let client = kefu.client();
    client.get_kf_list().await.expect("getkflist");
    let err = client.create_session("nobody@kefu_demo", "o1").await.unwrap_err();

    // Act
    let lines = kefu.cli(&["journal"]).await;
    let json: Vec<JournalEntry> = kefu.cli(&["journal", "--json", "--errcode", "65401"]).await.json();

    // Assert
    assert_eq!(lines.code, Some(0), "{lines:?}");
    let lines: Vec<&str> = lines.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "token, getkflist, create: {lines:?}");
    assert!(lines[0].contains(" GET /cgi-bin/token 0 "), "{}", lines[0]);
    assert!(
        lines[1].contains(" GET /cgi-bin/customservice/getkflist 0 "),
        "{}",
        lines[1]
    );
    let rid = err.to_string().rsplit("rid: ").next().unwrap().to_owned();
    assert!(
        lines[2].contains(" POST /customservice/kfsession/create 65401 "),
        "{}",
        lines[2]
    );
    assert!(lines[2].ends_with(&format!("ms rid={rid}")), "{}", lines[2]);
    assert_eq!(json.len(), 1);
    assert_eq!(json[0].appid.as_deref(), Some(kefu.demo.appid.as_str()));
}

/// `journal --follow` prints each request as it completes.
#[tokio::test]
async fn journal_follows_requests_as_they_complete() {
    let kefu = Kefu::start();
    let mut cmd = tokio::process::Command::new(KEFU);
    for var in KEFU_ENV {
        cmd.env_remove(var);
    }
    let mut follow = cmd
        .args([
            "journal",
            "--follow",
            "--path",
            "/cgi-bin/customservice/getonlinekflist",
            "--server",
            &kefu.base,
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kefu journal --follow");
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let client = kefu.client();
    // Until the stream is open, requests are not followed: ask until one is.
    let line = loop {
        client.get_online_kf_list().await.expect("getonlinekflist");
        let next = tokio::time::timeout(Duration::from_millis(500), lines.next_line()).await;
        if let Ok(line) = next {
            break line.unwrap().unwrap();
        }
    };
    assert!(
        line.contains(" GET /cgi-bin/customservice/getonlinekflist 0 "),
        "{line}"
    );
}

/// `fault add` answers what the rule does to a real call, `fault list` and
/// `fault clear` manage rules, and a bad rule is refused naming its field.
#[tokio::test]
async fn fault_commands_add_list_and_clear_rules() {
    let kefu = Kefu::start();
    let added: FaultState = kefu
        .cli(&[
            "fault",
            "add",
            "/cgi-bin/customservice/getkflist",
            "--errcode",
            "-1",
            "--times",
            "1",
        ])
        .await
        .json();
    let failed = kefu.client().get_kf_list().await.unwrap_err();
    let listed: Vec<FaultState> = kefu.cli(&["fault", "list"]).await.json();
    let bad = kefu
        .cli(&["fault", "add", "/x", "--errcode", "-1", "--probability", "2"])
        .await;
    kefu.cli(&["fault", "add", "/x", "--drop"]).await;
    let cleared = kefu.cli(&["fault", "clear"]).await;
    let after: Vec<FaultState> = kefu.cli(&["fault", "list"]).await.json();

    assert_eq!((added.id, added.rule.errcode, added.remaining), (1, Some(-1), Some(1)));
    assert_eq!(failed.errcode(), Some(-1));
    assert!(listed.is_empty(), "the rule expired after its one time: {listed:?}");
    assert_eq!(bad.code, Some(1));
    assert_eq!(
        bad.stderr,
        "kefu: control error 400 bad_request: probability: from 0 to 1\n"
    );
    assert_eq!((cleared.code, after.len()), (Some(0), 0));
}

/// `compat` lists the notes of the requests real WeChat would answer
/// differently.
#[tokio::test]
async fn compat_reports_by_rule() {
    let kefu = Kefu::start_with(&["--lenient"]);
    let token = kefu
        .cli(&["token", "--app", &kefu.demo.appid, "--secret", &kefu.demo.secret])
        .await;
    let token: serde_json::Value = token.json();
    let url = format!(
        "{}/customservice/getkflist?access_token={}",
        kefu.base,
        token["access_token"].as_str().unwrap()
    );
    let listed = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let report: Vec<CompatSummary> = kefu.cli(&["compat", "--app", &kefu.demo.appid]).await.json();
    assert_eq!(listed, r#"{"kf_list":[]}"#);
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(
        (report[0].rule.as_str(), report[0].count, report[0].refused),
        ("path_variant", 1, 0)
    );
}

/// One access-log line per request: JSON objects with `--log-format json`,
/// the rid in the span of an error answer.
#[tokio::test]
async fn the_access_log_writes_a_json_line_per_request() {
    let kefu = Kefu::start_with(&["--log-format", "json"]);
    let err = kefu
        .client()
        .create_session("nobody@kefu_demo", "o1")
        .await
        .unwrap_err();
    let rid = err.to_string().rsplit("rid: ").next().unwrap().to_owned();
    let mut found = None;
    for _ in 0..100 {
        found = kefu
            .output()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|l| l["fields"]["message"] == "answered" && l["span"]["path"] == "/customservice/kfsession/create");
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let line = found.unwrap_or_else(|| panic!("no access line: {}", kefu.output()));
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "kefu_server::access");
    assert_eq!(
        (line["fields"]["status"].as_u64(), line["fields"]["errcode"].as_i64()),
        (Some(200), Some(65401))
    );
    assert_eq!(
        (line["span"]["method"].as_str(), line["span"]["rid"].as_str()),
        (Some("POST"), Some(rid.as_str()))
    );
    assert!(
        !kefu.output().contains("\u{1b}["),
        "no colours when stderr is not a terminal"
    );
}
