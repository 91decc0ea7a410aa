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
    /// Where client commands find kefu (before or after the command).
    #[command(flatten)]
    remote: Remote,
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
    #[command(after_help = "Example:\n  kefu serve --listen 127.0.0.1:8080 --database sqlite://kefu-data/kefu.db")]
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    #[command(after_help = "Example:\n  kefu migrate --database postgres://postgres@127.0.0.1:5432/test")]
    Migrate(DbArgs),
    /// Print the path of kefu's CA certificate (made when missing), or with --pem the certificate.
    #[command(after_help = "Example:\n  kefu ca --pem > kefu-ca.pem")]
    Ca {
        /// Print the certificate (PEM) instead of its path.
        #[arg(long)]
        pem: bool,
        #[command(flatten)]
        ca: CaArgs,
    },
    /// Apps: create, list, show, set.
    #[command(after_help = "Example:\n  kefu app show --app wx0123456789abcdef")]
    App {
        #[command(subcommand)]
        action: AppCmd,
    },
    /// A WeChat user follows an app.
    #[command(after_help = "Example:\n  kefu follow --app wx0123456789abcdef --openid o_alice")]
    Follow {
        /// The app.
        #[arg(long, env = "KEFU_APP", value_name = "APPID")]
        app: String,
        /// The follower's openid (generated when absent).
        #[arg(long)]
        openid: Option<String>,
    },
    /// The invited WeChat user answers an invitation.
    #[command(after_help = "Example:\n  kefu invite accept --app wx0123456789abcdef kf1@kefu_demo")]
    Invite {
        /// `accept` or `reject`.
        #[arg(value_parser = ["accept", "reject"])]
        answer: String,
        /// The app.
        #[arg(long, env = "KEFU_APP", value_name = "APPID")]
        app: String,
        /// The kf account (`prefix@wechat_id`).
        kf_account: String,
    },
    /// What a follower does: write, follow again or unfollow, scan, click; and what they received.
    #[command(after_help = "Example:\n  kefu fan event --app wx0123456789abcdef o_alice CLICK --key MENU_HELP")]
    Fan {
        #[command(subcommand)]
        action: FanCmd,
    },
    /// A follower waits for customer service (for one kf account, if named).
    #[command(after_help = "Example:\n  kefu waitcase --app wx0123456789abcdef o_alice --kf kf1@kefu_demo")]
    Waitcase {
        #[command(flatten)]
        fan: FanAt,
        /// The kf account the follower is handed to.
        #[arg(long, value_name = "ACCOUNT")]
        kf: Option<String>,
    },
    /// The bound worker in the kf client: log in or out, accept, reply, transfer, close.
    #[command(after_help = "Example:\n  kefu worker accept --app wx0123456789abcdef kf1@kefu_demo")]
    Worker {
        #[command(subcommand)]
        action: WorkerCmd,
    },
    /// Third-party platforms: create, show, push a ticket, authorize, revoke.
    #[command(
        after_help = "Example:\n  kefu component authorize wxcomponent000001 --app wx0123456789abcdef --sets 1,6"
    )]
    Component {
        #[command(subcommand)]
        action: ComponentCmd,
    },
    /// Pushes to the developer's server: set, show, remove.
    #[command(after_help = "Example:\n  kefu callback show --app wx0123456789abcdef")]
    Callback {
        #[command(subcommand)]
        action: CallbackCmd,
    },
    /// Receive an app's pushes here: a local server that checks, opens, prints and answers each.
    #[command(after_help = listen::EXAMPLE)]
    Listen {
        #[command(flatten)]
        args: listen::ListenArgs,
    },
    /// An app's delivery log, newest first.
    #[command(after_help = "Example:\n  kefu deliveries --app wx0123456789abcdef --limit 10")]
    Deliveries {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
        /// Only entries older than this entry id.
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
        /// At most this many entries (default 100).
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
    },
    /// The requests the WeChat-side API answered, oldest first (one line each).
    #[command(after_help = "Example:\n  kefu journal --app wx0123456789abcdef --follow")]
    Journal {
        #[command(flatten)]
        args: JournalArgs,
    },
    /// Fault rules that make WeChat fail on purpose: add, list, clear.
    #[command(after_help = "Example:\n  kefu fault list")]
    Fault {
        #[command(subcommand)]
        action: FaultCmd,
    },
    /// What real WeChat would have answered differently, by rule.
    #[command(after_help = "Example:\n  kefu compat --app wx0123456789abcdef")]
    Compat {
        /// Only requests of this app.
        #[arg(long = "app", value_name = "APPID")]
        appid: Option<String>,
    },
    /// Mark a WeChat ID as non-existent (`inviteworker` then answers 65409), or existing again.
    #[command(after_help = "Example:\n  kefu wechat-user ghost_user --exists false")]
    WechatUser {
        /// The WeChat ID.
        wx: String,
        /// `false` makes `inviteworker` answer 65409 for it; `true` makes it exist again.
        #[arg(long, action = clap::ArgAction::Set, required = true)]
        exists: bool,
    },
    /// Show the virtual clock, or move it forward by SECONDS.
    #[command(after_help = "Example:\n  kefu clock 3600")]
    Clock {
        /// Seconds to advance.
        advance: Option<i64>,
    },
    /// Wipe all state.
    #[command(after_help = "Example:\n  kefu reset")]
    Reset,
    /// Print the whole state as one JSON document (or write it to FILE).
    #[command(after_help = "Example:\n  kefu export -o state.json")]
    Export {
        /// Write the document here instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Replace the whole state with a document's (`-` reads stdin); all or nothing.
    #[command(after_help = "Example:\n  kefu import state.json")]
    Import {
        /// The document, as `kefu export` wrote it.
        file: std::path::PathBuf,
    },
    /// Save, restore, list or delete named snapshots of the whole state.
    #[command(after_help = "Example:\n  kefu snapshot save clean && kefu snapshot restore clean")]
    Snapshot {
        #[command(subcommand)]
        action: SnapshotCmd,
    },
    /// Get an access token for an app (as an SDK would).
    #[command(
        after_help = "Example:\n  kefu token --app wx0123456789abcdef --secret 0123456789abcdef0123456789abcdef"
    )]
    Token {
        /// The app.
        #[arg(long, env = "KEFU_APP", value_name = "APPID")]
        app: String,
        /// The app's secret.
        #[arg(long)]
        secret: Secret,
    },
}

/// Runs one command.
pub(crate) async fn run(args: Args) -> anyhow::Result<()> {
    let remote = args.remote;
    match args.command {
        Command::Serve(a) => serve::serve(a).await,
        Command::Migrate(db) => serve::migrate(&db),
        Command::Ca { pem, ca } => https::ca(&ca, pem),
        Command::App { action } => app::app(action, &remote).await,
        Command::Follow { app, openid } => conversation::follow(&app, openid.as_deref(), &remote).await,
        Command::Invite {
            answer,
            app,
            kf_account,
        } => conversation::invite(&app, &kf_account, answer == "accept", &remote).await,
        Command::Fan { action } => conversation::fan(action, &remote).await,
        Command::Waitcase { fan, kf } => conversation::waitcase(fan, kf, &remote).await,
        Command::Worker { action } => conversation::worker(action, &remote).await,
        Command::Component { action } => platform::component(action, &remote).await,
        Command::Callback { action } => push::callback(action, &remote).await,
        Command::Listen { args } => listen::listen(args, &remote).await,
        Command::Deliveries { appid, before, limit } => push::deliveries(&appid, before, limit, &remote).await,
        Command::Journal { args } => traffic::journal(args, &remote).await,
        Command::Fault { action } => traffic::fault(action, &remote).await,
        Command::Compat { appid } => traffic::compat(appid.as_deref(), &remote).await,
        Command::WechatUser { wx, exists } => harness::wechat_user(&wx, exists, &remote).await,
        Command::Clock { advance } => harness::clock(advance, &remote).await,
        Command::Reset => harness::reset(&remote).await,
        Command::Export { output } => snapshot::export(output.as_deref(), &remote).await,
        Command::Import { file } => snapshot::import(&file, &remote).await,
        Command::Snapshot { action } => snapshot::snapshot(action, &remote).await,
        Command::Token { app, secret } => harness::token(&app, secret.expose(), &remote).await,
    }
}
