//! Command-line parsing, and the client commands that drive a running kefu
//! through its control API (the invited user, the worker, the follower).

use crate::cli_conversation::{self as conversation, FanAt, FanCmd, WorkerCmd};
use crate::cli_platform::{self as platform, ComponentCmd};
use crate::cli_push::{self as push, CallbackCmd};
use crate::serve::{self, DbArgs, ServeArgs};
use clap::{Parser, Subcommand};
use kefu_api::control as c;
use kefu_client::{Client, ClientError, ControlClient};
use serde::Serialize;

/// A WeChat-compatible customer-service (kf) API server.
#[derive(Debug, Parser)]
#[command(name = "kefu", version)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

/// Where client commands find kefu.
#[derive(Debug, clap::Args)]
struct Remote {
    /// The kefu server's base URL.
    #[arg(long, global = true, env = "KEFU_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The server's admin token, if it has one.
    #[arg(long, global = true, env = "KEFU_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
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
    /// Get an access token for an app (as an SDK would).
    Token {
        /// The app.
        #[arg(long)]
        app: String,
        /// The app's secret.
        #[arg(long)]
        secret: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Debug, Subcommand)]
enum AppCmd {
    /// Create an app (certified Service Account unless told otherwise).
    Create {
        #[arg(long)]
        appid: Option<String>,
        #[arg(long)]
        secret: Option<String>,
        /// official_account, service_account, mini_program or mini_game.
        #[arg(long = "type")]
        account_type: Option<String>,
        /// Create it uncertified.
        #[arg(long)]
        uncertified: bool,
        /// The account's WeChat ID (kf account suffix).
        #[arg(long)]
        wechat_id: Option<String>,
    },
    /// List apps.
    List,
    /// Show an app's whole state.
    Show { appid: String },
    /// Change an app's settings.
    Set {
        appid: String,
        #[arg(long)]
        certified: Option<bool>,
        #[arg(long = "type")]
        account_type: Option<String>,
        #[arg(long)]
        kf_enabled: Option<bool>,
    },
    /// Set the addresses allowed to ask for tokens (none: anyone).
    Whitelist {
        appid: String,
        /// Addresses or CIDR ranges.
        ips: Vec<String>,
    },
    /// Set (or, with neither limit, remove) an endpoint's quota.
    Quota {
        appid: String,
        /// The endpoint's path, e.g. /customservice/kfsession/create.
        path: String,
        /// Calls a day.
        #[arg(long)]
        daily: Option<u32>,
        /// Calls a minute.
        #[arg(long)]
        per_minute: Option<u32>,
    },
}

pub(crate) fn print<T: Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

fn control(r: &Remote) -> ControlClient {
    ControlClient::new(&r.server, r.admin_token.as_deref())
}

pub(crate) fn err(e: ClientError) -> String {
    e.to_string()
}

/// Runs one command.
pub(crate) async fn run(args: Args) -> Result<(), String> {
    match args.command {
        Command::Serve(a) => serve::serve(a).await,
        Command::Migrate(db) => serve::migrate(&db),
        Command::App { action, remote } => app(action, &control(&remote)).await,
        Command::Follow { app, openid, remote } => {
            print(&control(&remote).follow(&app, openid.as_deref()).await.map_err(err)?)
        }
        Command::Invite {
            answer,
            app,
            kf_account,
            remote,
        } => print(
            &control(&remote)
                .answer_invitation(&app, &kf_account, answer == "accept")
                .await
                .map_err(err)?,
        ),
        Command::Fan { action, remote } => conversation::fan(action, &control(&remote)).await,
        Command::Waitcase { fan, kf, remote } => conversation::waitcase(fan, kf, &control(&remote)).await,
        Command::Worker { action, remote } => conversation::worker(action, &control(&remote)).await,
        Command::Component { action, remote } => platform::component(action, &control(&remote)).await,
        Command::Callback { action, remote } => push::callback(action, &control(&remote)).await,
        Command::Deliveries {
            appid,
            before,
            limit,
            remote,
        } => push::deliveries(&appid, before, limit, &control(&remote)).await,
        Command::WechatUser { wx, exists, remote } => {
            print(&control(&remote).set_wechat_user(&wx, exists).await.map_err(err)?)
        }
        Command::Clock { advance, remote } => {
            let ctl = control(&remote);
            print(
                &match advance {
                    Some(s) => ctl.advance_clock(s).await,
                    None => ctl.clock().await,
                }
                .map_err(err)?,
            )
        }
        Command::Reset { remote } => control(&remote).reset().await.map_err(err),
        Command::Token { app, secret, remote } => print(
            &Client::new(&remote.server, &app, &secret)
                .fetch_token()
                .await
                .map_err(err)?,
        ),
    }
}

async fn app(cmd: AppCmd, ctl: &ControlClient) -> Result<(), String> {
    match cmd {
        AppCmd::Create {
            appid,
            secret,
            account_type,
            uncertified,
            wechat_id,
        } => {
            let req = c::CreateApp {
                appid,
                secret,
                account_type,
                certified: Some(!uncertified),
                wechat_id,
            };
            print(&ctl.create_app(&req).await.map_err(err)?)
        }
        AppCmd::List => print(&ctl.list_apps().await.map_err(err)?),
        AppCmd::Whitelist { appid, ips } => platform::whitelist(&appid, ips, ctl).await,
        AppCmd::Quota {
            appid,
            path,
            daily,
            per_minute,
        } => platform::quota(&appid, path, daily, per_minute, ctl).await,
        AppCmd::Show { appid } => print(&ctl.app_state(&appid).await.map_err(err)?),
        AppCmd::Set {
            appid,
            certified,
            account_type,
            kf_enabled,
        } => print(
            &ctl.patch_app(
                &appid,
                &c::PatchApp {
                    certified,
                    account_type,
                    kf_enabled,
                    ..c::PatchApp::default()
                },
            )
            .await
            .map_err(err)?,
        ),
    }
}
