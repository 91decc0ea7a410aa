//! A token and the customer-service flow, as a developer's back end runs it,
//! against a running kefu (or, without the control calls, real WeChat).
//!
//! ```sh
//! cargo run --release -- serve            # prints the demo app's appid and secret
//! KEFU_APPID=wx… KEFU_SECRET=… cargo run -p kefu-client --example kf_flow
//! ```
//!
//! The WeChat side ([`Client`]) adds a kf account and invites a WeChat user;
//! the human side ([`ControlClient`], kefu only) accepts, logs in and
//! follows; then the WeChat side opens a session and lists who is online.

use kefu_client::{Client, ClientError, ControlClient};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name} (kefu prints the demo app's at start)"))
}

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let base = std::env::var("KEFU_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let (appid, secret) = (var("KEFU_APPID"), var("KEFU_SECRET"));
    let wechat = Client::new(&base, &appid, &secret);
    let admin = std::env::var("KEFU_ADMIN_TOKEN").ok();
    let human = ControlClient::new(&base, admin.as_deref());

    // A kf account is `prefix@<the app's WeChat ID>`; a fresh prefix per run.
    let app = human.app_state(&appid).await?.app;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 100_000);
    let kf = format!("ex{stamp}@{}", app.wechat_id);
    wechat.add_kf_account(&kf, "Example").await?;
    wechat.invite_worker(&kf, &format!("worker_{stamp}")).await?;

    // The invited WeChat user accepts, logs in; a user follows the app.
    human.answer_invitation(&appid, &kf, true).await?;
    human.set_worker_online(&appid, &kf, true).await?;
    let follower = human.follow(&appid, None).await?.openid;

    wechat.create_session(&kf, &follower).await?;
    for online in wechat.get_online_kf_list().await?.kf_online_list {
        println!(
            "{} is online with {} session(s)",
            online.kf_account, online.accepted_case
        );
    }
    // WeChat's errors are typed: an account that does not exist is 65401.
    let nobody = format!("nobody@{}", app.wechat_id);
    match wechat.create_session(&nobody, &follower).await {
        Err(ClientError::Api { errcode, errmsg }) => println!("{nobody}: {errcode} {errmsg}"),
        other => println!("{nobody}: {other:?}"),
    }
    Ok(())
}
