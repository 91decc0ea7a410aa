//! `kefu listen`: a developer's receiver built into the CLI. It listens on
//! a loopback port, points an app's pushes at itself through the control
//! API (which runs WeChat's URL handshake against it), then checks, opens,
//! prints and answers every push until Ctrl-C, so a developer sees exactly
//! what their server will get before writing one.
//!
//! Status lines go to stderr; stdout holds one line (or JSON object) per
//! push, so it can be piped.

mod check;
mod forward;
mod receiver;
mod reply;
mod show;

use super::remote::Remote;
use anyhow::Context;
use check::Keys;
use kefu_api::callback::AesKey;
use kefu_api::control_push::CallbackSettings;
use kefu_client::{ClientError, ControlClient};
use rand::distr::{Alphanumeric, SampleString};
use receiver::Receiver;
use reply::Reply;
use std::time::Duration;
use tokio::sync::oneshot;

/// `kefu listen --help`'s example.
pub(crate) const EXAMPLE: &str = "Example:
  kefu listen --app wx1234567890abcdef --port 9000 --reply text:'got it'

  listening on http://127.0.0.1:9000/wx for wx1234567890abcdef (safe mode); Ctrl-C to stop
  08:15:02  text  from o6_bmjrPTlm6_2sgVt7hMZOPfL2M  Content=\"hello\"  MsgId=\"5\"  -> text \"got it\"

  Pass pushes on to your own server (same query and body; it answers kefu):
  kefu listen --app wx1234567890abcdef --token Tok3n --aes-key KEY43 --forward http://127.0.0.1:3000/wechat";

/// `kefu listen`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ListenArgs {
    /// The app whose pushes are received.
    #[arg(long, env = "KEFU_APP", value_name = "APPID")]
    app: String,
    /// The loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// How pushes are sent: plaintext, compatible (clear and encrypted) or safe (encrypted).
    #[arg(long, default_value = "safe", value_parser = ["plaintext", "compatible", "safe"])]
    mode: String,
    /// The body format; by default the one the app's settings have (xml when none).
    #[arg(long, value_parser = ["xml", "json"])]
    format: Option<String>,
    /// How a follower's message is answered: success, transfer (to customer service) or text:WORDS.
    #[arg(long, default_value = "success", value_parser = reply::parse)]
    reply: Reply,
    /// Print one JSON object per push instead of a line.
    #[arg(long)]
    json: bool,
    /// Also pass each push on to this URL and answer kefu with its answer.
    #[arg(long, value_name = "URL")]
    forward: Option<String>,
    /// The Token (3-32 letters or digits; generated when absent).
    #[arg(long)]
    token: Option<String>,
    /// The EncodingAESKey (43 letters or digits; generated when absent, unless plaintext).
    #[arg(long = "aes-key", value_name = "KEY")]
    aes_key: Option<String>,
    /// Remove the app's push settings on exit (by default they are left pointing here).
    #[arg(long)]
    remove_on_exit: bool,
}

/// How long in-flight pushes may take to be answered after a signal.
const DRAIN: Duration = Duration::from_secs(5);

/// The Token and EncodingAESKey the receiver signs and opens with.
struct Secrets {
    token: String,
    aes_key: Option<String>,
    key: Option<AesKey>,
}

/// The given Token and key, or new ones (no key in plaintext mode).
fn secrets(args: &ListenArgs) -> anyhow::Result<Secrets> {
    let token = args.token.clone().unwrap_or_else(|| random(16));
    let aes_key = match (&args.aes_key, args.mode == "plaintext") {
        (Some(k), _) => Some(k.clone()),
        (None, true) => None,
        (None, false) => Some(random(43)),
    };
    let key = aes_key.as_deref().map(AesKey::parse).transpose().context("--aes-key")?;
    Ok(Secrets { token, aes_key, key })
}

/// `kefu listen ...`.
pub(crate) async fn listen(args: ListenArgs, remote: &Remote) -> anyhow::Result<()> {
    let secrets = secrets(&args)?;
    let ctl = remote.control();
    let format = match &args.format {
        Some(f) => Some(f.clone()),
        None => saved_format(&ctl, &args.app)
            .await
            .map_err(|e| named(remote, &args.app, e))?,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    let url = format!("http://{}{}", listener.local_addr()?, receiver::PATH);
    let settings = CallbackSettings {
        url: url.clone(),
        token: secrets.token.clone(),
        encoding_aes_key: secrets.aes_key.clone(),
        mode: Some(args.mode.clone()),
        format,
    };
    let (stop, server) = serve(listener, &args, secrets);
    // The control API runs the URL handshake against the receiver, so it
    // is already serving.
    let saved = ctl.set_callback(&args.app, &settings).await;
    if let Err(e) = saved {
        let _ = stop.send(());
        return Err(named(remote, &args.app, e));
    }
    announce(&args, &settings);
    crate::signals::stop_requested().await;
    let _ = stop.send(());
    // In-flight pushes are answered; a stuck one is not waited for long.
    let _ = tokio::time::timeout(DRAIN, server).await;
    finish(&args, &ctl, remote).await
}

/// Serves the receiver on `listener` until `stop` is sent.
fn serve(
    listener: tokio::net::TcpListener,
    args: &ListenArgs,
    secrets: Secrets,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let router = receiver::router(Receiver {
        keys: Keys {
            token: secrets.token,
            key: secrets.key,
            appid: args.app.clone(),
            encrypted: args.mode != "plaintext",
        },
        reply: args.reply.clone(),
        json: args.json,
        forward: args.forward.clone().map(|u| (reqwest::Client::new(), u)),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        // `axum::serve` only returns once shut down.
        let _ = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
    });
    (stop, server)
}

/// The status lines once pushes come here.
fn announce(args: &ListenArgs, settings: &CallbackSettings) {
    eprintln!(
        "listening on {} for {} ({} mode); Ctrl-C to stop",
        settings.url, args.app, args.mode
    );
    let key = settings
        .encoding_aes_key
        .as_ref()
        .map(|k| format!(" EncodingAESKey={k}"))
        .unwrap_or_default();
    eprintln!("Token={}{key}", settings.token);
    if let Some(target) = &args.forward {
        eprintln!("forwarding every push to {target}");
    }
}

/// After a signal: removes the settings when asked, and says where the
/// app's pushes now go.
async fn finish(args: &ListenArgs, ctl: &ControlClient, remote: &Remote) -> anyhow::Result<()> {
    if args.remove_on_exit {
        let removed = ctl.remove_callback(&args.app).await;
        removed.map_err(|e| named(remote, &args.app, e))?;
        eprintln!("stopped; removed the push settings of {}", args.app);
    } else {
        eprintln!(
            "stopped; {} still pushes here (`kefu callback remove --app {}` stops it)",
            args.app, args.app
        );
    }
    Ok(())
}

/// The format of the app's current push settings when it is json (kept so
/// a Mini Program's pushes stay JSON); `None` otherwise.
async fn saved_format(ctl: &ControlClient, appid: &str) -> Result<Option<String>, ClientError> {
    match ctl.callback(appid).await {
        Ok(state) => Ok(state.settings.format.filter(|f| f == "json")),
        Err(ClientError::Control { status: 404, error, .. }) if error == "callback_not_found" => Ok(None),
        Err(e) => Err(e),
    }
}

/// A failed call, named after the app (a refusal in the server's words too).
fn named(remote: &Remote, appid: &str, e: ClientError) -> anyhow::Error {
    if matches!(e, ClientError::Control { .. }) {
        return anyhow::Error::new(e).context(format!("app {appid}"));
    }
    match remote.scope().app(appid).check::<()>(Err(e)) {
        Err(e) => e,
        Ok(()) => anyhow::anyhow!("app {appid}"),
    }
}

/// `n` random letters and digits.
fn random(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), n)
}
