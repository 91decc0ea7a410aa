//! The reads and writes a transaction offers, in domain types.
//!
//! Every backend implements this once; the service layer composes it. Methods
//! are row-sized on purpose: the rules live in `kefu-core`, not in SQL.

use crate::error::StoreError;
use kefu_core::app::App;
use kefu_core::callback::CallbackConfig;
use kefu_core::ids::{AccessToken, AppId, KfAccount, MsgId, OpenId, WechatId};
use kefu_core::kf::KfRecord;
use kefu_core::message::{Message, RecordQuery};
use kefu_core::platform::{Authorization, Component, Ticket};
use kefu_core::push::{Delivery, Pending, Push, PushId};
use kefu_core::queue::WaitCase;
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::Timestamp;

type R<T> = Result<T, StoreError>;

/// A stored avatar image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadImage {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// One transaction's view of the state.
pub trait Tx: ConversationTx + PlatformTx + CallbackTx + crate::state::StateTx {
    /// A server-wide setting (virtual clock offset, demo app).
    fn meta(&mut self, key: &str) -> R<Option<String>>;
    /// Sets a server-wide setting.
    fn set_meta(&mut self, key: &str, value: &str) -> R<()>;

    /// One app.
    fn app(&mut self, appid: &AppId) -> R<Option<App>>;
    /// Every app, oldest first.
    fn apps(&mut self) -> R<Vec<App>>;
    /// Inserts or replaces an app.
    fn put_app(&mut self, app: &App) -> R<()>;

    /// A token by its value.
    fn token(&mut self, token: &AccessToken) -> R<Option<TokenRecord>>;
    /// The app's latest token of a kind.
    fn current_token(&mut self, appid: &AppId, kind: TokenKind) -> R<Option<TokenRecord>>;
    /// Inserts or replaces a token; `current` makes it the app's latest of its kind.
    fn put_token(&mut self, rec: &TokenRecord, current: bool) -> R<()>;
    /// Forgets the app's tokens that expired before `before` (never a current one).
    fn prune_tokens(&mut self, appid: &AppId, before: Timestamp) -> R<()>;

    /// A call counter.
    fn counter(&mut self, appid: &AppId, key: &str) -> R<Option<Counter>>;
    /// Stores a call counter.
    fn put_counter(&mut self, appid: &AppId, key: &str, c: &Counter) -> R<()>;
    /// Deletes the app's counters whose key starts with `prefix`.
    fn clear_counters(&mut self, appid: &AppId, prefix: &str) -> R<()>;

    /// One kf account.
    fn kf(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<KfRecord>>;
    /// The app's kf accounts by `kf_id`.
    fn kfs(&mut self, appid: &AppId) -> R<Vec<KfRecord>>;
    /// The app's bound accounts whose worker is online, by `kf_id`: each
    /// account and its `kf_id` (`getonlinekflist`, without reading the rest).
    fn online_kfs(&mut self, appid: &AppId) -> R<Vec<(KfAccount, i64)>>;
    /// Inserts or replaces a kf account.
    fn put_kf(&mut self, kf: &KfRecord) -> R<()>;
    /// Deletes a kf account with its avatar and sessions; followers waiting
    /// for it go back to waiting for anyone.
    fn delete_kf(&mut self, appid: &AppId, account: &KfAccount) -> R<()>;
    /// How many kf accounts, in every app, the WeChat user is bound to.
    fn bindings(&mut self, wx: &WechatId) -> R<u32>;

    /// Whether the WeChat user was marked non-existent.
    fn wx_invalid(&mut self, wx: &WechatId) -> R<bool>;
    /// Marks a WeChat user non-existent (or existing again).
    fn set_wx_invalid(&mut self, wx: &WechatId, invalid: bool) -> R<()>;

    /// A kf account's avatar.
    fn headimg(&mut self, appid: &AppId, account: &KfAccount) -> R<Option<HeadImage>>;
    /// Stores a kf account's avatar.
    fn put_headimg(&mut self, appid: &AppId, account: &KfAccount, img: &HeadImage) -> R<()>;

    /// One follower.
    fn fan(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Fan>>;
    /// The app's followers, in follow order.
    fn fans(&mut self, appid: &AppId) -> R<Vec<Fan>>;
    /// At most `limit` of the app's followers whose openid sorts after
    /// `after` (`""`: from the first), in openid order: a page.
    fn fans_after(&mut self, appid: &AppId, after: &str, limit: u32) -> R<Vec<Fan>>;
    /// Inserts or replaces a follower.
    fn put_fan(&mut self, fan: &Fan) -> R<()>;

    /// The follower's open session.
    fn session(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<Session>>;
    /// The app's open sessions, oldest first.
    fn sessions(&mut self, appid: &AppId) -> R<Vec<Session>>;
    /// Opens or updates the follower's session (one per follower).
    fn put_session(&mut self, s: &Session) -> R<()>;
    /// Closes the follower's session.
    fn delete_session(&mut self, appid: &AppId, openid: &OpenId) -> R<()>;
    /// How many sessions each kf account of the app holds whose last message
    /// is at or after `live_since` (older ones are closed).
    fn accepted_cases(&mut self, appid: &AppId, live_since: Timestamp) -> R<Vec<(KfAccount, u32)>>;

    /// Deletes every row of every table.
    fn wipe(&mut self) -> R<()>;
}

/// The conversation's part of a transaction: the waiting queue and messages.
pub trait ConversationTx {
    /// The follower's place in the waiting queue.
    fn waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<Option<WaitCase>>;
    /// The app's waiting queue in arrival order.
    fn waitcases(&mut self, appid: &AppId) -> R<Vec<WaitCase>>;
    /// Puts a follower at the end of the queue, or updates them in place.
    fn put_waitcase(&mut self, w: &WaitCase) -> R<()>;
    /// Takes a follower out of the queue.
    fn delete_waitcase(&mut self, appid: &AppId, openid: &OpenId) -> R<()>;

    /// Keeps a message and returns its new id, larger than every earlier one
    /// (`m.msgid` is ignored).
    fn insert_message(&mut self, m: &Message) -> R<MsgId>;
    /// The app's chat records (messages with a worker) in the query's time
    /// range from its `msgid` on, ascending, at most `limit`.
    fn records(&mut self, appid: &AppId, q: &RecordQuery) -> R<Vec<Message>>;
    /// A follower's messages either way from `from` on, ascending.
    fn messages(&mut self, appid: &AppId, openid: &OpenId, from: MsgId, limit: u32) -> R<Vec<Message>>;
}

/// Third-party platforms: components, their tickets and authorizations.
pub trait PlatformTx {
    /// One component.
    fn component(&mut self, appid: &AppId) -> R<Option<Component>>;
    /// Inserts or replaces a component.
    fn put_component(&mut self, c: &Component) -> R<()>;
    /// A ticket by its value.
    fn ticket(&mut self, ticket: &str) -> R<Option<Ticket>>;
    /// Keeps a pushed ticket.
    fn put_ticket(&mut self, t: &Ticket) -> R<()>;
    /// The component's most recently issued ticket.
    fn latest_ticket(&mut self, component: &AppId) -> R<Option<Ticket>>;
    /// The components that have push settings, by appid.
    fn pushed_components(&mut self) -> R<Vec<AppId>>;
    /// The app's authorization of the component.
    fn authorization(&mut self, component: &AppId, appid: &AppId) -> R<Option<Authorization>>;
    /// The component's authorizations, oldest first.
    fn authorizations(&mut self, component: &AppId) -> R<Vec<Authorization>>;
    /// Inserts or replaces an authorization.
    fn put_authorization(&mut self, a: &Authorization) -> R<()>;
    /// Removes an authorization.
    fn delete_authorization(&mut self, component: &AppId, appid: &AppId) -> R<()>;
    /// Makes every authorizer token of the pair "not latest" from `at` on.
    fn invalidate_authorizer_tokens(&mut self, component: &AppId, appid: &AppId, at: Timestamp) -> R<()>;
}

/// Pushes to the developer's server: settings, the outbox and the delivery
/// log. Outbox rows are claimed by one dispatcher at a time (`owner`); a
/// claim whose owner stopped sending heartbeats may be taken over.
pub trait CallbackTx {
    /// The app's (or component's) push settings.
    fn callback(&mut self, appid: &AppId) -> R<Option<CallbackConfig>>;
    /// Saves push settings.
    fn put_callback(&mut self, c: &CallbackConfig) -> R<()>;
    /// Removes push settings and the app's undelivered pushes.
    fn delete_callback(&mut self, appid: &AppId) -> R<()>;

    /// Adds a push to the outbox and returns its id, larger than every
    /// earlier one (`p.id` is ignored).
    fn enqueue_push(&mut self, p: &Push) -> R<PushId>;
    /// Claims for `owner` up to `limit` pushes, oldest first and at most
    /// `per_app` of any one app, leaving out the apps in `skip`. A push is
    /// free when unclaimed, or when its owner's last heartbeat is older than
    /// `stale_before_ms`; pushes `owner` already holds are not returned.
    fn claim_pushes(
        &mut self,
        owner: &str,
        stale_before_ms: i64,
        per_app: u32,
        limit: u32,
        skip: &[AppId],
    ) -> R<Vec<Pending>>;
    /// Records that `owner` is alive at `now_ms` (milliseconds, real time).
    fn heartbeat(&mut self, owner: &str, now_ms: i64) -> R<()>;
    /// Frees every claim not held by `owner` (a single-process store at start).
    fn release_pushes(&mut self, owner: &str) -> R<()>;
    /// Removes a push without delivering it.
    fn drop_push(&mut self, id: PushId) -> R<()>;
    /// How many pushes of the app wait in the outbox.
    fn pending_pushes(&mut self, appid: &AppId) -> R<u64>;

    /// Logs one try and returns its entry's id. The push leaves the outbox
    /// when `d.last`; otherwise its tries so far become `d.attempt`.
    fn record_delivery(&mut self, d: &Delivery) -> R<i64>;
    /// The app's delivery log, newest first, entries with an id below
    /// `before` (all when `None`), at most `limit`.
    fn deliveries(&mut self, appid: &AppId, before: Option<i64>, limit: u32) -> R<Vec<Delivery>>;
    /// Keeps only the app's newest `keep` log entries.
    fn prune_deliveries(&mut self, appid: &AppId, keep: u32) -> R<()>;

    /// Open sessions of any app whose last message was before `before`
    /// (idle ones), oldest first, at most `limit`.
    fn idle_sessions(&mut self, before: Timestamp, limit: u32) -> R<Vec<Session>>;
}
