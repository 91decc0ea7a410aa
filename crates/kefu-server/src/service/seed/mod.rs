//! `kefu serve --seed FILE`: the world kefu starts from, declared in JSON
//! (`kefu_api::seed`). The file is read and checked before the store is
//! opened; it is then applied in one write transaction, so a rule the
//! store breaks (an authorization for an unknown app) leaves nothing
//! applied. Applying is idempotent: what the file names is created or
//! brought to the declared values, the rest is left alone. The file's
//! content is kept in the `meta` table, which is how `POST /_kefu/reset`
//! brings the seeded world back.

mod apply;
mod check;

use crate::outbound;
use crate::state::AppState;
use kefu_api::seed::{Seed, Seeded};
use kefu_core::callback::CallbackConfig;
use kefu_core::limits::Limits;
use kefu_store::{StoreError, Tx};
use std::path::Path;

pub(crate) use apply::{prepare, Prepared};

/// The meta row holding the seed kefu was started with (empty: none).
const SEED_META: &str = "seed";

/// Why a seed file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file cannot be read.
    #[error("{file}: cannot read it: {why}")]
    Read {
        /// The file as named.
        file: String,
        /// What the system said.
        why: String,
    },
    /// The file breaks a rule at a place in it.
    #[error("{file}: {}{rule}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Rule {
        /// The file as named.
        file: String,
        /// Where in the file (`apps[1].kf[0].kf_account`), or empty.
        path: String,
        /// The rule broken.
        rule: String,
    },
    /// The store failed.
    #[error("cannot apply the seed: {0}")]
    Store(#[from] StoreError),
}

/// A rule broken at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Broken {
    pub(crate) path: String,
    pub(crate) rule: String,
}

impl Broken {
    fn in_file(self, file: &str) -> SeedError {
        SeedError::Rule {
            file: file.to_owned(),
            path: self.path,
            rule: self.rule,
        }
    }
}

/// A seed file read, parsed and checked against every rule that needs only
/// the file.
#[derive(Debug, Clone)]
pub struct SeedFile {
    file: String,
    seed: Seed,
}

impl SeedFile {
    /// Reads and checks `path` (named in every error as given).
    pub fn load(path: &Path, limits: &Limits) -> Result<SeedFile, SeedError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SeedError::Read {
            file: file.clone(),
            why: e.to_string(),
        })?;
        SeedFile::parse(file, &text, limits)
    }

    /// Parses and checks `text`, the content of `file`.
    pub fn parse(file: String, text: &str, limits: &Limits) -> Result<SeedFile, SeedError> {
        let seed = parse(text).map_err(|b| b.in_file(&file))?;
        check::seed(&seed, limits).map_err(|b| b.in_file(&file))?;
        Ok(SeedFile { file, seed })
    }

    /// What the seed declares.
    pub fn counts(&self) -> Seeded {
        counts(&self.seed)
    }
}

fn counts(seed: &Seed) -> Seeded {
    Seeded {
        apps: seed.apps.len(),
        components: seed.components.len(),
    }
}

/// The seed of `text`, or where and why it does not parse.
fn parse(text: &str) -> Result<Seed, Broken> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Broken {
            path: if path == "." { String::new() } else { path },
            rule: inner.to_string(),
        }
    })
}

/// At start: applies the seed (and keeps it for resets), or, without one,
/// forgets any seed an earlier start kept. Callback URLs that do not answer
/// are reported in the log, not refused.
pub async fn apply_seed(state: &AppState, seed: Option<&SeedFile>) -> Result<Option<Seeded>, SeedError> {
    let Some(seed) = seed else {
        state.store.write(|tx| tx.set_meta(SEED_META, "")).await?;
        return Ok(None);
    };
    let (limits, now) = (state.config.limits, state.now());
    let prepared = prepare(&seed.seed, now);
    let kept = serde_json::to_string(&seed.seed).map_err(|e| StoreError::Backend(e.to_string()))?;
    let done = state
        .store
        .write(move |tx| {
            let done = apply::apply(tx, &prepared, &limits, now)?;
            tx.set_meta(SEED_META, &kept)?;
            Ok::<_, apply::Failed>(done)
        })
        .await
        .map_err(|f| f.in_file(&seed.file))?;
    after_commit(state, &done.callbacks);
    Ok(Some(counts(&seed.seed)))
}

/// The seed kept by the start, prepared for a re-apply (for a reset).
pub(crate) async fn kept(state: &AppState) -> Result<Option<Prepared>, StoreError> {
    let now = state.now();
    let text = state.store.read(|tx| tx.meta(SEED_META)).await?;
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let seed: Seed = serde_json::from_str(&text).map_err(|e| StoreError::Backend(format!("the kept seed: {e}")))?;
    Ok(Some(prepare(&seed, now)))
}

/// Re-applies a kept seed inside a transaction that has just wiped the
/// store (a reset), and keeps it again; what it brought back.
pub(crate) fn reapply(
    tx: &mut dyn Tx,
    prepared: &Prepared,
    limits: &Limits,
    now: kefu_core::Timestamp,
) -> Result<(Seeded, Vec<CallbackConfig>), String> {
    let done = apply::apply(tx, prepared, limits, now).map_err(|f| f.to_string())?;
    let kept = serde_json::to_string(&prepared.seed).map_err(|e| e.to_string())?;
    tx.set_meta(SEED_META, &kept).map_err(|e| e.to_string())?;
    Ok((counts(&prepared.seed), done.callbacks))
}

/// After a commit: the credential cache and the dispatcher forget what
/// changed, and each new callback URL is tried once, in the background,
/// with a warning in the log when it does not answer.
pub(crate) fn after_commit(state: &AppState, callbacks: &[CallbackConfig]) {
    state.credentials.invalidate();
    for cfg in callbacks {
        state.pushes.forget(&cfg.appid);
        let (cfg, now, timeout) = (cfg.clone(), state.now(), state.config.push_timeout);
        tokio::spawn(async move {
            if let Err(why) = outbound::verify_url(&cfg, now, timeout).await {
                tracing::warn!(appid = %cfg.appid, url = %cfg.url, "seeded callback saved, but its URL does not answer the handshake: {why}");
            }
        });
    }
}
