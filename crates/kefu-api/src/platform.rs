//! Third-party platforms: the WeChat-side token endpoints of a component
//! and kefu's control calls that create components, push tickets and
//! authorize apps.

use serde::{Deserialize, Serialize};

/// `POST /cgi-bin/component/api_component_token` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentTokenRequest {
    /// The component.
    #[serde(default)]
    pub component_appid: String,
    /// Its secret.
    #[serde(default)]
    pub component_appsecret: String,
    /// The latest pushed ticket.
    #[serde(default)]
    pub component_verify_ticket: String,
}

/// `api_component_token` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentTokenResponse {
    /// The token.
    pub component_access_token: String,
    /// Seconds of life left.
    pub expires_in: i64,
}

/// `POST /cgi-bin/component/api_authorizer_token` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizerTokenRequest {
    /// The component.
    #[serde(default)]
    pub component_appid: String,
    /// The authorizing app.
    #[serde(default)]
    pub authorizer_appid: String,
    /// The current refresh token.
    #[serde(default)]
    pub authorizer_refresh_token: String,
}

/// `api_authorizer_token` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizerTokenResponse {
    /// A token that acts for the app.
    pub authorizer_access_token: String,
    /// Seconds of life left.
    pub expires_in: i64,
    /// The refresh token to use next time (the old one works 5 more minutes).
    pub authorizer_refresh_token: String,
}

/// `POST /_kefu/components` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateComponent {
    /// Chosen appid (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_appid: Option<String>,
    /// Chosen secret (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_appsecret: Option<String>,
    /// Addresses allowed to ask for component tokens (61004 for others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_whitelist: Option<Vec<String>>,
}

/// A component's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentInfo {
    /// Its appid.
    pub component_appid: String,
    /// Its secret.
    pub component_appsecret: String,
    /// Its whitelist.
    pub ip_whitelist: Vec<String>,
}

/// Answer to a ticket push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketInfo {
    /// The new ticket (valid 12 hours).
    pub component_verify_ticket: String,
}

/// `POST /_kefu/components/{component_appid}/authorizations` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authorize {
    /// The merchant's app.
    pub appid: String,
    /// The permission sets granted.
    #[serde(default)]
    pub permission_sets: Vec<i64>,
}

/// Answer to an authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authorized {
    /// The refresh token the component starts with.
    pub authorizer_refresh_token: String,
}

/// One authorization as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizationState {
    /// The merchant's app.
    pub appid: String,
    /// The permission sets granted.
    pub permission_sets: Vec<u32>,
    /// When it was granted.
    pub authorized_at: i64,
}

/// `GET /_kefu/components/{component_appid}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentState {
    /// Credentials.
    pub component: ComponentInfo,
    /// The apps that authorized it.
    pub authorizations: Vec<AuthorizationState>,
}
