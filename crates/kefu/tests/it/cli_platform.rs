//! The CLI commands for third-party platforms and app access rules, run as
//! subprocesses against a running server.

use crate::support::Kefu;
use kefu_api::control::AppInfo;
use kefu_api::platform::{Authorized, ComponentInfo, ComponentState, TicketInfo};

/// A component created, given a ticket, authorized by an app and revoked,
/// all from the command line; the app's whitelist and quota set likewise.
#[tokio::test]
async fn components_whitelists_and_quotas_from_the_command_line() {
    let kefu = Kefu::start();
    let app: AppInfo = kefu.cli(&["app", "create"]).await.json();
    let c: ComponentInfo = kefu.cli(&["component", "create", "--ip", "10.0.0.0/8"]).await.json();
    assert_eq!(c.ip_whitelist, ["10.0.0.0/8"]);
    let t: TicketInfo = kefu.cli(&["component", "ticket", &c.component_appid]).await.json();
    assert!(t.component_verify_ticket.starts_with("ticket@@@"));
    let granted: Authorized = kefu
        .cli(&[
            "component",
            "authorize",
            &c.component_appid,
            "--app",
            &app.appid,
            "--sets",
            "1,6",
        ])
        .await
        .json();
    assert!(granted.authorizer_refresh_token.starts_with("refreshtoken@@@"));
    let shown: ComponentState = kefu.cli(&["component", "show", &c.component_appid]).await.json();
    assert_eq!(shown.authorizations[0].permission_sets, [1, 6]);
    kefu.cli(&["component", "revoke", &c.component_appid, "--app", &app.appid])
        .await;
    let shown: ComponentState = kefu.cli(&["component", "show", &c.component_appid]).await.json();
    assert!(shown.authorizations.is_empty());

    let set: AppInfo = kefu
        .cli(&["app", "whitelist", "--app", &app.appid, "1.2.3.4"])
        .await
        .json();
    assert_eq!(set.ip_whitelist, ["1.2.3.4"]);
    let path = "/customservice/kfsession/create";
    let set: AppInfo = kefu
        .cli(&["app", "quota", "--app", &app.appid, path, "--daily", "5"])
        .await
        .json();
    assert_eq!(set.quotas[path].daily, Some(5));
    let cleared: AppInfo = kefu.cli(&["app", "quota", "--app", &app.appid, path]).await.json();
    assert!(cleared.quotas.is_empty());
    let bad = kefu
        .cli(&[
            "component",
            "authorize",
            "wx_nobody",
            "--app",
            &app.appid,
            "--sets",
            "1",
        ])
        .await;
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert!(bad.stderr.contains("component_not_found"), "{bad:?}");
}
