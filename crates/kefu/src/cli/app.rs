//! Apps on the command line: create, list, show and change them, and set
//! who may ask for their tokens (the IP whitelist) and how often their
//! endpoints may be called (quotas).

use super::remote::Remote;
use crate::secret::Secret;
use clap::Subcommand;
use kefu_api::control as c;
use std::collections::BTreeMap;

#[derive(Debug, Subcommand)]
pub(crate) enum AppCmd {
    /// Create an app (certified Service Account unless told otherwise).
    #[command(after_help = "Example:\n  kefu app create --type official_account --uncertified")]
    Create {
        #[arg(long)]
        appid: Option<String>,
        #[arg(long)]
        secret: Option<Secret>,
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
    #[command(after_help = "Example:\n  kefu app list")]
    List,
    /// Show an app's whole state.
    #[command(after_help = "Example:\n  kefu app show --app wx0123456789abcdef")]
    Show {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
    },
    /// Change an app's settings.
    #[command(after_help = "Example:\n  kefu app set --app wx0123456789abcdef --certified false")]
    Set {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
        #[arg(long)]
        certified: Option<bool>,
        #[arg(long = "type")]
        account_type: Option<String>,
        #[arg(long)]
        kf_enabled: Option<bool>,
    },
    /// Set the addresses allowed to ask for tokens (none: anyone).
    #[command(after_help = "Example:\n  kefu app whitelist --app wx0123456789abcdef 127.0.0.1 10.0.0.0/8")]
    Whitelist {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
        /// Addresses or CIDR ranges.
        ips: Vec<String>,
    },
    /// Set (or, with neither limit, remove) an endpoint's quota.
    #[command(
        after_help = "Example:\n  kefu app quota --app wx0123456789abcdef /customservice/kfsession/create --daily 1000"
    )]
    Quota {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
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

/// `kefu app ...`.
pub(crate) async fn app(cmd: AppCmd, remote: &Remote) -> anyhow::Result<()> {
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
                secret: secret.map(|s| s.expose().to_owned()),
                account_type,
                certified: Some(!uncertified),
                wechat_id,
            };
            create(req, remote).await
        }
        AppCmd::List => remote.scope().show(remote.control().list_apps().await),
        AppCmd::Show { appid } => remote
            .scope()
            .app(&appid)
            .show(remote.control().app_state(&appid).await),
        AppCmd::Set {
            appid,
            certified,
            account_type,
            kf_enabled,
        } => {
            let req = c::PatchApp {
                certified,
                account_type,
                kf_enabled,
                ..c::PatchApp::default()
            };
            patch(&appid, &req, remote).await
        }
        AppCmd::Whitelist { appid, ips } => whitelist(&appid, ips, remote).await,
        AppCmd::Quota {
            appid,
            path,
            daily,
            per_minute,
        } => quota(&appid, path, daily, per_minute, remote).await,
    }
}

/// `kefu app create`: the app is named in errors when the caller chose its appid.
async fn create(req: c::CreateApp, remote: &Remote) -> anyhow::Result<()> {
    let created = remote.control().create_app(&req).await;
    match &req.appid {
        Some(appid) => remote.scope().app(appid).show(created),
        None => remote.scope().show(created),
    }
}

/// Changes an app's settings and prints the app.
async fn patch(appid: &str, req: &c::PatchApp, remote: &Remote) -> anyhow::Result<()> {
    remote
        .scope()
        .app(appid)
        .show(remote.control().patch_app(appid, req).await)
}

/// `kefu app whitelist --app APPID [IP...]`: no address clears the whitelist.
async fn whitelist(appid: &str, ips: Vec<String>, remote: &Remote) -> anyhow::Result<()> {
    let req = c::PatchApp {
        ip_whitelist: Some(ips),
        ..c::PatchApp::default()
    };
    patch(appid, &req, remote).await
}

/// `kefu app quota --app APPID PATH [--daily N] [--per-minute M]`: neither limit
/// removes the path's quota.
async fn quota(
    appid: &str,
    path: String,
    daily: Option<u32>,
    per_minute: Option<u32>,
    remote: &Remote,
) -> anyhow::Result<()> {
    let quota = (daily.is_some() || per_minute.is_some()).then_some(c::Quota { daily, per_minute });
    let req = c::PatchApp {
        quotas: Some(BTreeMap::from([(path, quota)])),
        ..c::PatchApp::default()
    };
    patch(appid, &req, remote).await
}
