//! The conversation's human side on the command line: what a follower
//! writes and does, the waiting queue, and what a worker does in the kf
//! client (log in, accept, reply, hand over, close).

use crate::cli::{err, print};
use clap::{ArgGroup, Subcommand};
use kefu_api::control as c;
use kefu_client::ControlClient;

/// A follower of one app.
#[derive(Debug, clap::Args)]
pub(crate) struct FanAt {
    /// The app.
    #[arg(long)]
    app: String,
    /// The follower's openid.
    openid: String,
}

/// A worker at one kf account of an app.
#[derive(Debug, clap::Args)]
pub(crate) struct WorkerAt {
    /// The app.
    #[arg(long)]
    app: String,
    /// The kf account (`prefix@wechat_id`).
    kf_account: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FanCmd {
    /// The follower writes a text, or sends an image, a voice or a video.
    #[command(group(ArgGroup::new("media")))]
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
    Event {
        #[command(flatten)]
        fan: FanAt,
        /// `subscribe`, `unsubscribe`, `SCAN` or `CLICK`.
        #[arg(value_parser = ["subscribe", "unsubscribe", "SCAN", "CLICK"], ignore_case = true)]
        event: String,
    },
    /// What the follower wrote and received, oldest first.
    Messages {
        #[command(flatten)]
        fan: FanAt,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WorkerCmd {
    /// The bound worker logs in to the kf client.
    Online {
        #[command(flatten)]
        at: WorkerAt,
    },
    /// The bound worker logs out of the kf client.
    Offline {
        #[command(flatten)]
        at: WorkerAt,
    },
    /// Accept a waiting follower: the named one, or the earliest waiting for this account or anyone.
    Accept {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower to accept.
        #[arg(long)]
        openid: Option<String>,
    },
    /// Reply to the follower in the session.
    Reply {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower.
        openid: String,
        /// The reply.
        text: String,
    },
    /// Hand the session to another online kf account.
    Transfer {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower.
        openid: String,
        /// The kf account that takes over.
        to: String,
    },
    /// End the session.
    Close {
        #[command(flatten)]
        at: WorkerAt,
        /// The follower.
        openid: String,
    },
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

/// `kefu fan ...`.
pub(crate) async fn fan(cmd: FanCmd, ctl: &ControlClient) -> Result<(), String> {
    match cmd {
        FanCmd::Write {
            fan,
            text,
            image,
            voice,
            video: _,
        } => {
            let msg = follower_message(text, image, voice);
            print(&ctl.follower_writes(&fan.app, &fan.openid, &msg).await.map_err(err)?)
        }
        FanCmd::Event { fan, event } => print(&ctl.follower_event(&fan.app, &fan.openid, &event).await.map_err(err)?),
        FanCmd::Messages { fan } => print(&ctl.follower_messages(&fan.app, &fan.openid).await.map_err(err)?),
    }
}

/// `kefu waitcase --app APP OPENID [--kf ACCOUNT]`.
pub(crate) async fn waitcase(fan: FanAt, kf: Option<String>, ctl: &ControlClient) -> Result<(), String> {
    let req = c::Enqueue {
        openid: fan.openid,
        kf_account: kf,
    };
    print(&ctl.enqueue(&fan.app, &req).await.map_err(err)?)
}

/// `kefu worker ...`.
pub(crate) async fn worker(cmd: WorkerCmd, ctl: &ControlClient) -> Result<(), String> {
    match cmd {
        WorkerCmd::Online { at } => print(
            &ctl.set_worker_online(&at.app, &at.kf_account, true)
                .await
                .map_err(err)?,
        ),
        WorkerCmd::Offline { at } => print(
            &ctl.set_worker_online(&at.app, &at.kf_account, false)
                .await
                .map_err(err)?,
        ),
        WorkerCmd::Accept { at, openid } => print(
            &ctl.accept(&at.app, &at.kf_account, openid.as_deref())
                .await
                .map_err(err)?,
        ),
        WorkerCmd::Reply { at, openid, text } => {
            print(&ctl.reply(&at.app, &at.kf_account, &openid, &text).await.map_err(err)?)
        }
        WorkerCmd::Transfer { at, openid, to } => {
            print(&ctl.transfer(&at.app, &at.kf_account, &openid, &to).await.map_err(err)?)
        }
        WorkerCmd::Close { at, openid } => ctl.close(&at.app, &at.kf_account, &openid).await.map_err(err),
    }
}
