//! The outbox write every change that WeChat would push makes: [`push`]
//! runs inside the transaction of the change it reports, so the outbox
//! holds a push exactly when the change was committed. A leaf: it imports
//! no other service module.

use kefu_core::ids::{AppId, OpenId};
use kefu_core::push::{Push, PushEvent, PushId};
use kefu_core::Timestamp;
use kefu_store::{StoreError, Tx};

/// Queues `event` for the app's developer server, when the app has one;
/// whether it did (the dispatcher need not be woken otherwise).
pub(crate) fn push(
    tx: &mut dyn Tx,
    appid: &AppId,
    openid: &OpenId,
    at: Timestamp,
    event: PushEvent,
) -> Result<bool, StoreError> {
    if tx.callback(appid)?.is_none() {
        return Ok(false);
    }
    tx.enqueue_push(&Push {
        id: PushId(0),
        appid: appid.clone(),
        openid: openid.clone(),
        created_at: at,
        nonce: rand::random(),
        event,
    })?;
    Ok(true)
}
