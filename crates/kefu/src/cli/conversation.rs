//! The conversation's human side on the command line: a user who follows
//! an app and then writes and does things as a follower, the waiting queue,
//! and the invited WeChat user who answers an invitation and then works in
//! the kf client (log in, accept, reply, hand over, close).

use super::output::Scope;
use super::remote::Remote;
use clap::{ArgGroup, Subcommand};
use kefu_api::control as c;

/// A follower of one app.
#[derive(Debug, clap::Args)]
pub(crate) struct FanAt {
    /// The app.
    #[arg(long, env = "KEFU_APP", value_name = "APPID")]
    app: String,
    /// The follower's openid.
    openid: String,
}

/// A worker at one kf account of an app.
#[derive(Debug, clap::Args)]
pub(crate) struct WorkerAt {
    /// The app.
    #[arg(long, env = "KEFU_APP", value_name = "APPID")]
    app: String,
    /// The kf account (`prefix@wechat_id`).
    kf_account: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FanCmd {
    /// The follower writes a text, or sends an image, a voice or a video.
    #[command(group(ArgGroup::new("media")))]
    #[command(after_help = "Example:\n  kefu fan write --app wx0123456789abcdef o_alice \"在吗？\"")]
    Write {
        #[command(flatten)]
        fan: FanAt,
        /// The text (unless --image, --voice or --video).
        #[arg(required_unless_present = "media", conflicts_with = "media")]
        text: Option<String>,
        /// Send an image instead of a text.
        #[arg(long, group = "media")]
        image: bool,
        /// Send a voice message instead of a text.
        #[arg(long, group = "media")]
        voice: bool,
        /// Send a video instead of a text.
        #[arg(long, group = "media")]
        video: bool,
    },
    /// The follower follows again, unfollows, scans a QR code or clicks a menu.
    #[command(after_help = "Example:\n  kefu fan event --app wx0123456789abcdef o_alice CLICK --key MENU_HELP")]
    Event {
        #[command(flatten)]
        fan: FanAt,
        /// `subscribe`, `unsubscribe`, `SCAN` or `CLICK`.
        #[arg(value_parser = ["subscribe", "unsubscribe", "SCAN", "CLICK"], ignore_case = true)]
        event: String,
        /// The menu key (`CLICK`) or the QR code's scene (`SCAN`), pushed as `EventKey`.
        #[arg(long)]
        key: Option<String>,
    },
    /// The follower: following or not, both send windows, the typing indicator.
    #[command(after_help = "Example:\n  kefu fan show --app wx0123456789abcdef o_alice")]
    Show {
        #[command(flatten)]
        fan: FanAt,
    },
    /// What the follower wrote and received, oldest first.
    #[command(after_help = "Example:\n  kefu fan messages --app wx0123456789abcdef o_alice")]
    Messages {
        #[command(flatten)]
        fan: FanAt,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WorkerCmd {
    /// The bound worker logs in to the kf client.
    #[command(after_help = "Example:\n  kefu worker online --app wx0123456789abcdef kf1@kefu_demo")]
    Online {
        #[command(flatten)]
        at: WorkerAt,
    },
    /// The bound worker logs out of the kf client.
    #[command(after_help = "Example:\n  kefu worker offline --app wx0123456789abcdef kf1@kefu_demo")]
    Offline {
        #[command(flatten)]
        at: WorkerAt,
    },
    /// Accept a waiting follower: the named one, or the earliest waiting for this account or anyone.
    #[command(after_help = "Example:\n  kefu worker accept --app wx0123456789abcdef kf1@kefu_demo")]
    Accept {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower to accept.
        #[arg(long)]
        openid: Option<String>,
    },
    /// Reply to the follower in the session.
    #[command(after_help = "Example:\n  kefu worker reply --app wx0123456789abcdef kf1@kefu_demo o_alice \"您好\"")]
    Reply {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower.
        openid: String,
        /// The reply.
        text: String,
    },
    /// Hand the session to another online kf account.
    #[command(
        after_help = "Example:\n  kefu worker transfer --app wx0123456789abcdef kf1@kefu_demo o_alice kf2@kefu_demo"
    )]
    Transfer {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower.
        openid: String,
        /// The kf account that takes over.
        to: String,
    },
    /// End the session.
    #[command(after_help = "Example:\n  kefu worker close --app wx0123456789abcdef kf1@kefu_demo o_alice")]
    Close {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower.
        openid: String,
    },
}

impl WorkerAt {
    /// The scope of this worker's commands: the app and the kf account.
    fn scope<'a>(&'a self, remote: &'a Remote) -> Scope<'a> {
        remote.scope().app(&self.app).kf(&self.kf_account)
    }
}

/// The message a `fan write` sends.
fn follower_message(text: Option<String>, image: bool, voice: bool) -> c::FollowerMessage {
    let msgtype = match (&text, image, voice) {
        (Some(_), ..) => "text",
        (None, true, _) => "image",
        (None, false, true) => "voice",
        (None, false, false) => "video",
    };
    c::FollowerMessage {
        msgtype: msgtype.into(),
        content: text,
        media_id: None,
    }
}

/// `kefu follow --app APP [--openid OPENID]`.
pub(crate) async fn follow(app: &str, openid: Option<&str>, remote: &Remote) -> anyhow::Result<()> {
    remote.scope().app(app).show(remote.control().follow(app, openid).await)
}

/// `kefu invite accept|reject --app APP ACCOUNT`.
pub(crate) async fn invite(app: &str, kf_account: &str, accept: bool, remote: &Remote) -> anyhow::Result<()> {
    let answered = remote.control().answer_invitation(app, kf_account, accept).await;
    remote.scope().app(app).kf(kf_account).show(answered)
}

/// `kefu fan ...`.
pub(crate) async fn fan(cmd: FanCmd, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    match cmd {
        FanCmd::Write {
            fan,
            text,
            image,
            voice,
            video: _,
        } => {
            let msg = follower_message(text, image, voice);
            let sent = ctl.follower_writes(&fan.app, &fan.openid, &msg).await;
            remote.scope().app(&fan.app).show(sent)
        }
        FanCmd::Event { fan, event, key } => {
            let done = ctl.follower_event(&fan.app, &fan.openid, &event, key.as_deref()).await;
            remote.scope().app(&fan.app).show(done)
        }
        FanCmd::Show { fan } => {
            let shown = ctl.follower(&fan.app, &fan.openid).await;
            remote.scope().app(&fan.app).show(shown)
        }
        FanCmd::Messages { fan } => {
            let messages = ctl.follower_messages(&fan.app, &fan.openid).await;
            remote.scope().app(&fan.app).show(messages)
        }
    }
}

/// `kefu waitcase --app APP OPENID [--kf ACCOUNT]`.
pub(crate) async fn waitcase(fan: FanAt, kf: Option<String>, remote: &Remote) -> anyhow::Result<()> {
    let req = c::Enqueue {
        openid: fan.openid,
        kf_account: kf,
    };
    let waiting = remote.control().enqueue(&fan.app, &req).await;
    let scope = remote.scope().app(&fan.app);
    match &req.kf_account {
        Some(account) => scope.kf(account).show(waiting),
        None => scope.show(waiting),
    }
}

/// `kefu worker ...`.
pub(crate) async fn worker(cmd: WorkerCmd, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    match cmd {
        WorkerCmd::Online { at } => at
            .scope(remote)
            .show(ctl.set_worker_online(&at.app, &at.kf_account, true).await),
        WorkerCmd::Offline { at } => at
            .scope(remote)
            .show(ctl.set_worker_online(&at.app, &at.kf_account, false).await),
        WorkerCmd::Accept { at, openid } => {
            let accepted = ctl.accept(&at.app, &at.kf_account, openid.as_deref()).await;
            at.scope(remote).show(accepted)
        }
        WorkerCmd::Reply { at, openid, text } => {
            let sent = ctl.reply(&at.app, &at.kf_account, &openid, &text).await;
            at.scope(remote).show(sent)
        }
        WorkerCmd::Transfer { at, openid, to } => {
            let moved = ctl.transfer(&at.app, &at.kf_account, &openid, &to).await;
            at.scope(remote).show(moved)
        }
        WorkerCmd::Close { at, openid } => at
            .scope(remote)
            .check(ctl.close(&at.app, &at.kf_account, &openid).await),
    }
}
