//! A third-party platform acting for a merchant: kefu plays WeChat's side of
//! the platform (the ticket it pushes, the merchant's authorization), and the
//! platform's code gets its component token and an authorizer token, then
//! calls the customer-service API for the merchant.
//!
//! ```sh
//! cargo run --release -- serve
//! KEFU_APPID=wx… cargo run -p kefu-client --example third_party
//! ```

use kefu_client::api::platform::CreateComponent;
use kefu_client::{ClientError, ComponentClient, ControlClient};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), ClientError> {
    let base = std::env::var("KEFU_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let merchant = std::env::var("KEFU_APPID").expect("set KEFU_APPID (the merchant's appid)");
    let admin = std::env::var("KEFU_ADMIN_TOKEN").ok();
    let human = ControlClient::new(&base, admin.as_deref());

    // WeChat's side: a platform, the ticket WeChat pushes it, and the
    // merchant authorizing customer service (permission sets 1 and 6).
    let platform = human.create_component(&CreateComponent::default()).await?;
    let ticket = human.push_ticket(&platform.component_appid).await?;
    let granted = human.authorize(&platform.component_appid, &merchant, &[1, 6]).await?;

    // The platform's side, as its code runs against real WeChat.
    let component = Arc::new(ComponentClient::new(
        &base,
        &platform.component_appid,
        &platform.component_appsecret,
    ));
    component.set_ticket(&ticket.component_verify_ticket).await;
    let for_merchant = component.act_for(&merchant, &granted.authorizer_refresh_token);
    let accounts = for_merchant.get_kf_list().await?.kf_list;
    println!("acting for {merchant}: {} kf account(s)", accounts.len());
    Ok(())
}
