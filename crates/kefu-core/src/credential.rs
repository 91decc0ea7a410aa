//! Who may call, in the order WeChat checks it: the shape of the
//! `access_token` parameter (41001, 40014), the secret of a token request
//! (41004, 40125), and whether a token's holder may call an endpoint
//! (48001 for a component's own token or the app's type and certification,
//! then 61007 for a component acting without the endpoint's permission set).
//! The token's own lifetime (40001, 42001) is [`crate::token`]'s.

use crate::app::AccountType;
use crate::endpoint::Endpoint;
use crate::errcode::ErrCode;
use crate::ids::{AccessToken, AppId};

/// 41001 when no `access_token` was given, 40014 when it cannot be one.
pub fn check_token_param(token: &str) -> Result<(), ErrCode> {
    if token.is_empty() {
        return Err(ErrCode::AccessTokenMissing);
    }
    if !AccessToken::looks_valid(token) {
        return Err(ErrCode::InvalidAccessToken);
    }
    Ok(())
}

/// 40002 unless `grant_type=client_credential`, then 41002 without an appid.
pub fn check_grant_type(grant_type: Option<&str>, appid: &str) -> Result<(), ErrCode> {
    if grant_type != Some("client_credential") {
        return Err(ErrCode::InvalidGrantType);
    }
    if appid.is_empty() {
        return Err(ErrCode::AppIdMissing);
    }
    Ok(())
}

/// Whether two secrets are equal, in a time that does not depend on where
/// they differ (only on their lengths), so that timing a refusal tells
/// nothing of the secret.
pub fn same_secret(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// 41004 when no secret was given, 40125 when it is not the expected one.
pub fn check_secret(expected: &str, given: &str) -> Result<(), ErrCode> {
    if given.is_empty() {
        return Err(ErrCode::AppSecretMissing);
    }
    if !same_secret(given, expected) {
        return Err(ErrCode::InvalidAppSecret);
    }
    Ok(())
}

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// The app itself (`cgi-bin/token`, `stable_token`).
    Own,
    /// A component acting for the app, with the permission sets it granted.
    Authorizer {
        /// The component.
        component: AppId,
        /// The granted permission sets.
        perm_sets: Vec<u32>,
    },
    /// A component's own token: no app endpoint accepts it.
    Component,
}

/// Whether a token held as `grant` for an app of this type and
/// certification may call `endpoint`: a component's own token never may
/// (48001); then the app's type and certification (48001); then a component
/// acting for the app needs one of the endpoint's permission sets (61007).
pub fn permit(endpoint: &Endpoint, grant: &Grant, account_type: AccountType, certified: bool) -> Result<(), ErrCode> {
    if *grant == Grant::Component {
        return Err(ErrCode::ApiUnauthorized);
    }
    endpoint.authorize(account_type, certified)?;
    if let Grant::Authorizer { perm_sets, .. } = grant {
        if !endpoint.perm_sets.iter().any(|s| perm_sets.contains(s)) {
            return Err(ErrCode::ApiUnauthorizedToComponent);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::find;

    #[test]
    fn a_token_parameter_is_missing_before_it_is_malformed() {
        assert_eq!(check_token_param(""), Err(ErrCode::AccessTokenMissing));
        assert_eq!(check_token_param("not a token"), Err(ErrCode::InvalidAccessToken));
    }

    #[test]
    fn the_grant_type_is_checked_before_the_appid_and_the_secret_last() {
        assert_eq!(check_grant_type(None, ""), Err(ErrCode::InvalidGrantType));
        assert_eq!(
            check_grant_type(Some("client_credential"), ""),
            Err(ErrCode::AppIdMissing)
        );
        assert_eq!(check_grant_type(Some("client_credential"), "wx1"), Ok(()));
        assert_eq!(check_secret("s", ""), Err(ErrCode::AppSecretMissing));
        assert_eq!(check_secret("s", "t"), Err(ErrCode::InvalidAppSecret));
        assert_eq!(check_secret("s", "s"), Ok(()));
    }

    #[test]
    fn scope_comes_before_permission_sets_and_a_components_own_token_never_passes() {
        let create = find("/customservice/kfsession/create").unwrap();
        let authorizer = |perm_sets: Vec<u32>| Grant::Authorizer {
            component: AppId::new("wxc"),
            perm_sets,
        };
        let sa = AccountType::ServiceAccount;
        assert_eq!(
            permit(create, &Grant::Component, sa, true),
            Err(ErrCode::ApiUnauthorized)
        );
        assert_eq!(permit(create, &Grant::Own, sa, true), Ok(()));
        assert_eq!(
            permit(create, &authorizer(vec![]), sa, false),
            Err(ErrCode::ApiUnauthorized)
        );
        assert_eq!(
            permit(create, &authorizer(vec![19]), sa, true),
            Err(ErrCode::ApiUnauthorizedToComponent)
        );
        assert_eq!(permit(create, &authorizer(vec![1]), sa, true), Ok(()));
    }
}
