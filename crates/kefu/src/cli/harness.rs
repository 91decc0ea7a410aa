//! The commands that steer a kefu server as a test harness does (its
//! virtual clock, a reset, which WeChat IDs exist), and the one command
//! that plays an SDK: fetching an app's access token.

use super::remote::Remote;
use kefu_client::Client;

/// `kefu wechat-user WX --exists BOOL`.
pub(crate) async fn wechat_user(wx: &str, exists: bool, remote: &Remote) -> anyhow::Result<()> {
    remote.scope().show(remote.control().set_wechat_user(wx, exists).await)
}

/// `kefu clock [SECONDS]`: shows the virtual clock, or moves it forward.
pub(crate) async fn clock(advance: Option<i64>, remote: &Remote) -> anyhow::Result<()> {
    let ctl = remote.control();
    let clock = match advance {
        Some(seconds) => ctl.advance_clock(seconds).await,
        None => ctl.clock().await,
    };
    remote.scope().show(clock)
}

/// `kefu reset`: wipes all state; prints the demo app it brought back.
pub(crate) async fn reset(remote: &Remote) -> anyhow::Result<()> {
    remote.scope().show(remote.control().reset().await)
}

/// `kefu token --app APP --secret SECRET`, as an SDK would fetch it.
pub(crate) async fn token(app: &str, secret: &str, remote: &Remote) -> anyhow::Result<()> {
    let fetched = Client::new(&remote.server, app, secret).fetch_token().await;
    remote.scope().app(app).show(fetched)
}
