//! The `kefu` command line: its parsing, and the dispatch of each command
//! to the module of its family. The families (`app`, `conversation`,
//! `platform`, `push`, `harness`) share only the leaves `output` and
//! `remote`, so no module imports the one that imports it.

mod app;
mod conversation;
mod harness;
mod listen;
mod output;
mod platform;
mod push;
mod remote;
mod snapshot;
mod traffic;

use crate::https::{self, CaArgs};
use crate::secret::Secret;
use crate::serve::{self, DbArgs, ServeArgs};
use app::AppCmd;
use clap::{Parser, Subcommand};
use conversation::{FanAt, FanCmd, WorkerCmd};
use platform::ComponentCmd;
use push::CallbackCmd;
use remote::Remote;
use snapshot::SnapshotCmd;
use traffic::{FaultCmd, JournalArgs};

/// A WeChat-compatible customer-service (kf) API server.
#[derive(Debug, Parser)]
#[command(name = "kefu", version)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written to stderr: `text`, or `json` (one object a line).
    #[arg(long, global = true, env = "KEFU_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

impl Args {
    /// Whether log lines are JSON objects.
    pub(crate) fn json_logs(&self) -> bool {
        self.log_format == "json"
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Print the path of kefu's CA certificate (made when missing), or with --pem the certificate.
    Ca {
        /// Print the certificate (PEM) instead of its path.
        #[arg(long)]
        pem: bool,
        #[command(flatten)]
        ca: CaArgs,
    },
    /// Apps: create, list, show, set.
    App {
        #[command(subcommand)]
        action: AppCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// A WeChat user follows an app.
    Follow {
        /// The app.
        #[arg(long)]
        app: String,
        /// The follower's openid (generated when absent).
        #[arg(long)]
        openid: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// The invited WeChat user answers an invitation.
    Invite {
        /// `accept` or `reject`.
        #[arg(value_parser = ["accept", "reject"])]
        answer: String,
        /// The app.
        #[arg(long)]
        app: String,
        /// The kf account (`prefix@wechat_id`).
        kf_account: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// What a follower does: write, follow again or unfollow, scan, click; and what they received.
    Fan {
        #[command(subcommand)]
        action: FanCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// A follower waits for customer service (for one kf account, if named).
    Waitcase {
        #[command(flatten)]
        fan: FanAt,
        /// The kf account the follower is handed to.
        #[arg(long, value_name = "ACCOUNT")]
        kf: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// The bound worker in the kf client: log in or out, accept, reply, transfer, close.
    Worker {
        #[command(subcommand)]
        action: WorkerCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// Third-party platforms: create, show, push a ticket, authorize, revoke.
    Component {
        #[command(subcommand)]
        action: ComponentCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// Pushes to the developer's server: set, show, remove.
    Callback {
        #[command(subcommand)]
        action: CallbackCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// Receive an app's pushes here: a local server that checks, opens, prints and answers each.
    #[command(after_help = listen::EXAMPLE)]
    Listen {
        #[command(flatten)]
        args: listen::ListenArgs,
        #[command(flatten)]
        remote: Remote,
    },
    /// An app's delivery log, newest first.
    Deliveries {
        /// The app.
        appid: String,
        /// Only entries older than this entry id.
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
        /// At most this many entries (default 100).
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        #[command(flatten)]
        remote: Remote,
    },
    /// The requests the WeChat-side API answered, oldest first (one line each).
    Journal {
        #[command(flatten)]
        args: JournalArgs,
        #[command(flatten)]
        remote: Remote,
    },
    /// Fault rules that make WeChat fail on purpose: add, list, clear.
    Fault {
        #[command(subcommand)]
        action: FaultCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// What real WeChat would have answered differently, by rule.
    Compat {
        /// Only requests of this app.
        #[arg(long = "app", value_name = "APPID")]
        appid: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Mark a WeChat ID as non-existent (`inviteworker` then answers 65409), or existing again.
    WechatUser {
        /// The WeChat ID.
        wx: String,
        /// Whether it exists.
        #[arg(long, action = clap::ArgAction::Set, default_value_t = false)]
        exists: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show the virtual clock, or move it forward by SECONDS.
    Clock {
        /// Seconds to advance.
        advance: Option<i64>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Wipe all state.
    Reset {
        #[command(flatten)]
        remote: Remote,
    },
    /// Print the whole state as one JSON document (or write it to FILE).
    Export {
        /// Write the document here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Replace the whole state with a document's (`-` reads stdin); all or nothing.
    Import {
        /// The document, as `kefu export` wrote it.
        file: std::path::PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Save, restore, list or delete named snapshots of the whole state.
    Snapshot {
        #[command(subcommand)]
        action: SnapshotCmd,
        #[command(flatten)]
        remote: Remote,
    },
    /// Get an access token for an app (as an SDK would).
    Token {
        /// The app.
        #[arg(long)]
        app: String,
        /// The app's secret.
        #[arg(long)]
        secret: Secret,
        #[command(flatten)]
        remote: Remote,
    },
}

/// Runs one command.
pub(crate) async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Serve(a) => serve::serve(a).await,
        Command::Migrate(db) => serve::migrate(&db),
        Command::Ca { pem, ca } => https::ca(&ca, pem),
        Command::App { action, remote } => app::app(action, &remote).await,
        Command::Follow { app, openid, remote } => conversation::follow(&app, openid.as_deref(), &remote).await,
        Command::Invite {
            answer,
            app,
            kf_account,
            remote,
        } => conversation::invite(&app, &kf_account, answer == "accept", &remote).await,
        Command::Fan { action, remote } => conversation::fan(action, &remote).await,
        Command::Waitcase { fan, kf, remote } => conversation::waitcase(fan, kf, &remote).await,
        Command::Worker { action, remote } => conversation::worker(action, &remote).await,
        Command::Component { action, remote } => platform::component(action, &remote).await,
        Command::Callback { action, remote } => push::callback(action, &remote).await,
        Command::Listen { args, remote } => listen::listen(args, &remote).await,
        Command::Deliveries {
            appid,
            before,
            limit,
            remote,
        } => push::deliveries(&appid, before, limit, &remote).await,
        Command::Journal { args, remote } => traffic::journal(args, &remote).await,
        Command::Fault { action, remote } => traffic::fault(action, &remote).await,
        Command::Compat { appid, remote } => traffic::compat(appid.as_deref(), &remote).await,
        Command::WechatUser { wx, exists, remote } => harness::wechat_user(&wx, exists, &remote).await,
        Command::Clock { advance, remote } => harness::clock(advance, &remote).await,
        Command::Reset { remote } => harness::reset(&remote).await,
        Command::Export { output, remote } => snapshot::export(output.as_deref(), &remote).await,
        Command::Import { file, remote } => snapshot::import(&file, &remote).await,
        Command::Snapshot { action, remote } => snapshot::snapshot(action, &remote).await,
        Command::Token { app, secret, remote } => harness::token(&app, secret.expose(), &remote).await,
    }
}
