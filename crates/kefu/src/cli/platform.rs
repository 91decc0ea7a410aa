//! Third-party platforms on the command line: create a component, push its
//! ticket, and play the merchant who authorizes or revokes it.

use super::remote::Remote;
use crate::secret::Secret;
use clap::Subcommand;
use kefu_api::platform as p;

#[derive(Debug, Subcommand)]
pub(crate) enum ComponentCmd {
    /// Create a third-party platform.
    #[command(after_help = "Example:\n  kefu component create")]
    Create {
        /// Its appid (generated when absent).
        #[arg(long)]
        appid: Option<String>,
        /// Its secret (generated when absent).
        #[arg(long)]
        secret: Option<Secret>,
        /// An address or CIDR range allowed to ask for component tokens (repeatable).
        #[arg(long = "ip")]
        ips: Vec<String>,
    },
    /// Show a component and the apps that authorized it.
    #[command(after_help = "Example:\n  kefu component show wxcomponent000001")]
    Show {
        /// The component's appid.
        component: String,
    },
    /// Push a new component_verify_ticket.
    #[command(after_help = "Example:\n  kefu component ticket wxcomponent000001")]
    Ticket {
        /// The component's appid.
        component: String,
    },
    /// The merchant authorizes the component with permission sets.
    #[command(
        after_help = "Example:\n  kefu component authorize wxcomponent000001 --app wx0123456789abcdef --sets 1,6"
    )]
    Authorize {
        /// The component's appid.
        component: String,
        /// The merchant's app.
        #[arg(long, env = "KEFU_APP", value_name = "APPID")]
        app: String,
        /// Permission-set ids, comma-separated (e.g. 1,6,19).
        #[arg(long, value_delimiter = ',')]
        sets: Vec<i64>,
    },
    /// The merchant revokes the component's authorization.
    #[command(after_help = "Example:\n  kefu component revoke wxcomponent000001 --app wx0123456789abcdef")]
    Revoke {
        /// The component's appid.
        component: String,
        /// The merchant's app.
        #[arg(long, env = "KEFU_APP", value_name = "APPID")]
        app: String,
    },
}

/// `kefu component ...`.
pub(crate) async fn component(cmd: ComponentCmd, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    match cmd {
        ComponentCmd::Create { appid, secret, ips } => {
            let req = p::CreateComponent {
                component_appid: appid,
                component_appsecret: secret.map(|s| s.expose().to_owned()),
                ip_whitelist: Some(ips),
            };
            let created = ctl.create_component(&req).await;
            match &req.component_appid {
                Some(appid) => remote.scope().component(appid).show(created),
                None => remote.scope().show(created),
            }
        }
        ComponentCmd::Show { component } => remote
            .scope()
            .component(&component)
            .show(ctl.component(&component).await),
        ComponentCmd::Ticket { component } => remote
            .scope()
            .component(&component)
            .show(ctl.push_ticket(&component).await),
        ComponentCmd::Authorize { component, app, sets } => {
            let scope = remote.scope().component(&component).app(&app);
            scope.show(ctl.authorize(&component, &app, &sets).await)
        }
        ComponentCmd::Revoke { component, app } => {
            let scope = remote.scope().component(&component).app(&app);
            scope.check(ctl.revoke(&component, &app).await)
        }
    }
}
