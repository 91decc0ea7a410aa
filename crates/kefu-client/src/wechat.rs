//! The WeChat side, with token caching and one retry on token errors.

use crate::platform::AuthorizerSource;
use crate::{decode_wx, ClientError, REDACTED};
use kefu_api::wechat as w;
use reqwest::multipart::{Form, Part};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Refresh a cached token this long before the server would expire it.
const MARGIN: Duration = Duration::from_secs(300);
/// Errcodes that mean "get a new token and try again".
const TOKEN_ERRORS: [i64; 3] = [40001, 40014, 42001];

/// Which endpoint the client gets its token from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    /// `GET /cgi-bin/token` (every fetch replaces the previous token).
    Plain,
    /// `POST /cgi-bin/stable_token` (shared safely by many processes).
    Stable,
}

/// A client for one app; its `Debug` hides the secret and the token.
///
/// ```no_run
/// # async fn f() -> Result<(), kefu_client::ClientError> {
/// let wechat = kefu_client::Client::new("http://127.0.0.1:8080", "wx0123456789abcdef", "secret");
/// // The token is fetched on the first call and kept until shortly before it expires.
/// let accounts = wechat.get_kf_list().await?.kf_list;
/// println!("{} kf accounts", accounts.len());
/// # Ok(()) }
/// ```
pub struct Client {
    http: reqwest::Client,
    base: String,
    appid: String,
    secret: String,
    mode: TokenMode,
    authorizer: Option<Arc<AuthorizerSource>>,
    cached: Mutex<Option<(String, Instant)>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("appid", &self.appid)
            .field("secret", &REDACTED)
            .field("mode", &self.mode)
            .field("authorizer", &self.authorizer)
            .field("cached", &REDACTED)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `appid` against `base_url` (`https://api.weixin.qq.com`
    /// for real WeChat, `http://127.0.0.1:8080` for a local kefu).
    pub fn new(base_url: &str, appid: &str, secret: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base_url.trim_end_matches('/').to_owned(),
            appid: appid.to_owned(),
            secret: secret.to_owned(),
            mode: TokenMode::Plain,
            authorizer: None,
            cached: Mutex::new(None),
        }
    }

    /// A client whose tokens are authorizer tokens from a component.
    pub(crate) fn with_authorizer(base_url: &str, appid: &str, source: Arc<AuthorizerSource>) -> Client {
        Client {
            authorizer: Some(source),
            ..Client::new(base_url, appid, "")
        }
    }

    /// For a client acting through a component: the refresh token its next
    /// token fetch will present.
    pub async fn authorizer_refresh_token(&self) -> Option<String> {
        match &self.authorizer {
            Some(a) => Some(a.refresh_token().await),
            None => None,
        }
    }

    /// Chooses where tokens come from.
    pub fn with_token_mode(mut self, mode: TokenMode) -> Client {
        self.mode = mode;
        self
    }

    /// Fetches a new token from the server, bypassing the cache.
    pub async fn fetch_token(&self) -> Result<w::AccessTokenResponse, ClientError> {
        if let Some(source) = &self.authorizer {
            return source.fetch().await;
        }
        let res = match self.mode {
            TokenMode::Plain => {
                let q = [
                    ("grant_type", "client_credential"),
                    ("appid", &self.appid),
                    ("secret", &self.secret),
                ];
                self.http
                    .get(format!("{}/cgi-bin/token", self.base))
                    .query(&q)
                    .send()
                    .await?
            }
            TokenMode::Stable => {
                let body = w::StableTokenRequest {
                    grant_type: "client_credential".into(),
                    appid: self.appid.clone(),
                    secret: self.secret.clone(),
                    force_refresh: false,
                };
                self.http
                    .post(format!("{}/cgi-bin/stable_token", self.base))
                    .json(&body)
                    .send()
                    .await?
            }
        };
        decode_wx(&res.bytes().await?)
    }

    /// The cached token, fetched when missing or close to expiry.
    pub async fn access_token(&self) -> Result<String, ClientError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let fresh = self.fetch_token().await?;
        let life = Duration::from_secs(fresh.expires_in.max(0) as u64).saturating_sub(MARGIN);
        *cached = Some((fresh.access_token.clone(), Instant::now() + life));
        Ok(fresh.access_token)
    }

    async fn forget_token(&self, token: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t == token) {
            *cached = None;
        }
    }

    /// Sends one call with the token, refreshing and retrying once on a token error.
    async fn call<T: DeserializeOwned>(
        &self,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let token = self.access_token().await?;
        match decode_wx(&build(&token).send().await?.bytes().await?) {
            Err(ClientError::Api { errcode, .. }) if TOKEN_ERRORS.contains(&errcode) => {
                self.forget_token(&token).await;
                let token = self.access_token().await?;
                decode_wx(&build(&token).send().await?.bytes().await?)
            }
            other => other,
        }
    }

    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.call(|t| self.http.post(&url).query(&[("access_token", t)]).json(body))
            .await
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        self.call(|t| self.http.get(&url).query(&[("access_token", t)]).query(query))
            .await
    }

    /// `POST /customservice/kfaccount/add`.
    pub async fn add_kf_account(&self, kf_account: &str, nickname: &str) -> Result<w::Status, ClientError> {
        let body = w::KfAccountRequest {
            kf_account: kf_account.into(),
            nickname: nickname.into(),
        };
        self.post("/customservice/kfaccount/add", &body).await
    }

    /// `POST /customservice/kfaccount/update`.
    pub async fn update_kf_account(&self, kf_account: &str, nickname: &str) -> Result<w::Status, ClientError> {
        let body = w::KfAccountRequest {
            kf_account: kf_account.into(),
            nickname: nickname.into(),
        };
        self.post("/customservice/kfaccount/update", &body).await
    }

    /// `POST /customservice/kfaccount/del` with a JSON body (the current documented shape).
    pub async fn del_kf_account(&self, kf_account: &str) -> Result<w::Status, ClientError> {
        self.post(
            "/customservice/kfaccount/del",
            &w::KfAccountRef {
                kf_account: kf_account.into(),
            },
        )
        .await
    }

    /// `POST /customservice/kfaccount/uploadheadimg` (multipart field `media`).
    pub async fn upload_head_img(
        &self,
        kf_account: &str,
        file_name: &str,
        data: Vec<u8>,
    ) -> Result<w::Status, ClientError> {
        let url = format!("{}/customservice/kfaccount/uploadheadimg", self.base);
        self.call(|t| {
            let part = Part::bytes(data.clone()).file_name(file_name.to_owned());
            self.http
                .post(&url)
                .query(&[("access_token", t), ("kf_account", kf_account)])
                .multipart(Form::new().part("media", part))
        })
        .await
    }

    /// `POST /customservice/kfaccount/inviteworker`.
    pub async fn invite_worker(&self, kf_account: &str, invite_wx: &str) -> Result<w::Status, ClientError> {
        let body = w::InviteWorkerRequest {
            kf_account: kf_account.into(),
            invite_wx: invite_wx.into(),
        };
        self.post("/customservice/kfaccount/inviteworker", &body).await
    }

    /// `GET /cgi-bin/customservice/getkflist`.
    pub async fn get_kf_list(&self) -> Result<w::KfList, ClientError> {
        self.get("/cgi-bin/customservice/getkflist", &[]).await
    }

    /// `GET /cgi-bin/customservice/getonlinekflist`.
    pub async fn get_online_kf_list(&self) -> Result<w::KfOnlineList, ClientError> {
        self.get("/cgi-bin/customservice/getonlinekflist", &[]).await
    }

    /// `POST /customservice/kfsession/create`.
    pub async fn create_session(&self, kf_account: &str, openid: &str) -> Result<w::Status, ClientError> {
        let body = w::KfSessionRequest {
            kf_account: kf_account.into(),
            openid: openid.into(),
        };
        self.post("/customservice/kfsession/create", &body).await
    }

    /// `POST /cgi-bin/clear_quota` for this client's own app.
    pub async fn clear_quota(&self) -> Result<w::Status, ClientError> {
        let body = w::ClearQuotaRequest {
            appid: self.appid.clone(),
            appsecret: String::new(),
        };
        self.post("/cgi-bin/clear_quota", &body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let client = Client::new("http://127.0.0.1:8080", "wx123", "s3cr3t-app-secret");
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cr3t-app-secret"), "{shown}");
        assert!(
            shown.contains("wx123") && shown.contains(r#"secret: "<redacted>""#),
            "{shown}"
        );
    }
}
