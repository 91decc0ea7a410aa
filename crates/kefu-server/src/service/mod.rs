//! Service functions: the only code that sequences IO. Each one runs a
//! closure in one store transaction that loads rows, asks `kefu-core` to
//! decide, and writes the result; a rejected closure changes nothing.

pub(crate) mod apps;
pub(crate) mod clock;
pub(crate) mod components;
pub(crate) mod credentials;
pub(crate) mod demo;
pub(crate) mod followers;
pub(crate) mod kf;
pub(crate) mod messages;
pub(crate) mod metrics;
pub(crate) mod outbox;
pub(crate) mod platform;
pub(crate) mod push_settings;
pub(crate) mod replies;
pub(crate) mod seed;
pub(crate) mod sessions;
pub(crate) mod snapshots;
pub(crate) mod tokens;
pub(crate) mod workers;

use crate::error::ApiError;
use kefu_core::app::App;
use kefu_core::ids::{AppId, KfAccount};
use kefu_core::kf::KfRecord;
use kefu_core::ErrCode;
use kefu_store::Tx;

/// The caller's app as of this transaction; 65400 when its new customer
/// service is switched off.
fn enabled_app(tx: &mut dyn Tx, appid: &AppId) -> Result<App, ApiError> {
    let app = tx.app(appid)?.ok_or(ErrCode::InvalidAccessToken)?;
    if !app.kf_enabled {
        return Err(ErrCode::KfNotEnabled.into());
    }
    Ok(app)
}

/// The kf account a request names; 65401 when malformed or unknown.
fn find_kf(tx: &mut dyn Tx, app: &App, raw: &str) -> Result<KfRecord, ApiError> {
    let account = KfAccount::parse(raw, &app.wechat_id).ok_or(ErrCode::InvalidKfAccount)?;
    Ok(tx.kf(&app.appid, &account)?.ok_or(ErrCode::InvalidKfAccount)?)
}
