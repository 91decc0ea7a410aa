//! Pushes on the command line: point an app's pushes at the developer's
//! server (after WeChat's URL handshake), show or remove those settings,
//! and read the delivery log.

use super::remote::Remote;
use clap::Subcommand;
use kefu_api::control_push as cp;

/// `kefu callback ...`: an app's push settings.
#[derive(Debug, Subcommand)]
pub(crate) enum CallbackCmd {
    /// Save the app's push settings; the URL must pass the verification handshake (echo `echostr`).
    #[command(
        after_help = "Example:\n  kefu callback set --app wx0123456789abcdef --url http://127.0.0.1:9000/wx --token myToken"
    )]
    Set {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
        /// The developer's server (`http://` or `https://`).
        #[arg(long)]
        url: String,
        /// The Token both sides sign with (3-32 letters or digits).
        #[arg(long)]
        token: String,
        /// The EncodingAESKey (43 letters or digits); needed unless plaintext.
        #[arg(long = "aes-key", value_name = "KEY")]
        aes_key: Option<String>,
        /// How pushes are sent (default plaintext).
        #[arg(long, value_parser = ["plaintext", "compatible", "safe"])]
        mode: Option<String>,
        /// The body format (default xml; json for Mini Programs and MiniGames).
        #[arg(long, value_parser = ["xml", "json"])]
        format: Option<String>,
    },
    /// Show the app's push settings and how many pushes wait for delivery.
    #[command(after_help = "Example:\n  kefu callback show --app wx0123456789abcdef")]
    Show {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
    },
    /// Stop pushing; pushes not yet delivered are dropped.
    #[command(after_help = "Example:\n  kefu callback remove --app wx0123456789abcdef")]
    Remove {
        /// The app.
        #[arg(long = "app", env = "KEFU_APP", value_name = "APPID")]
        appid: String,
    },
}

/// `kefu callback ...`.
pub(crate) async fn callback(cmd: CallbackCmd, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    match cmd {
        CallbackCmd::Set {
            appid,
            url,
            token,
            aes_key,
            mode,
            format,
        } => {
            let settings = cp::CallbackSettings {
                url,
                token,
                encoding_aes_key: aes_key,
                mode,
                format,
            };
            remote
                .scope()
                .app(&appid)
                .show(ctl.set_callback(&appid, &settings).await)
        }
        CallbackCmd::Show { appid } => remote.scope().app(&appid).show(ctl.callback(&appid).await),
        CallbackCmd::Remove { appid } => remote.scope().app(&appid).check(ctl.remove_callback(&appid).await),
    }
}

/// `kefu deliveries --app APPID [--before ID] [--limit N]`.
pub(crate) async fn deliveries(
    appid: &str,
    before: Option<i64>,
    limit: Option<u32>,
    remote: &Remote,
) -> anyhow::Result<()> {
    let log = remote.control().deliveries(appid, before, limit).await;
    remote.scope().app(appid).show(log)
}
