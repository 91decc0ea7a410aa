//! An in-process cache of checked access tokens, so that the credential
//! check every request starts with does not read the store.
//!
//! Coherence by generation: every change that can affect a cached answer (a
//! token issued or invalidated, an app's type or certification changed, a
//! reset) bumps the generation after its commit. An entry is used only while
//! its generation is current, and a lookup stores what it read only if no
//! bump happened since it started reading, so a stale read can never be
//! cached. The clock-dependent checks (40001, 42001) still run on every
//! request against the cached record. The cache is off when other processes
//! may write the same database ([`kefu_store::Store::shared`]).

use kefu_core::app::AccountType;
pub(crate) use kefu_core::credential::Grant;
use kefu_core::ids::AppId;
use kefu_core::quota::QuotaRule;
use kefu_core::token::TokenRecord;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Entries kept before the cache starts over (tokens churn when apps refresh).
const MAX_ENTRIES: usize = 65_536;

/// What the credential check needs about a token's app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    /// The token's record (its own expiry and replacement times).
    pub token: TokenRecord,
    /// The app's id.
    pub appid: AppId,
    /// The app's type, for the scope table.
    pub account_type: AccountType,
    /// The app's certification, for the scope table.
    pub certified: bool,
    /// Who holds the token.
    pub grant: Grant,
    /// The app's configured call quotas.
    pub quotas: Vec<QuotaRule>,
}

/// Checked tokens, by value.
#[derive(Debug)]
pub(crate) struct CredentialCache {
    enabled: bool,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (u64, Arc<Principal>)>>,
}

impl CredentialCache {
    pub(crate) fn new(enabled: bool) -> Self {
        CredentialCache {
            enabled,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to pass to [`CredentialCache::insert`] after a read.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The cached principal of a token, if current.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<Principal>> {
        if !self.enabled {
            return None;
        }
        let current = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(token)
            .filter(|(g, _)| *g == current)
            .map(|(_, p)| p.clone())
    }

    /// Caches what was read, unless something changed since `seen` was taken.
    pub(crate) fn insert(&self, seen: u64, token: &str, principal: Arc<Principal>) {
        if !self.enabled {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != seen {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token.to_owned(), (seen, principal));
    }

    /// Forgets everything; call after committing a change to tokens or apps.
    pub(crate) fn invalidate(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_core::ids::AccessToken;
    use kefu_core::token::TokenKind;
    use kefu_core::Timestamp;

    fn principal() -> Principal {
        let appid = AppId::new("wx1");
        Principal {
            token: TokenRecord::issue(AccessToken::new("t"), appid.clone(), TokenKind::Plain, Timestamp(0)),
            appid,
            account_type: AccountType::ServiceAccount,
            certified: true,
            grant: Grant::Own,
            quotas: Vec::new(),
        }
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_cached() {
        let cache = CredentialCache::new(true);
        let seen = cache.generation();
        cache.invalidate();
        cache.insert(seen, "t", Arc::new(principal()));
        assert_eq!(cache.get("t"), None);
    }

    #[test]
    fn entries_live_until_the_next_invalidation() {
        let cache = CredentialCache::new(true);
        cache.insert(cache.generation(), "t", Arc::new(principal()));
        assert_eq!(cache.get("t").as_deref(), Some(&principal()));
        cache.invalidate();
        assert_eq!(cache.get("t"), None);
    }

    #[test]
    fn a_disabled_cache_keeps_nothing() {
        let cache = CredentialCache::new(false);
        cache.insert(cache.generation(), "t", Arc::new(principal()));
        assert_eq!(cache.get("t"), None);
    }
}
