//! The demo app: a certified Service Account (WeChat ID `kefu_demo`) made on
//! the first start of a store, whose appid and secret then stay the same
//! through restarts and resets, so that what a reader copied from the first
//! start keeps working. `--demo-appid` / `--demo-secret` choose them.

use super::apps::{app_info, new_app};
use super::seed;
use crate::error::ControlError;
use crate::state::{AppState, DemoCredentials};
use kefu_api::control as c;
use kefu_core::app::App;
use kefu_core::ids::AppId;
use kefu_core::Timestamp;
use kefu_store::{StoreError, Tx};

/// The meta row naming the demo app.
const DEMO_APPID: &str = "demo_appid";
/// The demo app's WeChat ID (its kf accounts are `…@kefu_demo`).
const DEMO_WECHAT_ID: &str = "kefu_demo";

/// A fresh demo app with the chosen credentials (made up where none).
fn fresh(given: &DemoCredentials, now: Timestamp) -> Result<App, ControlError> {
    new_app(
        &c::CreateApp {
            appid: given.appid.clone(),
            secret: given.secret.clone(),
            wechat_id: Some(DEMO_WECHAT_ID.into()),
            ..Default::default()
        },
        now,
    )
}

/// The demo app, found again or made, and brought to the chosen credentials.
pub async fn ensure_demo_app(state: &AppState) -> Result<c::AppInfo, ControlError> {
    let (given, now) = (state.config.demo.clone(), state.now());
    let demo = fresh(&given, now)?;
    let info = state
        .store
        .write(move |tx| {
            let known = tx.meta(DEMO_APPID)?.map(AppId::new);
            let stored = match (&known, &given.appid) {
                (Some(appid), None) => tx.app(appid)?,
                (_, Some(appid)) => tx.app(&AppId::new(appid.as_str()))?,
                (None, None) => None,
            };
            let mut app = stored.unwrap_or_else(|| demo.clone());
            if let Some(secret) = given.secret.as_ref().filter(|s| **s != app.secret) {
                app.secret = secret.clone();
            }
            tx.put_app(&app)?;
            tx.set_meta(DEMO_APPID, app.appid.as_str())?;
            Ok::<_, ControlError>(app_info(&app))
        })
        .await?;
    state.credentials.invalidate();
    Ok(info)
}

/// `POST /_kefu/reset`: wipes every app, token, account and follower, puts
/// the virtual clock back to real time, and brings the demo app back with
/// the same appid and secret (and nothing else of it), then, in the same
/// transaction, the world of the seed kefu was started with; answers what
/// it brought back.
pub(crate) async fn reset(state: &AppState) -> Result<c::ResetDone, ControlError> {
    let (now, limits) = (state.now(), state.config.limits);
    let seed = seed::kept(state).await?;
    let (demo, seeded) = state
        .store
        .write(move |tx| {
            let kept = demo_of(tx)?;
            tx.wipe()?;
            let demo = match kept {
                Some(old) => Some(demo_again(tx, old, now)?),
                None => None,
            };
            let seeded = match &seed {
                Some(p) => {
                    Some(seed::reapply(tx, p, &limits, now).map_err(|why| ControlError::Conflict("seed_broken", why))?)
                }
                None => None,
            };
            Ok::<_, ControlError>((demo, seeded))
        })
        .await?;
    state.clock.set_offset(0);
    let callbacks = seeded.as_ref().map(|(_, cbs)| cbs.as_slice()).unwrap_or_default();
    seed::after_commit(state, callbacks);
    Ok(c::ResetDone {
        demo_app: demo,
        seeded: seeded.map(|(counts, _)| counts),
    })
}

/// The demo app made again with its old appid, secret and `gh_` id.
fn demo_again(tx: &mut dyn Tx, old: App, now: Timestamp) -> Result<c::AppInfo, ControlError> {
    let app = App {
        created_at: now,
        ..fresh(&DemoCredentials::default(), now)?
    };
    let app = App {
        appid: old.appid,
        secret: old.secret,
        original_id: old.original_id,
        ..app
    };
    tx.put_app(&app)?;
    tx.set_meta(DEMO_APPID, app.appid.as_str())?;
    Ok(app_info(&app))
}

fn demo_of(tx: &mut dyn Tx) -> Result<Option<App>, StoreError> {
    match tx.meta(DEMO_APPID)? {
        Some(appid) => tx.app(&AppId::new(appid)),
        None => Ok(None),
    }
}
