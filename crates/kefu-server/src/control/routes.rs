//! The control API's route table: every path and its methods, and which
//! answer without the admin token. A leaf: the router (`control`) and the
//! OpenAPI document (`openapi`) both read it, neither through the other.

/// Every control route and its methods. The router is built from this
/// table (through `control::handler`), and the OpenAPI document is checked
/// against it, so a route cannot exist undocumented.
pub(crate) const ROUTES: &[(&str, &[&str])] = &[
    ("/_kefu/apps", &["GET", "POST"]),
    ("/_kefu/apps/{appid}", &["GET", "PATCH"]),
    ("/_kefu/apps/{appid}/fans", &["GET", "POST"]),
    ("/_kefu/apps/{appid}/fans/{openid}", &["GET"]),
    ("/_kefu/apps/{appid}/fans/{openid}/events", &["POST"]),
    ("/_kefu/apps/{appid}/fans/{openid}/messages", &["GET", "POST"]),
    ("/_kefu/apps/{appid}/waitcase", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/accept", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/messages", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/transfer", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/close", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/invitation/accept", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/invitation/reject", &["POST"]),
    ("/_kefu/apps/{appid}/kf/{kf_account}/status", &["PUT"]),
    ("/_kefu/apps/{appid}/callback", &["GET", "PUT", "DELETE"]),
    ("/_kefu/apps/{appid}/deliveries", &["GET"]),
    ("/_kefu/wechat-users/{wx}", &["PUT"]),
    ("/_kefu/components", &["POST"]),
    ("/_kefu/components/{component_appid}", &["GET"]),
    ("/_kefu/components/{component_appid}/ticket", &["POST"]),
    (
        "/_kefu/components/{component_appid}/callback",
        &["GET", "PUT", "DELETE"],
    ),
    ("/_kefu/components/{component_appid}/deliveries", &["GET"]),
    ("/_kefu/components/{component_appid}/authorizations", &["POST"]),
    (
        "/_kefu/components/{component_appid}/authorizations/{appid}",
        &["DELETE"],
    ),
    ("/_kefu/clock", &["GET"]),
    ("/_kefu/clock/advance", &["POST"]),
    ("/_kefu/reset", &["POST"]),
    ("/_kefu/export", &["GET"]),
    ("/_kefu/import", &["POST"]),
    ("/_kefu/snapshots", &["GET", "POST"]),
    ("/_kefu/snapshots/{name}", &["DELETE"]),
    ("/_kefu/snapshots/{name}/restore", &["POST"]),
    ("/_kefu/events", &["GET"]),
    ("/_kefu/journal", &["GET", "DELETE"]),
    ("/_kefu/journal/stream", &["GET"]),
    ("/_kefu/journal/{id}", &["GET"]),
    ("/_kefu/faults", &["GET", "POST", "DELETE"]),
    ("/_kefu/faults/{id}", &["DELETE"]),
    ("/_kefu/compat", &["GET", "DELETE"]),
    ("/_kefu/openapi.json", &["GET"]),
    ("/_kefu/openapi/wechat.json", &["GET"]),
    // Open without the admin token:
    ("/_kefu/health", &["GET"]),
    ("/_kefu/ca.pem", &["GET"]),
    ("/_kefu/media/headimg/{appid}/{kf_account}", &["GET"]),
    ("/metrics", &["GET"]),
];

/// Routes that answer without the admin token.
pub(crate) const OPEN: &[&str] = &[
    "/_kefu/health",
    "/_kefu/ca.pem",
    "/_kefu/media/headimg/{appid}/{kf_account}",
    "/metrics",
];
