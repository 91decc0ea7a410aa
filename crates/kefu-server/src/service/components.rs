//! Third-party platforms on the control side: create a component, push its
//! verify ticket, and play the merchant who authorizes or revokes it.

use super::apps::{checked_whitelist, load_app};
use crate::error::ControlError;
use crate::gen;
use crate::state::AppState;
use kefu_api::platform as p;
use kefu_core::ids::AppId;
use kefu_core::platform::{normalize_sets, Authorization, Component, Ticket};
use kefu_store::Tx;

type CResult<T> = Result<T, ControlError>;

fn info(c: &Component) -> p::ComponentInfo {
    p::ComponentInfo {
        component_appid: c.appid.to_string(),
        component_appsecret: c.secret.clone(),
        ip_whitelist: c.ip_whitelist.clone(),
    }
}

fn load(tx: &mut dyn Tx, appid: &AppId) -> CResult<Component> {
    tx.component(appid)?.ok_or(ControlError::NotFound("component"))
}

/// `POST /_kefu/components`: 409 when the appid is taken by a component or an app.
pub(crate) async fn create(state: &AppState, req: p::CreateComponent) -> CResult<p::ComponentInfo> {
    let c = Component {
        appid: AppId::new(req.component_appid.filter(|a| !a.is_empty()).unwrap_or_else(gen::appid)),
        secret: req
            .component_appsecret
            .filter(|s| !s.is_empty())
            .unwrap_or_else(gen::secret),
        ip_whitelist: checked_whitelist(&req.ip_whitelist.unwrap_or_default())?,
        created_at: state.now(),
    };
    state
        .store
        .write(move |tx| {
            if tx.component(&c.appid)?.is_some() || tx.app(&c.appid)?.is_some() {
                let msg = format!("{} is taken", c.appid);
                return Err(ControlError::Conflict("component_exists", msg));
            }
            tx.put_component(&c)?;
            Ok(info(&c))
        })
        .await
}

/// `GET /_kefu/components/{component_appid}`.
pub(crate) async fn show(state: &AppState, component: String) -> CResult<p::ComponentState> {
    let component = AppId::new(component);
    state
        .store
        .read(move |tx| {
            let c = load(tx, &component)?;
            let authorizations = tx
                .authorizations(&component)?
                .into_iter()
                .map(|a| p::AuthorizationState {
                    appid: a.appid.to_string(),
                    permission_sets: a.perm_sets,
                    authorized_at: a.authorized_at.0,
                })
                .collect();
            Ok(p::ComponentState {
                component: info(&c),
                authorizations,
            })
        })
        .await
}

/// `POST /_kefu/components/{component_appid}/ticket`: a new verify ticket,
/// valid 12 hours (earlier ones stay valid until their own 12 hours end).
pub(crate) async fn push_ticket(state: &AppState, component: String) -> CResult<p::TicketInfo> {
    let t = Ticket {
        component: AppId::new(component),
        ticket: gen::ticket(),
        issued_at: state.now(),
    };
    state
        .store
        .write(move |tx| {
            load(tx, &t.component)?;
            tx.put_ticket(&t)?;
            Ok(p::TicketInfo {
                component_verify_ticket: t.ticket.clone(),
            })
        })
        .await
}

/// `POST /_kefu/components/{component_appid}/authorizations`: the merchant
/// authorizes (or re-authorizes, changing the sets) the component. Answers
/// a new refresh token; a re-authorization keeps the earlier refresh token
/// working for five minutes and the pair's access tokens alive.
pub(crate) async fn authorize(state: &AppState, component: String, req: p::Authorize) -> CResult<p::Authorized> {
    let sets = normalize_sets(&req.permission_sets)
        .ok_or_else(|| ControlError::BadRequest("permission sets are positive ids".into()))?;
    let (component, appid, now, refresh) = (
        AppId::new(component),
        AppId::new(req.appid),
        state.now(),
        gen::refresh_token(),
    );
    let done = state
        .store
        .write(move |tx| {
            load(tx, &component)?;
            load_app(tx, &appid)?;
            let auth = match tx.authorization(&component, &appid)? {
                Some(mut a) => {
                    a.perm_sets = sets.clone();
                    a.rotate_refresh(refresh.clone(), now);
                    a
                }
                None => Authorization::new(component.clone(), appid.clone(), sets.clone(), refresh.clone(), now),
            };
            tx.put_authorization(&auth)?;
            Ok::<_, ControlError>(p::Authorized {
                authorizer_refresh_token: auth.refresh_token,
            })
        })
        .await?;
    state.credentials.invalidate();
    Ok(done)
}

/// `DELETE /_kefu/components/{component_appid}/authorizations/{appid}`: the
/// merchant revokes; the pair's tokens answer 40001 and its refresh tokens
/// 61003 from now on.
pub(crate) async fn revoke(state: &AppState, component: String, appid: String) -> CResult<()> {
    let (component, appid, now) = (AppId::new(component), AppId::new(appid), state.now());
    state
        .store
        .write(move |tx| {
            tx.authorization(&component, &appid)?
                .ok_or(ControlError::NotFound("authorization"))?;
            tx.delete_authorization(&component, &appid)?;
            Ok::<_, ControlError>(tx.invalidate_authorizer_tokens(&component, &appid, now)?)
        })
        .await?;
    state.credentials.invalidate();
    Ok(())
}
