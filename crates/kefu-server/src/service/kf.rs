//! Kf accounts: add, update, delete, avatar, invitations and the two lists.

use super::{enabled_app, find_kf, sessions};
use crate::error::ApiError;
use crate::state::AppState;
use kefu_api::wechat::{InviteWorkerRequest, KfAccountRequest, KfInfo, KfList, KfOnlineInfo, KfOnlineList};
use kefu_core::ids::{AppId, KfAccount, WechatId};
use kefu_core::kf::{self, AddContext, Invitation, InviteeFacts, KfRecord};
use kefu_core::session;
use kefu_core::Timestamp;
use kefu_store::HeadImage;
use kefu_store::Tx;
use std::collections::HashMap;

/// `kfaccount/add`: 65404, 65403, 65406, 65405; the account gets the app's next `kf_id`.
pub(crate) async fn add(state: &AppState, caller: &AppId, req: KfAccountRequest) -> Result<(), ApiError> {
    let (appid, limits) = (caller.clone(), state.config.limits);
    state
        .store
        .write(move |tx| {
            let mut app = enabled_app(tx, &appid)?;
            let ctx = AddContext {
                exists: tx.kf(&appid, &KfAccount::new(req.kf_account.clone()))?.is_some(),
                count: tx.kfs(&appid)?.len() as u32,
            };
            let account = kf::check_add(&req.kf_account, &req.nickname, &app.wechat_id, ctx, &limits)?;
            let rec = KfRecord::new(appid.clone(), account, app.next_kf_id, &req.nickname);
            app.next_kf_id += 1;
            tx.put_app(&app)?;
            Ok(tx.put_kf(&rec)?)
        })
        .await
}

/// `kfaccount/update`: 65401, then 65403.
pub(crate) async fn update(state: &AppState, caller: &AppId, req: KfAccountRequest) -> Result<(), ApiError> {
    let appid = caller.clone();
    state
        .store
        .write(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let mut rec = find_kf(tx, &app, &req.kf_account)?;
            kf::check_nickname(&req.nickname)?;
            rec.nickname = req.nickname.clone();
            Ok(tx.put_kf(&rec)?)
        })
        .await
}

/// `kfaccount/del`: 65401; the account's sessions close and its invitation goes.
pub(crate) async fn delete(state: &AppState, caller: &AppId, account: String) -> Result<(), ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .write(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let rec = find_kf(tx, &app, &account)?;
            // Each open session of the account closes, and is reported.
            for s in tx.sessions(&appid)?.into_iter().filter(|s| s.kf_account == rec.account) {
                sessions::end(tx, &s, s.ended_at(now))?;
            }
            Ok::<_, ApiError>(tx.delete_kf(&appid, &rec.account)?)
        })
        .await?;
    state.pushes.wake();
    Ok(())
}

/// `kfaccount/uploadheadimg`: 65401, then 40005 unless JPEG or PNG.
pub(crate) async fn upload_head_img(
    state: &AppState,
    caller: &AppId,
    account: String,
    data: Vec<u8>,
) -> Result<(), ApiError> {
    let appid = caller.clone();
    state
        .store
        .write(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let mut rec = find_kf(tx, &app, &account)?;
            let content_type = kf::avatar_type(&data)?;
            tx.put_headimg(
                &appid,
                &rec.account,
                &HeadImage {
                    content_type: content_type.into(),
                    data: data.clone(),
                },
            )?;
            rec.headimg_version += 1;
            Ok(tx.put_kf(&rec)?)
        })
        .await
}

fn invitee_facts(tx: &mut dyn Tx, inviting: &KfRecord, raw_wx: &str, now: Timestamp) -> Result<InviteeFacts, ApiError> {
    let wx = WechatId::new(raw_wx);
    let others = tx.kfs(&inviting.appid)?;
    Ok(InviteeFacts {
        bound_in_app: others.iter().any(|k| k.worker.as_ref() == Some(&wx)),
        invited_in_app: others.iter().any(|k| {
            k.account != inviting.account && k.invitation.as_ref().is_some_and(|i| i.wx == wx && i.is_effective(now))
        }),
        bindings: tx.bindings(&wx)?,
        marked_invalid: tx.wx_invalid(&wx)?,
    })
}

/// `kfaccount/inviteworker`: 65401, then the seed document's errors in the
/// contract's order; success records a `waiting` invitation.
pub(crate) async fn invite_worker(state: &AppState, caller: &AppId, req: InviteWorkerRequest) -> Result<(), ApiError> {
    let (appid, limits, now) = (caller.clone(), state.config.limits, state.now());
    state
        .store
        .write(move |tx| {
            let app = enabled_app(tx, &appid)?;
            let mut rec = find_kf(tx, &app, &req.kf_account)?;
            let facts = invitee_facts(tx, &rec, &req.invite_wx, now)?;
            let wx = kf::check_invite(&rec, &req.invite_wx, facts, &limits, now)?;
            rec.invitation = Some(Invitation {
                wx,
                expire_time: now.plus(limits.invite_ttl_secs),
                rejected: false,
            });
            Ok(tx.put_kf(&rec)?)
        })
        .await
}

fn kf_info(rec: &KfRecord, host: &str, now: Timestamp) -> KfInfo {
    let kf_headimgurl = match rec.headimg_version {
        0 => String::new(),
        v => format!("http://{host}/_kefu/media/headimg/{}/{}?v={v}", rec.appid, rec.account),
    };
    let inv = rec.invitation.as_ref().filter(|_| rec.worker.is_none());
    KfInfo {
        kf_account: rec.account.to_string(),
        kf_headimgurl,
        kf_id: rec.kf_id,
        kf_nick: rec.nickname.clone(),
        kf_wx: rec.worker.as_ref().map(ToString::to_string),
        invite_wx: inv.map(|i| i.wx.to_string()),
        invite_expire_time: inv.map(|i| i.expire_time.0),
        invite_status: inv.map(|i| i.status(now).as_str().to_owned()),
    }
}

/// `getkflist`: every account, bound ones with `kf_wx`, invited ones with
/// the invitation's state on the virtual clock.
pub(crate) async fn list(state: &AppState, caller: &AppId, host: String) -> Result<KfList, ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .read(move |tx| {
            enabled_app(tx, &appid)?;
            let kf_list = tx.kfs(&appid)?.iter().map(|k| kf_info(k, &host, now)).collect();
            Ok(KfList { kf_list })
        })
        .await
}

/// `getonlinekflist`: bound accounts whose worker is online, with `accepted_case`.
pub(crate) async fn online_list(state: &AppState, caller: &AppId) -> Result<KfOnlineList, ApiError> {
    let (appid, now) = (caller.clone(), state.now());
    state
        .store
        .read(move |tx| {
            enabled_app(tx, &appid)?;
            let cases: HashMap<_, _> = tx
                .accepted_cases(&appid, session::live_since(now))?
                .into_iter()
                .collect();
            let kf_online_list = tx
                .online_kfs(&appid)?
                .into_iter()
                .map(|(account, kf_id)| KfOnlineInfo {
                    status: 1,
                    kf_id,
                    accepted_case: cases.get(&account).map_or(0, |n| i64::from(*n)),
                    kf_account: account.to_string(),
                })
                .collect();
            Ok(KfOnlineList { kf_online_list })
        })
        .await
}
