//! Sessions between followers and kf accounts.

use super::enabled_app;
use crate::error::ApiError;
use crate::state::AppState;
use kefu_api::wechat::KfSessionRequest;
use kefu_core::ids::{AppId, KfAccount, OpenId};
use kefu_core::session::{self, CreateOutcome};

/// `kfsession/create`: 65401, 65402, 65415, 40003, then idempotent success or 65414.
pub(crate) async fn create(state: &AppState, caller: &AppId, req: KfSessionRequest) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .write(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let kf = match KfAccount::parse(&req.kf_account, &app.wechat_id) {
                Some(account) => tx.kf(&appid, &account)?,
                None => None,
            };
            let openid = OpenId::new(req.openid.clone());
            let fan = tx.fan(&appid, &openid)?;
            let current = tx.session(&appid, &openid)?;
            match session::check_create(kf.as_ref(), fan.as_ref(), current.as_ref(), now)? {
                CreateOutcome::Exists => Ok(()),
                CreateOutcome::Open(s) => Ok(tx.insert_session(&s)?),
            }
        })
        .await
}
