//! Third-party platforms and app access rules on the command line: create a
//! component, push its ticket, play the merchant who authorizes or revokes
//! it, and set an app's IP whitelist and quotas.

use crate::cli::{err, print};
use clap::Subcommand;
use kefu_api::control as c;
use kefu_api::platform as p;
use kefu_client::ControlClient;
use std::collections::BTreeMap;

#[derive(Debug, Subcommand)]
pub(crate) enum ComponentCmd {
    /// Create a third-party platform.
    Create {
        /// Its appid (generated when absent).
        #[arg(long)]
        appid: Option<String>,
        /// Its secret (generated when absent).
        #[arg(long)]
        secret: Option<String>,
        /// An address or CIDR range allowed to ask for component tokens (repeatable).
        #[arg(long = "ip")]
        ips: Vec<String>,
    },
    /// Show a component and the apps that authorized it.
    Show {
        /// The component's appid.
        component: String,
    },
    /// Push a new component_verify_ticket.
    Ticket {
        /// The component's appid.
        component: String,
    },
    /// The merchant authorizes the component with permission sets.
    Authorize {
        /// The component's appid.
        component: String,
        /// The merchant's app.
        #[arg(long)]
        app: String,
        /// Permission-set ids, comma-separated (e.g. 1,6,19).
        #[arg(long, value_delimiter = ',')]
        sets: Vec<i64>,
    },
    /// The merchant revokes the component's authorization.
    Revoke {
        /// The component's appid.
        component: String,
        /// The merchant's app.
        #[arg(long)]
        app: String,
    },
}

/// `kefu component ...`.
pub(crate) async fn component(cmd: ComponentCmd, ctl: &ControlClient) -> Result<(), String> {
    match cmd {
        ComponentCmd::Create { appid, secret, ips } => {
            let req = p::CreateComponent {
                component_appid: appid,
                component_appsecret: secret,
                ip_whitelist: Some(ips),
            };
            print(&ctl.create_component(&req).await.map_err(err)?)
        }
        ComponentCmd::Show { component } => print(&ctl.component(&component).await.map_err(err)?),
        ComponentCmd::Ticket { component } => print(&ctl.push_ticket(&component).await.map_err(err)?),
        ComponentCmd::Authorize { component, app, sets } => {
            print(&ctl.authorize(&component, &app, &sets).await.map_err(err)?)
        }
        ComponentCmd::Revoke { component, app } => ctl.revoke(&component, &app).await.map_err(err),
    }
}

/// `kefu app whitelist APPID [IP...]`: no address clears the whitelist.
pub(crate) async fn whitelist(appid: &str, ips: Vec<String>, ctl: &ControlClient) -> Result<(), String> {
    let req = c::PatchApp {
        ip_whitelist: Some(ips),
        ..c::PatchApp::default()
    };
    print(&ctl.patch_app(appid, &req).await.map_err(err)?)
}

/// `kefu app quota APPID PATH [--daily N] [--per-minute M]`: neither limit
/// removes the path's quota.
pub(crate) async fn quota(
    appid: &str,
    path: String,
    daily: Option<u32>,
    per_minute: Option<u32>,
    ctl: &ControlClient,
) -> Result<(), String> {
    let quota = (daily.is_some() || per_minute.is_some()).then_some(c::Quota { daily, per_minute });
    let req = c::PatchApp {
        quotas: Some(BTreeMap::from([(path, quota)])),
        ..c::PatchApp::default()
    };
    print(&ctl.patch_app(appid, &req).await.map_err(err)?)
}
