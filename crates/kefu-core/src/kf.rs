//! Kf accounts, invitations and the workers who bind them.
//!
//! A kf account is created unbound; `inviteworker` sends an invitation that
//! the WeChat user accepts (binding the account) or rejects, or that expires
//! on the virtual clock. Only a bound account's worker can go online.

use crate::errcode::ErrCode;
use crate::ids::{AppId, KfAccount, Timestamp, WechatId};
use crate::limits::Limits;

pub use crate::human::HumanError;

/// What an invitation looks like at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteStatus {
    /// Sent, neither answered nor expired.
    Waiting,
    /// The WeChat user declined.
    Rejected,
    /// Not answered before `invite_expire_time`.
    Expired,
}

impl InviteStatus {
    /// The wire name (`invite_status`).
    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Waiting => "waiting",
            InviteStatus::Rejected => "rejected",
            InviteStatus::Expired => "expired",
        }
    }
}

/// An invitation to bind a kf account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The invited WeChat user.
    pub wx: WechatId,
    /// When the invitation stops being answerable.
    pub expire_time: Timestamp,
    /// Whether the user declined it.
    pub rejected: bool,
}

impl Invitation {
    /// The status at `now`: an unanswered invitation is expired from
    /// `expire_time` on.
    pub fn status(&self, now: Timestamp) -> InviteStatus {
        if self.rejected {
            InviteStatus::Rejected
        } else if now >= self.expire_time {
            InviteStatus::Expired
        } else {
            InviteStatus::Waiting
        }
    }

    /// Whether the invitation still blocks new ones (65411 / 65408).
    pub fn is_effective(&self, now: Timestamp) -> bool {
        self.status(now) == InviteStatus::Waiting
    }
}

/// One kf account of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfRecord {
    /// The app that owns it.
    pub appid: AppId,
    /// `prefix@wechat_id`.
    pub account: KfAccount,
    /// The account's number within the app (from 1001).
    pub kf_id: i64,
    /// Display name.
    pub nickname: String,
    /// Bumped on every avatar upload; 0 when there is none.
    pub headimg_version: i64,
    /// The WeChat user bound to the account.
    pub worker: Option<WechatId>,
    /// Whether the bound worker is logged in to the kf client.
    pub online: bool,
    /// The latest invitation, until it is accepted.
    pub invitation: Option<Invitation>,
}

/// A nickname is 1-16 characters and not only white space (else 65403).
pub fn check_nickname(nickname: &str) -> Result<(), ErrCode> {
    let n = nickname.chars().count();
    if n == 0 || n > 16 || nickname.trim().is_empty() {
        return Err(ErrCode::IllegalNickname);
    }
    Ok(())
}

/// The content type of an avatar file, judged by its first bytes: JPEG or
/// PNG; 40005 for anything else.
pub fn avatar_type(data: &[u8]) -> Result<&'static str, ErrCode> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else {
        Err(ErrCode::InvalidFileType)
    }
}

/// What `kfaccount/add` needs to know besides the request.
#[derive(Debug, Clone, Copy)]
pub struct AddContext {
    /// Whether an account with that name exists.
    pub exists: bool,
    /// How many accounts the app has.
    pub count: u32,
}

/// Checks `kfaccount/add` in the contract's order: 65404, 65403, 65406, 65405.
pub fn check_add(
    raw_account: &str,
    nickname: &str,
    app_wechat_id: &str,
    ctx: AddContext,
    limits: &Limits,
) -> Result<KfAccount, ErrCode> {
    let account = KfAccount::parse(raw_account, app_wechat_id).ok_or(ErrCode::IllegalKfAccount)?;
    check_nickname(nickname)?;
    if ctx.exists {
        return Err(ErrCode::KfAccountExists);
    }
    if ctx.count >= limits.max_kf_accounts {
        return Err(ErrCode::KfAccountLimit);
    }
    Ok(account)
}

/// Facts about the invited user that `inviteworker` checks after the account's own state
/// (looked up by the raw `invite_wx`; they are ignored when it is malformed).
#[derive(Debug, Clone, Copy, Default)]
pub struct InviteeFacts {
    /// The user is bound to one of this app's kf accounts (65407).
    pub bound_in_app: bool,
    /// The user holds a waiting invitation from this app for another account (65408).
    pub invited_in_app: bool,
    /// How many kf accounts, in all apps, the user is bound to (65410).
    pub bindings: u32,
    /// The user was marked as non-existent through the control API (65409).
    pub marked_invalid: bool,
}

/// Checks `inviteworker` after 65401 (the account was found) in the contract's
/// order: 65409, 65412, 65411, 65407, 65408, 65410. Returns the parsed invitee.
pub fn check_invite(
    kf: &KfRecord,
    raw_wx: &str,
    facts: InviteeFacts,
    limits: &Limits,
    now: Timestamp,
) -> Result<WechatId, ErrCode> {
    let wx = WechatId::parse(raw_wx).ok_or(ErrCode::InvalidWechatAccount)?;
    if facts.marked_invalid {
        return Err(ErrCode::InvalidWechatAccount);
    }
    if kf.worker.is_some() {
        return Err(ErrCode::AlreadyBound);
    }
    if kf.invitation.as_ref().is_some_and(|i| i.is_effective(now)) {
        return Err(ErrCode::InvitationPending);
    }
    if facts.bound_in_app {
        return Err(ErrCode::AlreadyWorker);
    }
    if facts.invited_in_app {
        return Err(ErrCode::AlreadyInvited);
    }
    if facts.bindings >= limits.max_bindings_per_worker {
        return Err(ErrCode::TooManyBindings);
    }
    Ok(wx)
}

impl KfRecord {
    /// A new account: unbound, offline, no avatar, no invitation.
    pub fn new(appid: AppId, account: KfAccount, kf_id: i64, nickname: &str) -> KfRecord {
        KfRecord {
            appid,
            account,
            kf_id,
            nickname: nickname.to_owned(),
            headimg_version: 0,
            worker: None,
            online: false,
            invitation: None,
        }
    }

    /// The invited user accepts: the account is bound and the invitation cleared.
    /// `bindings` is how many accounts the user is already bound to.
    pub fn accept_invitation(&mut self, bindings: u32, limits: &Limits, now: Timestamp) -> Result<(), HumanError> {
        let wx = self.answerable_invitation(now)?.wx.clone();
        if bindings >= limits.max_bindings_per_worker {
            return Err(HumanError::TooManyBindings);
        }
        self.worker = Some(wx);
        self.invitation = None;
        Ok(())
    }

    /// The invited user declines.
    pub fn reject_invitation(&mut self, now: Timestamp) -> Result<(), HumanError> {
        self.answerable_invitation(now)?;
        if let Some(inv) = self.invitation.as_mut() {
            inv.rejected = true;
        }
        Ok(())
    }

    /// The bound worker logs in or out.
    pub fn set_online(&mut self, online: bool) -> Result<(), HumanError> {
        if self.worker.is_none() {
            return Err(HumanError::NotBound);
        }
        self.online = online;
        Ok(())
    }

    fn answerable_invitation(&self, now: Timestamp) -> Result<&Invitation, HumanError> {
        let inv = self.invitation.as_ref().ok_or(HumanError::NoInvitation)?;
        match inv.status(now) {
            InviteStatus::Waiting => Ok(inv),
            InviteStatus::Rejected => Err(HumanError::InvitationRejected),
            InviteStatus::Expired => Err(HumanError::InvitationExpired),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatars_are_jpeg_or_png_by_their_first_bytes() {
        assert_eq!(avatar_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok("image/jpeg"));
        assert_eq!(avatar_type(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        for other in [&b"GIF89a"[..], b"", b"\xFF\xD8", b"<svg"] {
            assert_eq!(avatar_type(other), Err(ErrCode::InvalidFileType));
        }
    }

    fn kf() -> KfRecord {
        KfRecord::new(AppId::new("wx"), KfAccount::new("a@test"), 1001, "A")
    }

    fn invited(expire: i64) -> KfRecord {
        let mut k = kf();
        k.invitation = Some(Invitation {
            wx: WechatId::new("worker_1"),
            expire_time: Timestamp(expire),
            rejected: false,
        });
        k
    }

    const NONE: InviteeFacts = InviteeFacts {
        bound_in_app: false,
        invited_in_app: false,
        bindings: 0,
        marked_invalid: false,
    };

    #[test]
    fn an_invitation_expires_at_its_expire_time() {
        let k = invited(100);
        let inv = k.invitation.as_ref().unwrap();
        assert_eq!(inv.status(Timestamp(99)), InviteStatus::Waiting);
        assert_eq!(inv.status(Timestamp(100)), InviteStatus::Expired);
    }

    #[test]
    fn a_bound_account_with_an_expired_invitation_answers_65412() {
        let mut k = invited(100);
        k.worker = Some(WechatId::new("worker_0"));
        let r = check_invite(&k, "worker_2", NONE, &Limits::default(), Timestamp(200));
        assert_eq!(r, Err(ErrCode::AlreadyBound));
    }

    #[test]
    fn invite_checks_follow_the_contract_order() {
        let l = Limits::default();
        let t = Timestamp(50);
        let pending = invited(100);
        assert_eq!(
            check_invite(&pending, "x", NONE, &l, t),
            Err(ErrCode::InvalidWechatAccount)
        );
        assert_eq!(
            check_invite(&pending, "worker_2", NONE, &l, t),
            Err(ErrCode::InvitationPending)
        );
        let all = InviteeFacts {
            bound_in_app: true,
            invited_in_app: true,
            bindings: 9,
            marked_invalid: false,
        };
        assert_eq!(check_invite(&kf(), "worker_2", all, &l, t), Err(ErrCode::AlreadyWorker));
        let invited_only = InviteeFacts {
            invited_in_app: true,
            bindings: 9,
            ..Default::default()
        };
        assert_eq!(
            check_invite(&kf(), "worker_2", invited_only, &l, t),
            Err(ErrCode::AlreadyInvited)
        );
        let full = InviteeFacts {
            bindings: 5,
            ..Default::default()
        };
        assert_eq!(
            check_invite(&kf(), "worker_2", full, &l, t),
            Err(ErrCode::TooManyBindings)
        );
        assert!(check_invite(&invited(10), "worker_2", NONE, &l, t).is_ok());
    }

    #[test]
    fn accepting_binds_and_clears_the_invitation() {
        let mut k = invited(100);
        k.accept_invitation(0, &Limits::default(), Timestamp(1)).unwrap();
        assert_eq!(k.worker, Some(WechatId::new("worker_1")));
        assert_eq!(k.invitation, None);
    }

    #[test]
    fn an_expired_or_rejected_invitation_cannot_be_answered() {
        let mut k = invited(100);
        let l = Limits::default();
        assert_eq!(
            k.accept_invitation(0, &l, Timestamp(100)),
            Err(HumanError::InvitationExpired)
        );
        k.reject_invitation(Timestamp(1)).unwrap();
        assert_eq!(
            k.accept_invitation(0, &l, Timestamp(2)),
            Err(HumanError::InvitationRejected)
        );
        assert_eq!(kf().reject_invitation(Timestamp(1)), Err(HumanError::NoInvitation));
    }

    #[test]
    fn only_a_bound_worker_goes_online() {
        let mut k = kf();
        assert_eq!(k.set_online(true), Err(HumanError::NotBound));
        k.worker = Some(WechatId::new("worker_1"));
        k.set_online(true).unwrap();
        assert!(k.online);
    }

    #[test]
    fn add_checks_follow_the_contract_order() {
        let l = Limits::default();
        let full = AddContext {
            exists: true,
            count: 100,
        };
        assert_eq!(check_add("bad", "", "test", full, &l), Err(ErrCode::IllegalKfAccount));
        assert_eq!(check_add("a@test", "", "test", full, &l), Err(ErrCode::IllegalNickname));
        assert_eq!(
            check_add("a@test", "A", "test", full, &l),
            Err(ErrCode::KfAccountExists)
        );
        let at_limit = AddContext {
            exists: false,
            count: 100,
        };
        assert_eq!(
            check_add("a@test", "A", "test", at_limit, &l),
            Err(ErrCode::KfAccountLimit)
        );
        let room = AddContext {
            exists: false,
            count: 99,
        };
        assert_eq!(check_add("a@test", "A", "test", room, &l), Ok(KfAccount::new("a@test")));
    }

    #[test]
    fn nicknames_are_one_to_sixteen_characters() {
        assert!(check_nickname("客服小王").is_ok());
        assert!(check_nickname(&"字".repeat(16)).is_ok());
        assert_eq!(check_nickname(&"字".repeat(17)), Err(ErrCode::IllegalNickname));
        assert_eq!(check_nickname(""), Err(ErrCode::IllegalNickname));
        assert_eq!(check_nickname("   "), Err(ErrCode::IllegalNickname));
    }
}
