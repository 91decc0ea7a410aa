//! The table of endpoints: method, scope (which account types may call, and
//! whether they must be certified) and third-party permission sets.
//!
//! One table for all endpoints, so that the server's authority check and the
//! documentation can never disagree.

use crate::app::AccountType;
use crate::errcode::ErrCode;

/// Whether an account type may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Not callable by this account type (48001).
    No,
    /// Callable (✔).
    Yes,
    /// Callable by certified accounts only (仅认证).
    CertifiedOnly,
}

/// Which HTTP methods an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// POST only; GET answers 43002.
    Post,
    /// GET, and POST as well.
    Get,
    /// Both, as documented (`kfaccount/del`).
    Both,
}

/// One row of the endpoint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The documented path.
    pub path: &'static str,
    /// Accepted methods.
    pub method: Method,
    /// Access for Mini Program, Official Account, Service Account, MiniGame.
    pub scope: [Access; 4],
    /// Third-party permission sets, any one of which allows the call.
    pub perm_sets: &'static [u32],
    /// Whether the endpoint needs an `access_token` at all.
    pub needs_token: bool,
    /// The largest request body read; more answers 45002.
    pub body_limit: usize,
}

/// Largest JSON body an endpoint reads.
pub const JSON_BODY_LIMIT: usize = 1 << 20;
/// Largest avatar file `kfaccount/uploadheadimg` takes.
pub const AVATAR_LIMIT: usize = 5 << 20;
/// Room for the multipart envelope around the avatar.
const MULTIPART_SLACK: usize = 64 << 10;

use Access::{CertifiedOnly as C, No as N, Yes as Y};

const ALL_TYPES: [Access; 4] = [Y, Y, Y, Y];
const MP_OA_SA_MG: [Access; 4] = [Y, C, C, Y];
const OA_SA_ONLY: [Access; 4] = [N, C, C, N];
const MP_MG_ONLY: [Access; 4] = [Y, N, N, Y];
const KF_SETS: &[u32] = &[1, 6, 19, 100, 101];
const SESSION_SETS: &[u32] = &[1, 6, 100, 101];
const BUSINESS_SETS: &[u32] = &[1, 6, 19, 59, 100, 101];

const fn ep(path: &'static str, method: Method, scope: [Access; 4], perm_sets: &'static [u32]) -> Endpoint {
    Endpoint {
        path,
        method,
        scope,
        perm_sets,
        needs_token: true,
        body_limit: JSON_BODY_LIMIT,
    }
}

/// An upload endpoint: its body is a multipart form around one file.
const fn upload(e: Endpoint, file_limit: usize) -> Endpoint {
    Endpoint {
        body_limit: file_limit + MULTIPART_SLACK,
        ..e
    }
}

const fn credential(path: &'static str, method: Method) -> Endpoint {
    Endpoint {
        path,
        method,
        scope: ALL_TYPES,
        perm_sets: &[],
        needs_token: false,
        body_limit: JSON_BODY_LIMIT,
    }
}

/// Every endpoint kefu answers on the WeChat side.
pub const ENDPOINTS: &[Endpoint] = &[
    credential("/cgi-bin/token", Method::Get),
    credential("/cgi-bin/stable_token", Method::Post),
    credential("/cgi-bin/clear_quota/v2", Method::Post),
    credential("/cgi-bin/component/api_component_token", Method::Post),
    credential("/cgi-bin/component/api_authorizer_token", Method::Post),
    ep("/cgi-bin/clear_quota", Method::Post, ALL_TYPES, &[]),
    ep("/customservice/kfaccount/add", Method::Post, MP_OA_SA_MG, KF_SETS),
    ep(
        "/customservice/kfaccount/update",
        Method::Post,
        OA_SA_ONLY,
        SESSION_SETS,
    ),
    ep("/customservice/kfaccount/del", Method::Both, MP_OA_SA_MG, KF_SETS),
    upload(
        ep(
            "/customservice/kfaccount/uploadheadimg",
            Method::Post,
            OA_SA_ONLY,
            SESSION_SETS,
        ),
        AVATAR_LIMIT,
    ),
    ep(
        "/customservice/kfaccount/inviteworker",
        Method::Post,
        MP_OA_SA_MG,
        KF_SETS,
    ),
    ep("/cgi-bin/customservice/getkflist", Method::Get, MP_OA_SA_MG, KF_SETS),
    ep(
        "/cgi-bin/customservice/getonlinekflist",
        Method::Get,
        MP_OA_SA_MG,
        KF_SETS,
    ),
    ep(
        "/customservice/kfsession/create",
        Method::Post,
        OA_SA_ONLY,
        SESSION_SETS,
    ),
    ep("/customservice/kfsession/close", Method::Post, OA_SA_ONLY, SESSION_SETS),
    ep(
        "/customservice/kfsession/getsession",
        Method::Get,
        OA_SA_ONLY,
        SESSION_SETS,
    ),
    ep(
        "/customservice/kfsession/getsessionlist",
        Method::Get,
        OA_SA_ONLY,
        SESSION_SETS,
    ),
    ep(
        "/customservice/kfsession/getwaitcase",
        Method::Get,
        OA_SA_ONLY,
        SESSION_SETS,
    ),
    ep(
        "/customservice/msgrecord/getmsglist",
        Method::Post,
        MP_OA_SA_MG,
        KF_SETS,
    ),
    ep("/cgi-bin/message/custom/send", Method::Post, MP_OA_SA_MG, KF_SETS),
    ep("/cgi-bin/message/custom/typing", Method::Post, MP_OA_SA_MG, KF_SETS),
    ep(
        "/cgi-bin/message/custom/business/typing",
        Method::Post,
        MP_MG_ONLY,
        BUSINESS_SETS,
    ),
];

/// Undocumented paths some SDKs send, and the documented path each stands
/// for. kefu answers them only in lenient mode (else 40066).
pub const ALIASES: &[(&str, &str)] = &[
    ("/cgi-bin/customservice/kfaccount/add", "/customservice/kfaccount/add"),
    (
        "/cgi-bin/customservice/kfaccount/update",
        "/customservice/kfaccount/update",
    ),
    ("/cgi-bin/customservice/kfaccount/del", "/customservice/kfaccount/del"),
    (
        "/cgi-bin/customservice/kfaccount/uploadheadimg",
        "/customservice/kfaccount/uploadheadimg",
    ),
    (
        "/cgi-bin/customservice/kfaccount/inviteworker",
        "/customservice/kfaccount/inviteworker",
    ),
    (
        "/cgi-bin/customservice/kfsession/create",
        "/customservice/kfsession/create",
    ),
    (
        "/cgi-bin/customservice/kfsession/close",
        "/customservice/kfsession/close",
    ),
    (
        "/cgi-bin/customservice/kfsession/getsession",
        "/customservice/kfsession/getsession",
    ),
    (
        "/cgi-bin/customservice/kfsession/getsessionlist",
        "/customservice/kfsession/getsessionlist",
    ),
    (
        "/cgi-bin/customservice/kfsession/getwaitcase",
        "/customservice/kfsession/getwaitcase",
    ),
    ("/customservice/getkflist", "/cgi-bin/customservice/getkflist"),
    (
        "/customservice/getonlinekflist",
        "/cgi-bin/customservice/getonlinekflist",
    ),
];

/// A retired endpoint some SDKs still call, and the documented endpoint
/// that replaced it. kefu answers it only in lenient mode (else 40066).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Legacy {
    /// The retired endpoint: its path, methods, scope and body limit.
    pub endpoint: Endpoint,
    /// The documented path that replaced it.
    pub replaced_by: &'static str,
}

/// Retired endpoints kefu answers in lenient mode, each in its own old
/// shape (not as an alias: their bodies and answers differ from their
/// replacements').
pub const LEGACY: &[Legacy] = &[Legacy {
    // co-wechat-api 3.11's `getRecords`: `{starttime, endtime, pageindex,
    // pagesize}` answered `{"recordlist":[...]}`.
    endpoint: ep("/customservice/msgrecord/getrecord", Method::Post, MP_OA_SA_MG, KF_SETS),
    replaced_by: "/customservice/msgrecord/getmsglist",
}];

/// Looks an endpoint up by its documented path.
pub fn find(path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.path == path)
}

/// The documented path an alias stands for.
pub fn documented(alias: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(a, _)| *a == alias).map(|(_, d)| *d)
}

/// The retired endpoint at `path`, if any.
pub fn legacy(path: &str) -> Option<&'static Legacy> {
    LEGACY.iter().find(|l| l.endpoint.path == path)
}

impl Endpoint {
    /// The access an account type has to this endpoint.
    pub fn access(&self, t: AccountType) -> Access {
        let i = match t {
            AccountType::MiniProgram => 0,
            AccountType::OfficialAccount => 1,
            AccountType::ServiceAccount => 2,
            AccountType::MiniGame => 3,
        };
        self.scope[i]
    }

    /// 48001 unless an app of this type and certification may call this endpoint.
    pub fn authorize(&self, account_type: AccountType, certified: bool) -> Result<(), ErrCode> {
        match self.access(account_type) {
            Access::Yes => Ok(()),
            Access::CertifiedOnly if certified => Ok(()),
            _ => Err(ErrCode::ApiUnauthorized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_create_is_for_certified_official_and_service_accounts_only() {
        let create = find("/customservice/kfsession/create").unwrap();
        assert_eq!(create.authorize(AccountType::ServiceAccount, true), Ok(()));
        assert_eq!(create.authorize(AccountType::OfficialAccount, true), Ok(()));
        for (t, c) in [
            (AccountType::ServiceAccount, false),
            (AccountType::OfficialAccount, false),
            (AccountType::MiniProgram, true),
            (AccountType::MiniGame, true),
        ] {
            assert_eq!(create.authorize(t, c), Err(ErrCode::ApiUnauthorized));
        }
    }

    #[test]
    fn inviteworker_lets_uncertified_mini_programs_in() {
        let invite = find("/customservice/kfaccount/inviteworker").unwrap();
        assert_eq!(invite.authorize(AccountType::MiniProgram, false), Ok(()));
        assert_eq!(invite.authorize(AccountType::MiniGame, false), Ok(()));
        assert_eq!(
            invite.authorize(AccountType::OfficialAccount, false),
            Err(ErrCode::ApiUnauthorized)
        );
        assert_eq!(invite.perm_sets, &[1, 6, 19, 100, 101]);
    }

    #[test]
    fn every_alias_stands_for_a_documented_endpoint() {
        for (alias, doc) in ALIASES {
            assert!(find(doc).is_some(), "{doc}");
            assert!(find(alias).is_none(), "{alias}");
        }
    }

    #[test]
    fn every_legacy_endpoint_is_retired_for_a_documented_one() {
        for l in LEGACY {
            assert!(find(l.replaced_by).is_some(), "{}", l.replaced_by);
            assert!(find(l.endpoint.path).is_none(), "{}", l.endpoint.path);
            assert!(documented(l.endpoint.path).is_none(), "{}", l.endpoint.path);
        }
    }

    #[test]
    fn paths_are_unique() {
        for (i, a) in ENDPOINTS.iter().enumerate() {
            assert!(ENDPOINTS[i + 1..].iter().all(|b| b.path != a.path), "{}", a.path);
        }
    }
}
