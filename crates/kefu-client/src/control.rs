//! kefu's control API (`/_kefu/`): the human side and the test harness.

use crate::{ClientError, REDACTED};
use kefu_api::control as c;
use kefu_api::control_push as cp;
use kefu_api::platform as p;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// A client for one kefu server's control API; its `Debug` hides the admin
/// token.
///
/// ```no_run
/// # async fn f() -> Result<(), kefu_client::ClientError> {
/// let human = kefu_client::ControlClient::new("http://127.0.0.1:8080", None);
/// let openid = human.follow("wx0123456789abcdef", None).await?.openid;
/// human.advance_clock(1800).await?; // half an hour later: idle sessions have closed
/// # let _ = openid; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ControlClient {
    http: reqwest::Client,
    base: String,
    admin_token: Option<String>,
}

impl fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlClient")
            .field("base", &self.base)
            .field("admin_token", &self.admin_token.as_ref().map(|_| REDACTED))
            .finish_non_exhaustive()
    }
}

impl ControlClient {
    /// A control client for `base_url`, with the server's admin token if it has one.
    pub fn new(base_url: &str, admin_token: Option<&str>) -> ControlClient {
        ControlClient {
            http: reqwest::Client::new(),
            base: base_url.trim_end_matches('/').to_owned(),
            admin_token: admin_token.map(str::to_owned),
        }
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, format!("{}/_kefu{path}", self.base));
        match &self.admin_token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub(crate) async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ClientError> {
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        if !status.is_success() {
            let body: c::ControlError = serde_json::from_slice(&bytes).unwrap_or(c::ControlError {
                error: "unknown".into(),
                message: String::from_utf8_lossy(&bytes).into_owned(),
            });
            return Err(ClientError::Control {
                status: status.as_u16(),
                error: body.error,
                message: body.message,
            });
        }
        let bytes: &[u8] = if status == StatusCode::NO_CONTENT {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let req = self.request(method, path);
        self.send(match body {
            Some(b) => req.json(b),
            None => req,
        })
        .await
    }

    /// `POST /_kefu/apps`.
    pub async fn create_app(&self, req: &c::CreateApp) -> Result<c::AppInfo, ClientError> {
        self.call(Method::POST, "/apps", Some(req)).await
    }

    /// `GET /_kefu/apps`.
    pub async fn list_apps(&self) -> Result<Vec<c::AppInfo>, ClientError> {
        self.call::<(), _>(Method::GET, "/apps", None).await
    }

    /// `GET /_kefu/apps/{appid}`.
    pub async fn app_state(&self, appid: &str) -> Result<c::AppState, ClientError> {
        self.call::<(), _>(Method::GET, &format!("/apps/{appid}"), None).await
    }

    /// `PATCH /_kefu/apps/{appid}`.
    pub async fn patch_app(&self, appid: &str, req: &c::PatchApp) -> Result<c::AppInfo, ClientError> {
        self.call(Method::PATCH, &format!("/apps/{appid}"), Some(req)).await
    }

    /// `POST /_kefu/apps/{appid}/fans`: a user follows the app.
    pub async fn follow(&self, appid: &str, openid: Option<&str>) -> Result<c::Followed, ClientError> {
        let body = c::Follow {
            openid: openid.map(str::to_owned),
            subscribed: None,
        };
        self.call(Method::POST, &format!("/apps/{appid}/fans"), Some(&body))
            .await
    }

    /// The invited user accepts (`true`) or rejects (`false`) the invitation.
    pub async fn answer_invitation(
        &self,
        appid: &str,
        kf_account: &str,
        accept: bool,
    ) -> Result<c::KfState, ClientError> {
        let verb = if accept { "accept" } else { "reject" };
        self.call::<(), _>(
            Method::POST,
            &format!("/apps/{appid}/kf/{kf_account}/invitation/{verb}"),
            None,
        )
        .await
    }

    /// The bound worker logs in or out.
    pub async fn set_worker_online(
        &self,
        appid: &str,
        kf_account: &str,
        online: bool,
    ) -> Result<c::KfState, ClientError> {
        let body = c::WorkerStatus { online };
        self.call(
            Method::PUT,
            &format!("/apps/{appid}/kf/{kf_account}/status"),
            Some(&body),
        )
        .await
    }

    /// Marks a WeChat ID as existing or not (65409 for `inviteworker`).
    pub async fn set_wechat_user(&self, wx: &str, exists: bool) -> Result<c::WechatUser, ClientError> {
        self.call(
            Method::PUT,
            &format!("/wechat-users/{wx}"),
            Some(&c::WechatUser { exists }),
        )
        .await
    }

    /// `GET /_kefu/clock`.
    pub async fn clock(&self) -> Result<c::Clock, ClientError> {
        self.call::<(), _>(Method::GET, "/clock", None).await
    }

    /// `POST /_kefu/clock/advance`.
    pub async fn advance_clock(&self, seconds: i64) -> Result<c::Clock, ClientError> {
        self.call(Method::POST, "/clock/advance", Some(&c::Advance { seconds }))
            .await
    }

    /// `POST /_kefu/reset`: wipes all state; the demo app comes back with
    /// the same appid and secret.
    pub async fn reset(&self) -> Result<c::ResetDone, ClientError> {
        self.call::<(), _>(Method::POST, "/reset", None).await
    }

    /// `POST /_kefu/apps/{appid}/fans/{openid}/events`: `subscribe`,
    /// `unsubscribe`, `SCAN` or `CLICK`.
    /// `key` is the QR scene (`SCAN`) or the menu key (`CLICK`).
    pub async fn follower_event(
        &self,
        appid: &str,
        openid: &str,
        event: &str,
        key: Option<&str>,
    ) -> Result<c::FanState, ClientError> {
        let body = c::FollowerEvent {
            event: event.into(),
            event_key: key.map(str::to_owned),
        };
        let path = format!("/apps/{appid}/fans/{openid}/events");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST /_kefu/apps/{appid}/fans/{openid}/messages`: the follower writes.
    pub async fn follower_writes(
        &self,
        appid: &str,
        openid: &str,
        msg: &c::FollowerMessage,
    ) -> Result<c::Sent, ClientError> {
        let path = format!("/apps/{appid}/fans/{openid}/messages");
        self.call(Method::POST, &path, Some(msg)).await
    }

    /// `GET /_kefu/apps/{appid}/fans/{openid}`: one follower, with both send
    /// windows and the typing indicator.
    pub async fn follower(&self, appid: &str, openid: &str) -> Result<c::FanState, ClientError> {
        let path = format!("/apps/{appid}/fans/{openid}");
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// `GET /_kefu/apps/{appid}/fans/{openid}/messages`: what the follower
    /// wrote and received.
    pub async fn follower_messages(&self, appid: &str, openid: &str) -> Result<Vec<c::MessageState>, ClientError> {
        let path = format!("/apps/{appid}/fans/{openid}/messages");
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// `POST /_kefu/apps/{appid}/waitcase`: the follower waits for a kf.
    pub async fn enqueue(&self, appid: &str, req: &c::Enqueue) -> Result<c::WaitState, ClientError> {
        self.call(Method::POST, &format!("/apps/{appid}/waitcase"), Some(req))
            .await
    }

    /// `POST .../kf/{kf_account}/accept`: the worker accepts a waiting follower.
    pub async fn accept(
        &self,
        appid: &str,
        kf_account: &str,
        openid: Option<&str>,
    ) -> Result<c::SessionState, ClientError> {
        let body = c::Accept {
            openid: openid.map(str::to_owned),
        };
        let path = format!("/apps/{appid}/kf/{kf_account}/accept");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST .../kf/{kf_account}/messages`: the worker replies.
    pub async fn reply(&self, appid: &str, kf_account: &str, openid: &str, text: &str) -> Result<c::Sent, ClientError> {
        let body = c::WorkerMessage {
            openid: openid.into(),
            text: text.into(),
        };
        let path = format!("/apps/{appid}/kf/{kf_account}/messages");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST .../kf/{kf_account}/transfer`: hand the session to `to`.
    pub async fn transfer(
        &self,
        appid: &str,
        kf_account: &str,
        openid: &str,
        to: &str,
    ) -> Result<c::SessionState, ClientError> {
        let body = c::Transfer {
            openid: openid.into(),
            to: to.into(),
        };
        let path = format!("/apps/{appid}/kf/{kf_account}/transfer");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST .../kf/{kf_account}/close`: the worker ends the session.
    pub async fn close(&self, appid: &str, kf_account: &str, openid: &str) -> Result<(), ClientError> {
        let body = c::CloseSession { openid: openid.into() };
        let path = format!("/apps/{appid}/kf/{kf_account}/close");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST /_kefu/components`: a third-party platform.
    pub async fn create_component(&self, req: &p::CreateComponent) -> Result<p::ComponentInfo, ClientError> {
        self.call(Method::POST, "/components", Some(req)).await
    }

    /// `GET /_kefu/components/{component_appid}`.
    pub async fn component(&self, component_appid: &str) -> Result<p::ComponentState, ClientError> {
        let path = format!("/components/{component_appid}");
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// `POST /_kefu/components/{component_appid}/ticket`: a new verify ticket.
    pub async fn push_ticket(&self, component_appid: &str) -> Result<p::TicketInfo, ClientError> {
        let path = format!("/components/{component_appid}/ticket");
        self.call::<(), _>(Method::POST, &path, None).await
    }

    /// The merchant `appid` authorizes the component with `permission_sets`.
    pub async fn authorize(
        &self,
        component_appid: &str,
        appid: &str,
        permission_sets: &[i64],
    ) -> Result<p::Authorized, ClientError> {
        let body = p::Authorize {
            appid: appid.into(),
            permission_sets: permission_sets.to_vec(),
        };
        let path = format!("/components/{component_appid}/authorizations");
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// The merchant `appid` revokes the component's authorization.
    pub async fn revoke(&self, component_appid: &str, appid: &str) -> Result<(), ClientError> {
        let path = format!("/components/{component_appid}/authorizations/{appid}");
        self.call::<(), ()>(Method::DELETE, &path, None).await
    }

    /// `PUT /_kefu/apps/{appid}/callback`: saved only once the URL passed
    /// WeChat's verification handshake (`verification_failed` otherwise).
    pub async fn set_callback(
        &self,
        appid: &str,
        settings: &cp::CallbackSettings,
    ) -> Result<cp::CallbackState, ClientError> {
        self.call(Method::PUT, &format!("/apps/{appid}/callback"), Some(settings))
            .await
    }

    /// `GET /_kefu/apps/{appid}/callback`: the settings and the pushes not yet delivered.
    pub async fn callback(&self, appid: &str) -> Result<cp::CallbackState, ClientError> {
        self.call::<(), _>(Method::GET, &format!("/apps/{appid}/callback"), None)
            .await
    }

    /// `DELETE /_kefu/apps/{appid}/callback`: no more pushes; undelivered ones are dropped.
    pub async fn remove_callback(&self, appid: &str) -> Result<(), ClientError> {
        self.call::<(), ()>(Method::DELETE, &format!("/apps/{appid}/callback"), None)
            .await
    }

    /// `GET /_kefu/apps/{appid}/deliveries`: the delivery log, newest first,
    /// entries older than `before` (an entry id) only, at most `limit` of them.
    pub async fn deliveries(
        &self,
        appid: &str,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<cp::DeliveryState>, ClientError> {
        let mut query = Vec::new();
        if let Some(b) = before {
            query.push(("before", b.to_string()));
        }
        if let Some(l) = limit {
            query.push(("limit", l.to_string()));
        }
        let req = self.request(Method::GET, &format!("/apps/{appid}/deliveries"));
        self.send(req.query(&query)).await
    }

    /// `GET /_kefu/health`.
    pub async fn health(&self) -> Result<c::Health, ClientError> {
        self.call::<(), _>(Method::GET, "/health", None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_admin_token() {
        let shown = format!(
            "{:?}",
            ControlClient::new("http://127.0.0.1:8080/", Some("admin-s3cr3t"))
        );
        assert!(!shown.contains("admin-s3cr3t"), "{shown}");
        assert!(shown.contains(r#"admin_token: Some("<redacted>")"#), "{shown}");
        let open = format!("{:?}", ControlClient::new("http://127.0.0.1:8080", None));
        assert!(open.contains("admin_token: None"), "{open}");
    }
}
