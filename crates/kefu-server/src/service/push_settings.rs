//! Push settings of an app or a third-party platform (saved only after the
//! URL passes WeChat's handshake), and the delivery log.

use crate::error::ControlError;
use crate::outbound;
use crate::state::AppState;
use kefu_api::callback as cb;
use kefu_api::control_push as c;
use kefu_core::app::AccountType;
use kefu_core::callback::{self, CallbackConfig, Format, Mode};
use kefu_core::ids::AppId;
use kefu_core::push::Delivery;
use kefu_core::Timestamp;
use kefu_store::Tx;

type CResult<T> = Result<T, ControlError>;

/// Most log entries one read returns, and how many an app keeps.
pub(crate) const LOG_PAGE: u32 = 1000;

/// Who pushes are for: an app (of a kind), or a third-party platform.
#[derive(Debug, Clone, Copy)]
enum Owner {
    App(AccountType),
    Component,
}

/// The app or component named; 404 when it is neither.
fn owner(tx: &mut dyn Tx, appid: &AppId) -> CResult<Owner> {
    if let Some(app) = tx.app(appid)? {
        return Ok(Owner::App(app.account_type));
    }
    match tx.component(appid)? {
        Some(_) => Ok(Owner::Component),
        None => Err(ControlError::NotFound("app")),
    }
}

fn settings(req: c::CallbackSettings, appid: AppId, owner: Owner, now: Timestamp) -> CResult<CallbackConfig> {
    let mode = match (req.mode.as_deref(), owner) {
        // WeChat encrypts every push to a third-party platform.
        (None | Some("safe"), Owner::Component) => "safe",
        (Some(_), Owner::Component) => {
            return Err(ControlError::BadRequest(
                "a third-party platform's pushes are always encrypted (mode safe)".into(),
            ))
        }
        (m, Owner::App(_)) => m.unwrap_or("plaintext"),
    };
    let format = req.format.as_deref().unwrap_or("xml");
    Ok(CallbackConfig {
        appid,
        url: req.url,
        token: req.token,
        encoding_aes_key: req.encoding_aes_key.filter(|k| !k.is_empty()),
        mode: Mode::parse(mode).ok_or_else(|| ControlError::BadRequest(format!("unknown mode {mode:?}")))?,
        format: Format::parse(format).ok_or_else(|| ControlError::BadRequest(format!("unknown format {format:?}")))?,
        updated_at: now,
    })
}

fn callback_state(cfg: &CallbackConfig, pending: u64) -> c::CallbackState {
    c::CallbackState {
        settings: c::CallbackSettings {
            url: cfg.url.clone(),
            token: cfg.token.clone(),
            encoding_aes_key: cfg.encoding_aes_key.clone(),
            mode: Some(cfg.mode.as_str().into()),
            format: Some(cfg.format.as_str().into()),
        },
        updated_at: cfg.updated_at.0,
        pending,
    }
}

/// `PUT /_kefu/apps/{appid}/callback` (and `/_kefu/components/{id}/callback`):
/// checks the settings, runs the verification handshake against the URL,
/// and saves them only if the developer's server echoed `echostr`.
pub(crate) async fn configure(state: &AppState, appid: String, req: c::CallbackSettings) -> CResult<c::CallbackState> {
    let (appid, now) = (AppId::new(appid), state.now());
    let id = appid.clone();
    let who = state.store.read(move |tx| owner(tx, &id)).await?;
    let cfg = settings(req, appid, who, now)?;
    let kind = match who {
        Owner::App(t) => Some(t),
        Owner::Component => None,
    };
    callback::check(&cfg, kind).map_err(|e| ControlError::BadRequest(e.to_string()))?;
    outbound::verify_url(&cfg, now, state.config.push_timeout)
        .await
        .map_err(|why| ControlError::Refused("verification_failed", why))?;
    let saved = cfg.clone();
    let pending = state
        .store
        .write(move |tx| {
            owner(tx, &saved.appid)?;
            tx.put_callback(&saved)?;
            Ok::<_, ControlError>(tx.pending_pushes(&saved.appid)?)
        })
        .await?;
    state.pushes.forget(&cfg.appid);
    Ok(callback_state(&cfg, pending))
}

/// `GET /_kefu/apps/{appid}/callback`.
pub(crate) async fn show(state: &AppState, appid: String) -> CResult<c::CallbackState> {
    let appid = AppId::new(appid);
    state
        .store
        .read(move |tx| {
            owner(tx, &appid)?;
            let cfg = tx.callback(&appid)?.ok_or(ControlError::NotFound("callback"))?;
            Ok(callback_state(&cfg, tx.pending_pushes(&appid)?))
        })
        .await
}

/// `DELETE /_kefu/apps/{appid}/callback`: no more pushes; undelivered ones
/// are dropped.
pub(crate) async fn remove(state: &AppState, appid: String) -> CResult<()> {
    let appid = AppId::new(appid);
    let forget = appid.clone();
    state
        .store
        .write(move |tx| {
            owner(tx, &appid)?;
            tx.callback(&appid)?.ok_or(ControlError::NotFound("callback"))?;
            Ok::<_, ControlError>(tx.delete_callback(&appid)?)
        })
        .await?;
    state.pushes.forget(&forget);
    Ok(())
}

/// `GET /_kefu/apps/{appid}/deliveries?before=&limit=`: newest first.
pub(crate) async fn deliveries(
    state: &AppState,
    appid: String,
    before: Option<i64>,
    limit: Option<u32>,
) -> CResult<Vec<c::DeliveryState>> {
    let appid = AppId::new(appid);
    let limit = limit.unwrap_or(100).clamp(1, LOG_PAGE);
    state
        .store
        .read(move |tx| {
            owner(tx, &appid)?;
            let config = tx.callback(&appid)?;
            let key = config
                .and_then(|c| c.encoding_aes_key)
                .and_then(|k| cb::AesKey::parse(&k).ok());
            Ok(tx
                .deliveries(&appid, before, limit)?
                .iter()
                .map(|d| delivery_state(d, key.as_ref()))
                .collect())
        })
        .await
}

/// `body`'s `Encrypt` opened with `key`, when it has one that opens.
fn opened(key: Option<&cb::AesKey>, body: &str) -> Option<String> {
    let parsed = cb::parse(cb::Format::sniff(body), body).ok()?;
    let opened = cb::decrypt(key?, parsed.get("Encrypt")?).ok()?;
    String::from_utf8(opened.msg).ok()
}

fn delivery_state(d: &Delivery, key: Option<&cb::AesKey>) -> c::DeliveryState {
    c::DeliveryState {
        id: d.id,
        push_id: d.push_id.0,
        openid: d.openid.to_string(),
        event: d.event.clone(),
        attempt: d.attempt,
        at: d.at.0,
        url: d.url.clone(),
        request: d.request.clone(),
        status: d.status,
        response: d.response.clone(),
        latency_ms: d.latency_ms,
        outcome: d.outcome.as_str().into(),
        detail: d.detail.clone(),
        last: d.last,
        request_plain: opened(key, &d.request),
        response_plain: opened(key, &d.response),
    }
}
