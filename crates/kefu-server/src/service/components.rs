//! Third-party platforms on the control side: create a component, push its
//! verify ticket (on demand, and every 10 minutes to a component with push
//! settings), and play the merchant who authorizes or revokes it.

use super::apps::{checked_whitelist, load_app};
use super::outbox;
use crate::error::ControlError;
use crate::gen;
use crate::state::AppState;
use kefu_api::platform as p;
use kefu_core::ids::{AppId, OpenId};
use kefu_core::platform::{normalize_sets, ticket_due, Authorization, Component, Ticket};
use kefu_core::push::PushEvent;
use kefu_core::Timestamp;
use kefu_store::{StoreError, Tx};

type CResult<T> = Result<T, ControlError>;

fn info(c: &Component) -> p::ComponentInfo {
    p::ComponentInfo {
        component_appid: c.appid.to_string(),
        component_appsecret: c.secret.clone(),
        ip_whitelist: c.ip_whitelist.entries(),
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

/// Keeps a new ticket and pushes it, when the component has push settings.
fn issue(tx: &mut dyn Tx, component: &AppId, now: Timestamp) -> Result<Ticket, StoreError> {
    let t = Ticket {
        component: component.clone(),
        ticket: gen::ticket(),
        issued_at: now,
    };
    tx.put_ticket(&t)?;
    let event = PushEvent::ComponentVerifyTicket {
        ticket: t.ticket.clone(),
    };
    outbox::push(tx, component, &OpenId::new(""), now, event)?;
    Ok(t)
}

/// `POST /_kefu/components/{component_appid}/ticket`: a new verify ticket,
/// valid 12 hours (earlier ones stay valid until their own 12 hours end).
pub(crate) async fn push_ticket(state: &AppState, component: String) -> CResult<p::TicketInfo> {
    let (component, now) = (AppId::new(component), state.now());
    let info = state
        .store
        .write(move |tx| {
            load(tx, &component)?;
            let t = issue(tx, &component, now)?;
            Ok::<_, ControlError>(p::TicketInfo {
                component_verify_ticket: t.ticket,
            })
        })
        .await?;
    state.pushes.wake();
    Ok(info)
}

/// WeChat's 10-minute ticket push: every component with push settings whose
/// latest ticket is 10 minutes old (or that has none) gets a new one.
pub(crate) async fn push_due_tickets(state: &AppState) -> Result<usize, StoreError> {
    let now = state.now();
    let due = move |tx: &mut dyn Tx| -> Result<Vec<AppId>, StoreError> {
        let mut due = Vec::new();
        for c in tx.pushed_components()? {
            if ticket_due(tx.latest_ticket(&c)?.as_ref(), now) {
                due.push(c);
            }
        }
        Ok(due)
    };
    // A read first: most rounds find nothing due and need no write.
    if state.store.read(move |tx| due(tx)).await?.is_empty() {
        return Ok(0);
    }
    let issued = state
        .store
        .write(move |tx| {
            let components = due(tx)?;
            for c in &components {
                issue(tx, c, now)?;
            }
            Ok::<_, StoreError>(components.len())
        })
        .await?;
    state.pushes.wake();
    Ok(issued)
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
