//! The traffic tools on the command line: read or follow the request
//! journal (a line per request, or whole entries with `--json`), add, list
//! and clear fault rules, and print the compatibility report.

use super::output::print;
use super::remote::Remote;
use clap::{Args, Subcommand};
use kefu_api::traffic::{FaultRule, JournalEntry};
use kefu_client::JournalQuery;

/// `kefu journal ...` options.
#[derive(Debug, Args)]
pub(crate) struct JournalArgs {
    /// Only requests of this app.
    #[arg(long = "app", value_name = "APPID")]
    appid: Option<String>,
    /// Only this path.
    #[arg(long)]
    path: Option<String>,
    /// Only answers with this errcode.
    #[arg(long, allow_hyphen_values = true)]
    errcode: Option<i64>,
    /// At most this many entries (default 100, at most 1000).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Keep printing requests as they complete.
    #[arg(long)]
    follow: bool,
    /// Whole entries as JSON instead of one line each.
    #[arg(long)]
    json: bool,
}

/// `kefu fault add ...` options: a rule as `POST /_kefu/faults` takes it.
#[derive(Debug, Args)]
pub(crate) struct FaultArgs {
    /// An API path, a prefix ending in `*`, or `push` for kefu's own tries.
    path: String,
    /// Only requests (or pushes) of this app.
    #[arg(long = "app", value_name = "APPID")]
    appid: Option<String>,
    /// Only this HTTP method.
    #[arg(long)]
    method: Option<String>,
    /// Answer this WeChat error (e.g. -1, 45009, 40001).
    #[arg(long, allow_hyphen_values = true)]
    errcode: Option<i64>,
    /// Wait this many milliseconds, then answer for real.
    #[arg(long = "delay-ms", value_name = "MS")]
    delay_ms: Option<u64>,
    /// Answer this HTTP status (with --body).
    #[arg(long)]
    status: Option<u16>,
    /// The body of a --status answer.
    #[arg(long)]
    body: Option<String>,
    /// Close the connection without an answer.
    #[arg(long)]
    drop: bool,
    /// Apply this many times, then expire.
    #[arg(long)]
    times: Option<u32>,
    /// Apply to this share of matching requests (0 to 1).
    #[arg(long)]
    probability: Option<f64>,
    /// Seed of the probability draws.
    #[arg(long)]
    seed: Option<u64>,
    /// Let this many matching requests through first.
    #[arg(long)]
    after: Option<u32>,
}

impl From<FaultArgs> for FaultRule {
    fn from(a: FaultArgs) -> Self {
        FaultRule {
            path: a.path,
            appid: a.appid,
            method: a.method,
            errcode: a.errcode,
            delay_ms: a.delay_ms,
            status: a.status,
            body: a.body,
            drop: a.drop,
            times: a.times,
            probability: a.probability,
            seed: a.seed,
            after: a.after,
        }
    }
}

/// `kefu fault ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum FaultCmd {
    /// Add a rule: a path (or a prefix ending in *, or `push`) and one action.
    #[command(after_help = "Example:\n  kefu fault add /cgi-bin/message/custom/send --errcode 45047 --times 1")]
    Add(FaultArgs),
    /// The rules in force.
    #[command(after_help = "Example:\n  kefu fault list")]
    List,
    /// Remove one rule (by id), or all of them.
    #[command(after_help = "Example:\n  kefu fault clear")]
    Clear {
        /// The rule's id; every rule when absent.
        id: Option<u64>,
    },
}

/// `kefu journal`.
pub(crate) async fn journal(a: JournalArgs, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    let scope = remote.scope();
    let q = JournalQuery {
        appid: a.appid,
        path: a.path,
        errcode: a.errcode,
        since_id: None,
        limit: a.limit,
    };
    if a.follow {
        let mut feed = scope.check(ctl.follow_journal(&q).await)?;
        while let Some(entry) = scope.check(feed.next().await)? {
            show(&entry, a.json)?;
        }
        return Ok(());
    }
    let mut entries = scope.check(ctl.journal(&q).await)?;
    if a.json {
        return print(&entries);
    }
    // Oldest first on a terminal, as a log reads.
    entries.reverse();
    entries.iter().try_for_each(|e| show(e, false))
}

fn show(e: &JournalEntry, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(e)?);
        return Ok(());
    }
    println!("{}", line(e));
    Ok(())
}

/// `2026-12-04T16:00:00.123Z POST /customservice/kfsession/create 65401 1.2ms rid=...`.
fn line(e: &JournalEntry) -> String {
    let errcode = e
        .errcode
        .map_or_else(|| format!("HTTP {}", e.status), |c| c.to_string());
    let rid = e.rid.as_deref().map(|r| format!(" rid={r}")).unwrap_or_default();
    let fault = e.fault.map(|f| format!(" fault={f}")).unwrap_or_default();
    format!(
        "{} {} {} {} {:.1}ms{rid}{fault}",
        time(e.time_ms),
        e.method,
        e.path,
        errcode,
        e.latency_us as f64 / 1000.0
    )
}

/// Unix milliseconds as an RFC 3339 UTC time.
fn time(ms: i64) -> String {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `kefu fault ...`.
pub(crate) async fn fault(cmd: FaultCmd, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    let scope = remote.scope();
    match cmd {
        FaultCmd::Add(args) => scope.show(ctl.add_fault(&args.into()).await),
        FaultCmd::List => scope.show(ctl.faults().await),
        FaultCmd::Clear { id } => scope.check(ctl.remove_faults(id).await),
    }
}

/// `kefu compat [--app APPID]`.
pub(crate) async fn compat(appid: Option<&str>, remote: &Remote) -> anyhow::Result<()> {
    let scope = remote.scope();
    scope.show(remote.control().compat(appid).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc() {
        assert_eq!(time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(time(1_764_864_000_123), "2025-12-04T16:00:00.123Z");
        assert_eq!(time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
