//! Where client commands find kefu: the `--server` and `--admin-token`
//! options every client command takes, and the control client and error
//! [`Scope`] built from them. A leaf next to `output`, so the command
//! families need nothing from the dispatch in `cli`.

use super::output::Scope;
use crate::secret::Secret;
use kefu_client::ControlClient;

/// Where client commands find kefu.
#[derive(Debug, clap::Args)]
pub(crate) struct Remote {
    /// The kefu server's base URL.
    #[arg(long, global = true, env = "KEFU_SERVER", default_value = "http://127.0.0.1:8080")]
    pub(crate) server: String,
    /// The server's admin token, if it has one.
    #[arg(long, global = true, env = "KEFU_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<Secret>,
}

impl Remote {
    /// A client for the server's control API.
    pub(crate) fn control(&self) -> ControlClient {
        ControlClient::new(&self.server, self.admin_token.as_ref().map(Secret::expose))
    }

    /// The scope of a command against this server, for its errors.
    pub(crate) fn scope(&self) -> Scope<'_> {
        Scope::new(&self.server)
    }
}
