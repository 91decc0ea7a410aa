//! The store's conformance suite: one test function per behaviour, expanded
//! for every backend by `conformance!`. A new backend adds its name to the
//! list at the end and a function that builds its [`Subject`].
//!
//! PostgreSQL runs against `KEFU_TEST_POSTGRES`, each test in a fresh schema;
//! see the `kefu-test-support` crate for what happens when no server answers.

use kefu_test_support as common;

use kefu_core::app::{AccountType, App};
use kefu_core::ids::{AccessToken, AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::{Invitation, KfRecord};
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::Timestamp;
use kefu_store::{DatabaseUrl, Store, StoreError, Tx};
use std::sync::Arc;

/// A backend under test: the store, plus a way to reopen the same data.
pub struct Subject {
    pub store: Arc<dyn Store>,
    pub reopen: Box<dyn Fn() -> Arc<dyn Store>>,
    _guard: Box<dyn std::any::Any>,
}

fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.db");
    let open = move || -> Arc<dyn Store> { Arc::new(kefu_store::sqlite::SqliteStore::open(&path).unwrap()) };
    Some(Subject {
        store: open(),
        reopen: Box::new(open),
        _guard: Box::new(dir),
    })
}

/// A fresh schema on the test server; `None` when PostgreSQL tests are skipped.
fn postgres() -> Option<Subject> {
    let schema = common::PgSchema::fresh()?;
    let url = DatabaseUrl::parse(&schema.url("")).unwrap();
    let open = move || -> Arc<dyn Store> { kefu_store::open(&url).unwrap() };
    Some(Subject {
        store: open(),
        reopen: Box::new(open),
        _guard: Box::new(schema),
    })
}

#[derive(Debug, PartialEq)]
enum E {
    Store(StoreError),
    Rejected,
}

impl From<StoreError> for E {
    fn from(e: StoreError) -> Self {
        E::Store(e)
    }
}

pub fn app(id: &str) -> App {
    App {
        appid: AppId::new(id),
        secret: "s".repeat(32),
        account_type: AccountType::ServiceAccount,
        certified: true,
        wechat_id: "test".into(),
        original_id: "gh_000000000000".into(),
        kf_enabled: true,
        next_kf_id: 1001,
        created_at: Timestamp(1),
        ip_whitelist: kefu_core::whitelist::Whitelist::default(),
        quotas: vec![],
    }
}

fn kf(appid: &str, account: &str, worker: Option<&str>) -> KfRecord {
    KfRecord {
        appid: AppId::new(appid),
        account: KfAccount::new(account),
        kf_id: 1001,
        nickname: "客服".into(),
        headimg_version: 0,
        worker: worker.map(WechatId::new),
        online: worker.is_some(),
        invitation: Some(Invitation {
            wx: WechatId::new("invitee_1"),
            expire_time: Timestamp(99),
            rejected: true,
        }),
    }
}

fn fan(appid: &str, openid: &str) -> Fan {
    Fan::following(AppId::new(appid), OpenId::new(openid), Timestamp(5))
}

fn session(appid: &str, openid: &str, kf: &str, at: i64) -> Session {
    Session::open(
        AppId::new(appid),
        OpenId::new(openid),
        KfAccount::new(kf),
        Timestamp(at),
    )
}

pub async fn put_app(s: &dyn Store, a: App) {
    s.write(move |tx: &mut dyn Tx| tx.put_app(&a).map_err(E::from))
        .await
        .unwrap();
}

async fn a_committed_write_is_visible_to_reads(s: Subject) {
    put_app(&*s.store, app("wx1")).await;
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.app(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, Some(app("wx1")));
}

async fn a_rejected_write_changes_nothing(s: Subject) {
    let r: Result<(), E> = s
        .store
        .write(|tx: &mut dyn Tx| {
            tx.put_app(&app("wx1"))?;
            Err(E::Rejected)
        })
        .await;
    assert_eq!(r, Err(E::Rejected));
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.apps().map_err(E::from))
        .await
        .unwrap();
    assert!(got.is_empty());
}

async fn concurrent_writes_all_commit_and_rejections_stay_alone(s: Subject) {
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = s.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |tx: &mut dyn Tx| {
                    tx.put_app(&app(&format!("wx{i}")))?;
                    if i % 4 == 0 {
                        Err(E::Rejected)
                    } else {
                        Ok(())
                    }
                })
                .await
        }));
    }
    for t in tasks {
        let _ = t.await.unwrap();
    }
    let apps = s
        .store
        .read(|tx: &mut dyn Tx| tx.apps().map_err(E::from))
        .await
        .unwrap();
    assert_eq!(apps.len(), 48);
}

async fn acknowledged_writes_survive_reopening(s: Subject) {
    put_app(&*s.store, app("wx1")).await;
    let f = fan("wx1", "o1");
    s.store
        .write(move |tx: &mut dyn Tx| tx.put_fan(&f).map_err(E::from))
        .await
        .unwrap();
    drop(s.store);
    let again = (s.reopen)();
    let got = again
        .read(|tx: &mut dyn Tx| tx.fans(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, vec![fan("wx1", "o1")]);
}

async fn followers_page_in_openid_order(s: Subject) {
    put_app(&*s.store, app("wx1")).await;
    put_app(&*s.store, app("wx2")).await;
    s.store
        .write(|tx: &mut dyn Tx| {
            for o in ["o3", "o1", "o5", "o2", "o4"] {
                tx.put_fan(&fan("wx1", o))?;
            }
            tx.put_fan(&fan("wx2", "o0")).map_err(E::from)
        })
        .await
        .unwrap();
    let page = |after: &'static str, limit: u32| {
        s.store.read(move |tx: &mut dyn Tx| {
            let fans = tx.fans_after(&AppId::new("wx1"), after, limit)?;
            Ok::<_, E>(fans.into_iter().map(|f| f.openid.to_string()).collect::<Vec<_>>())
        })
    };
    assert_eq!(page("", 2).await.unwrap(), ["o1", "o2"]);
    assert_eq!(page("o2", 2).await.unwrap(), ["o3", "o4"]);
    assert_eq!(page("o4", 2).await.unwrap(), ["o5"]);
    assert!(page("o5", 2).await.unwrap().is_empty());
}

async fn tokens_round_trip_and_track_the_current_one(s: Subject) {
    let mut old = TokenRecord::issue(
        AccessToken::new("a".repeat(100)),
        AppId::new("wx1"),
        TokenKind::Plain,
        Timestamp(10),
    );
    let new = TokenRecord::issue(
        AccessToken::new("b".repeat(100)),
        AppId::new("wx1"),
        TokenKind::Plain,
        Timestamp(20),
    );
    old.replace(Timestamp(20), 300);
    let (o, n) = (old.clone(), new.clone());
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_token(&o, false)?;
            tx.put_token(&n, true).map_err(E::from)
        })
        .await
        .unwrap();
    let (cur, got_old, stable) = s
        .store
        .read(|tx: &mut dyn Tx| {
            let a = AppId::new("wx1");
            Ok::<_, E>((
                tx.current_token(&a, TokenKind::Plain)?,
                tx.token(&AccessToken::new("a".repeat(100)))?,
                tx.current_token(&a, TokenKind::Stable)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(cur, Some(new));
    assert_eq!(got_old, Some(old));
    assert_eq!(stable, None);
}

async fn pruning_keeps_live_and_current_tokens(s: Subject) {
    let a = AppId::new("wx1");
    let dead = TokenRecord::issue(
        AccessToken::new("d".repeat(100)),
        a.clone(),
        TokenKind::Plain,
        Timestamp(0),
    );
    let live = TokenRecord::issue(
        AccessToken::new("l".repeat(100)),
        a.clone(),
        TokenKind::Plain,
        Timestamp(9000),
    );
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_token(&dead, false)?;
            tx.put_token(&live, true)?;
            tx.prune_tokens(&AppId::new("wx1"), Timestamp(8000)).map_err(E::from)
        })
        .await
        .unwrap();
    let (d, l) = s
        .store
        .read(|tx: &mut dyn Tx| {
            Ok::<_, E>((
                tx.token(&AccessToken::new("d".repeat(100)))?,
                tx.token(&AccessToken::new("l".repeat(100)))?,
            ))
        })
        .await
        .unwrap();
    assert!(d.is_none());
    assert!(l.is_some());
}

async fn counters_are_per_app_and_clear_by_prefix(s: Subject) {
    let c = Counter {
        window_start: Timestamp(0),
        count: 3,
        last_at: Timestamp(7),
    };
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_counter(&AppId::new("wx1"), "day:/cgi-bin/token", &c)?;
            tx.put_counter(&AppId::new("wx1"), "month:clear_quota", &c)?;
            tx.put_counter(&AppId::new("wx2"), "day:/cgi-bin/token", &c)?;
            tx.clear_counters(&AppId::new("wx1"), "day:").map_err(E::from)
        })
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| {
            Ok::<_, E>((
                tx.counter(&AppId::new("wx1"), "day:/cgi-bin/token")?,
                tx.counter(&AppId::new("wx1"), "month:clear_quota")?,
                tx.counter(&AppId::new("wx2"), "day:/cgi-bin/token")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(got, (None, Some(c), Some(c)));
}

async fn kf_accounts_round_trip_in_kf_id_order(s: Subject) {
    let mut second = kf("wx1", "b@test", None);
    second.kf_id = 1002;
    second.invitation = None;
    let first = kf("wx1", "a@test", Some("worker_1"));
    let (f, sc) = (first.clone(), second.clone());
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_kf(&sc)?;
            tx.put_kf(&f).map_err(E::from)
        })
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.kfs(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, vec![first, second]);
}

async fn bindings_count_across_apps(s: Subject) {
    s.store
        .write(|tx: &mut dyn Tx| {
            tx.put_kf(&kf("wx1", "a@test", Some("worker_1")))?;
            tx.put_kf(&kf("wx2", "a@test", Some("worker_1")))?;
            tx.put_kf(&kf("wx2", "b@test", Some("worker_2"))).map_err(E::from)
        })
        .await
        .unwrap();
    let n = s
        .store
        .read(|tx: &mut dyn Tx| tx.bindings(&WechatId::new("worker_1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(n, 2);
}

async fn a_follower_holds_at_most_one_session(s: Subject) {
    let (a, b) = (session("wx1", "o1", "a@test", 3), session("wx1", "o1", "b@test", 4));
    s.store
        .write(move |tx: &mut dyn Tx| tx.put_session(&a).map_err(E::from))
        .await
        .unwrap();
    s.store
        .write(move |tx: &mut dyn Tx| tx.put_session(&b).map_err(E::from))
        .await
        .unwrap();
    let (cases, all) = s
        .store
        .read(|tx: &mut dyn Tx| {
            let appid = AppId::new("wx1");
            Ok::<_, E>((tx.accepted_cases(&appid, Timestamp(0))?, tx.sessions(&appid)?))
        })
        .await
        .unwrap();
    assert_eq!(cases, vec![(KfAccount::new("b@test"), 1)]);
    assert_eq!(all, vec![session("wx1", "o1", "b@test", 4)]);
}

async fn deleting_a_kf_account_closes_its_sessions(s: Subject) {
    let sess = session("wx1", "o1", "a@test", 3);
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_kf(&kf("wx1", "a@test", Some("worker_1")))?;
            tx.put_session(&sess)?;
            tx.delete_kf(&AppId::new("wx1"), &KfAccount::new("a@test"))
                .map_err(E::from)
        })
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.sessions(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert!(got.is_empty());
}

async fn wipe_empties_everything(s: Subject) {
    put_app(&*s.store, app("wx1")).await;
    s.store
        .write(|tx: &mut dyn Tx| {
            tx.set_meta("clock_offset", "60")?;
            tx.set_wx_invalid(&WechatId::new("ghost_1"), true)?;
            tx.wipe().map_err(E::from)
        })
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| {
            Ok::<_, E>((
                tx.apps()?,
                tx.meta("clock_offset")?,
                tx.wx_invalid(&WechatId::new("ghost_1"))?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(got, (vec![], None, false));
}

#[path = "conformance/conversation.rs"]
mod conversation;
use conversation::*;
#[path = "conformance/platform.rs"]
mod platform;
use platform::*;
#[path = "conformance/callback.rs"]
mod callback;
use callback::*;
#[path = "conformance/claims.rs"]
mod claims;
use claims::*;

#[path = "conformance/state.rs"]
mod state;
use state::*;

#[path = "conformance/shared.rs"]
mod shared;
use shared::*;

/// Expands every test for every backend: `mod sqlite { fn test() }`, ...
macro_rules! conformance {
    ($($backend:ident),+: $($test:ident),+ $(,)?) => {
        conformance!(@each [$($test),+] $($backend)+);
    };
    (@each $tests:tt $($backend:ident)+) => {
        $(conformance!(@suite $backend $tests);)+
    };
    (@suite $backend:ident [$($test:ident),+]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(subject) = super::$backend() {
                        super::$test(subject).await
                    }
                }
            )+
        }
    };
}

conformance!(sqlite, postgres:
    a_committed_write_is_visible_to_reads,
    a_rejected_write_changes_nothing,
    concurrent_writes_all_commit_and_rejections_stay_alone,
    acknowledged_writes_survive_reopening,
    tokens_round_trip_and_track_the_current_one,
    pruning_keeps_live_and_current_tokens,
    counters_are_per_app_and_clear_by_prefix,
    kf_accounts_round_trip_in_kf_id_order,
    bindings_count_across_apps,
    a_follower_holds_at_most_one_session,
    deleting_a_kf_account_closes_its_sessions,
    wipe_empties_everything,
    the_queue_keeps_arrival_order_and_places,
    deleting_a_kf_account_releases_its_waiting_followers,
    message_ids_ascend_and_records_are_the_kf_ones,
    a_followers_messages_page_by_msgid,
    fans_keep_their_contact_state,
    followers_page_in_openid_order,
    only_live_sessions_count_as_accepted,
    accepted_cases_follow_every_change_of_the_sessions,
    online_kfs_are_the_bound_online_accounts_by_kf_id,
    apps_keep_their_whitelist_and_quotas,
    components_tickets_and_authorizations_round_trip,
    authorizer_tokens_remember_their_component,
    a_job_that_fails_after_writing_changes_nothing,
    racing_session_creates_from_two_stores_open_one_session,
    racing_invitations_from_two_stores_send_one,
    concurrent_increments_from_two_stores_lose_no_update,
    push_settings_are_saved_replaced_and_deleted_with_their_pushes,
    push_ids_ascend_and_every_event_survives_the_outbox,
    claims_take_the_oldest_free_pushes_within_their_limits,
    claims_of_a_silent_owner_are_taken_over,
    a_followers_later_push_waits_for_the_process_holding_an_earlier_one,
    a_components_latest_ticket_and_its_push_settings_are_found,
    releasing_frees_every_claim_but_the_owners,
    tries_count_until_the_last_removes_the_push,
    the_delivery_log_pages_newest_first_and_prunes_the_oldest,
    idle_sessions_are_the_quietest_of_every_app,
    the_outbox_survives_reopening,
    a_rejected_write_enqueues_nothing,
    wipe_empties_the_push_tables_but_keeps_heartbeats,
    racing_claims_from_two_stores_share_out_every_push_once,
    export_import_export_gives_the_same_document,
    a_row_out_of_its_domain_fails_the_check,
    import_replaces_everything_but_snapshots_and_restarts_ids,
    snapshots_are_saved_listed_restored_and_deleted,
);
