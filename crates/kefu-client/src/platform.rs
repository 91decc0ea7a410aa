//! A third-party platform's side: [`ComponentClient`] gets the component's
//! own token from its verify ticket and exchanges refresh tokens for
//! authorizer tokens; [`ComponentClient::act_for`] makes a [`Client`] whose
//! calls act for a merchant's app through the component.

use crate::{decode_wx, Client, ClientError, REDACTED};
use kefu_api::platform as p;
use kefu_api::wechat::AccessTokenResponse;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Refresh a cached component token this long before it would expire.
const MARGIN: Duration = Duration::from_secs(300);

/// A client for one component (third-party platform); its `Debug` hides
/// the secret, the ticket and the token.
///
/// ```no_run
/// # async fn f(ticket: &str, refresh_token: &str) -> Result<(), kefu_client::ClientError> {
/// use std::sync::Arc;
/// let platform = Arc::new(kefu_client::ComponentClient::new("http://127.0.0.1:8080", "wxcomponent00001", "secret"));
/// platform.set_ticket(ticket).await; // the component_verify_ticket WeChat pushed
/// let merchant = platform.act_for("wxmerchant000001", refresh_token);
/// merchant.get_kf_list().await?; // with an authorizer token
/// # Ok(()) }
/// ```
pub struct ComponentClient {
    http: reqwest::Client,
    base: String,
    appid: String,
    secret: String,
    ticket: Mutex<String>,
    cached: Mutex<Option<(String, Instant)>>,
}

impl fmt::Debug for ComponentClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentClient")
            .field("base", &self.base)
            .field("appid", &self.appid)
            .field("secret", &REDACTED)
            .field("ticket", &REDACTED)
            .field("cached", &REDACTED)
            .finish_non_exhaustive()
    }
}

impl ComponentClient {
    /// A client for the component `appid` against `base_url`.
    pub fn new(base_url: &str, appid: &str, secret: &str) -> ComponentClient {
        ComponentClient {
            http: reqwest::Client::new(),
            base: base_url.trim_end_matches('/').to_owned(),
            appid: appid.to_owned(),
            secret: secret.to_owned(),
            ticket: Mutex::new(String::new()),
            cached: Mutex::new(None),
        }
    }

    /// Remembers the latest pushed `component_verify_ticket`.
    pub async fn set_ticket(&self, ticket: &str) {
        *self.ticket.lock().await = ticket.to_owned();
    }

    /// `POST /cgi-bin/component/api_component_token`, bypassing the cache.
    pub async fn fetch_component_token(&self) -> Result<p::ComponentTokenResponse, ClientError> {
        let body = p::ComponentTokenRequest {
            component_appid: self.appid.clone(),
            component_appsecret: self.secret.clone(),
            component_verify_ticket: self.ticket.lock().await.clone(),
        };
        let url = format!("{}/cgi-bin/component/api_component_token", self.base);
        let res = self.http.post(url).json(&body).send().await?;
        decode_wx(&res.bytes().await?)
    }

    /// The cached component token, fetched when missing or close to expiry.
    pub async fn component_token(&self) -> Result<String, ClientError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, _)) = cached.as_ref().filter(|(_, until)| Instant::now() < *until) {
            return Ok(token.clone());
        }
        let fresh = self.fetch_component_token().await?;
        let life = Duration::from_secs(fresh.expires_in.max(0) as u64).saturating_sub(MARGIN);
        *cached = Some((fresh.component_access_token.clone(), Instant::now() + life));
        Ok(fresh.component_access_token)
    }

    /// `POST /cgi-bin/component/api_authorizer_token`: a token acting for
    /// `authorizer_appid`, and the refresh token to use next time.
    pub async fn authorizer_token(
        &self,
        authorizer_appid: &str,
        refresh_token: &str,
    ) -> Result<p::AuthorizerTokenResponse, ClientError> {
        let token = self.component_token().await?;
        let body = p::AuthorizerTokenRequest {
            component_appid: self.appid.clone(),
            authorizer_appid: authorizer_appid.to_owned(),
            authorizer_refresh_token: refresh_token.to_owned(),
        };
        let url = format!("{}/cgi-bin/component/api_authorizer_token", self.base);
        let req = self
            .http
            .post(url)
            .query(&[("component_access_token", token)])
            .json(&body);
        decode_wx(&req.send().await?.bytes().await?)
    }

    /// A [`Client`] for the merchant `appid` whose tokens come from this
    /// component, starting from `refresh_token` (rotated on every fetch).
    pub fn act_for(self: &Arc<Self>, appid: &str, refresh_token: &str) -> Client {
        let source = AuthorizerSource {
            component: self.clone(),
            appid: appid.to_owned(),
            refresh_token: Mutex::new(refresh_token.to_owned()),
        };
        Client::with_authorizer(&self.base, appid, Arc::new(source))
    }
}

/// Where an acting-for client's tokens come from; its `Debug` hides the
/// refresh token.
pub(crate) struct AuthorizerSource {
    component: Arc<ComponentClient>,
    appid: String,
    refresh_token: Mutex<String>,
}

impl fmt::Debug for AuthorizerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizerSource")
            .field("component", &self.component)
            .field("appid", &self.appid)
            .field("refresh_token", &REDACTED)
            .finish()
    }
}

impl AuthorizerSource {
    /// A new authorizer token; the refresh token rotates.
    pub(crate) async fn fetch(&self) -> Result<AccessTokenResponse, ClientError> {
        let mut refresh = self.refresh_token.lock().await;
        let got = self.component.authorizer_token(&self.appid, &refresh).await?;
        *refresh = got.authorizer_refresh_token;
        Ok(AccessTokenResponse {
            access_token: got.authorizer_access_token,
            expires_in: got.expires_in,
        })
    }

    /// The refresh token the next fetch will present.
    pub(crate) async fn refresh_token(&self) -> String {
        self.refresh_token.lock().await.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn debug_hides_the_secret_the_ticket_and_the_refresh_token() {
        let component = Arc::new(ComponentClient::new(
            "http://127.0.0.1:8080",
            "wxcomp",
            "component-s3cr3t",
        ));
        component.set_ticket("ticket@@@s3cr3t").await;
        let merchant = component.act_for("wxmerchant", "refreshtoken@@@s3cr3t");
        for shown in [format!("{component:?}"), format!("{merchant:?}")] {
            for secret in ["component-s3cr3t", "ticket@@@s3cr3t", "refreshtoken@@@s3cr3t"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("wxcomp") && shown.contains("<redacted>"), "{shown}");
        }
        assert!(format!("{merchant:?}").contains("wxmerchant"));
    }
}
