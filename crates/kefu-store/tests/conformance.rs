//! The store's conformance suite: one test function per behaviour, expanded
//! for every backend by `conformance!`. A new backend adds its name to the
//! list at the end and a function that builds its [`Subject`].
//!
//! PostgreSQL runs against `KEFU_TEST_POSTGRES`, each test in a fresh schema;
//! see `common/mod.rs` for what happens when no server answers.

mod common;

use kefu_core::app::{AccountType, App};
use kefu_core::ids::{AccessToken, AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::{Invitation, KfRecord};
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::Timestamp;
use kefu_store::{DatabaseUrl, HeadImage, Store, StoreError, Tx};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

fn app(id: &str) -> App {
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
    Fan {
        appid: AppId::new(appid),
        openid: OpenId::new(openid),
        subscribed: true,
        followed_at: Timestamp(5),
    }
}

async fn put_app(s: &dyn Store, a: App) {
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
    let sess = |kf: &str| Session {
        appid: AppId::new("wx1"),
        openid: OpenId::new("o1"),
        kf_account: KfAccount::new(kf),
        created_at: Timestamp(3),
    };
    let (a, b) = (sess("a@test"), sess("b@test"));
    s.store
        .write(move |tx: &mut dyn Tx| tx.insert_session(&a).map_err(E::from))
        .await
        .unwrap();
    let second = s
        .store
        .write(move |tx: &mut dyn Tx| tx.insert_session(&b).map_err(E::from))
        .await;
    assert!(matches!(second, Err(E::Store(StoreError::Backend(_)))));
    let cases = s
        .store
        .read(|tx: &mut dyn Tx| tx.accepted_cases(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(cases, vec![(KfAccount::new("a@test"), 1)]);
}

async fn deleting_a_kf_account_closes_its_sessions(s: Subject) {
    let sess = Session {
        appid: AppId::new("wx1"),
        openid: OpenId::new("o1"),
        kf_account: KfAccount::new("a@test"),
        created_at: Timestamp(3),
    };
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_kf(&kf("wx1", "a@test", Some("worker_1")))?;
            tx.insert_session(&sess)?;
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

/// Rows in every table, for "nothing changed" checks.
async fn seed(s: &dyn Store) {
    s.write(|tx: &mut dyn Tx| {
        let a = AppId::new("wx1");
        tx.put_app(&app("wx1"))?;
        tx.put_kf(&kf("wx1", "a@test", Some("worker_1")))?;
        tx.insert_session(&session("o1", "a@test"))?;
        tx.set_meta("clock_offset", "60")?;
        tx.put_headimg(&a, &KfAccount::new("a@test"), &headimg(b"one"))?;
        tx.put_fan(&fan("wx1", "o1"))?;
        tx.put_counter(&a, "day:/cgi-bin/token", &counter(3))?;
        tx.set_wx_invalid(&WechatId::new("ghost_1"), true)?;
        tx.put_token(&token("t"), true).map_err(E::from)
    })
    .await
    .unwrap();
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    apps: Vec<App>,
    kfs: Vec<KfRecord>,
    sessions: Vec<Session>,
    meta: Option<String>,
    headimg: Option<HeadImage>,
    fans: Vec<Fan>,
    counter: Option<Counter>,
    ghost_invalid: bool,
    token: Option<TokenRecord>,
}

async fn snapshot(s: &dyn Store) -> Snapshot {
    s.read(|tx: &mut dyn Tx| {
        let a = AppId::new("wx1");
        Ok::<_, E>(Snapshot {
            apps: tx.apps()?,
            kfs: tx.kfs(&a)?,
            sessions: tx.sessions(&a)?,
            meta: tx.meta("clock_offset")?,
            headimg: tx.headimg(&a, &KfAccount::new("a@test"))?,
            fans: tx.fans(&a)?,
            counter: tx.counter(&a, "day:/cgi-bin/token")?,
            ghost_invalid: tx.wx_invalid(&WechatId::new("ghost_1"))?,
            token: tx.current_token(&a, TokenKind::Plain)?,
        })
    })
    .await
    .unwrap()
}

fn session(openid: &str, kf: &str) -> Session {
    Session {
        appid: AppId::new("wx1"),
        openid: OpenId::new(openid),
        kf_account: KfAccount::new(kf),
        created_at: Timestamp(3),
    }
}

fn headimg(data: &[u8]) -> HeadImage {
    HeadImage {
        content_type: "image/png".into(),
        data: data.to_vec(),
    }
}

fn counter(count: u32) -> Counter {
    Counter {
        window_start: Timestamp(0),
        count,
        last_at: Timestamp(7),
    }
}

fn token(c: &str) -> TokenRecord {
    TokenRecord::issue(
        AccessToken::new(c.repeat(100)),
        AppId::new("wx1"),
        TokenKind::Plain,
        Timestamp(10),
    )
}

async fn a_job_that_fails_after_writing_changes_nothing(s: Subject) {
    seed(&*s.store).await;
    let before = snapshot(&*s.store).await;
    let r: Result<(), E> = s
        .store
        .write(|tx: &mut dyn Tx| {
            let a = AppId::new("wx1");
            let mut changed = app("wx1");
            changed.next_kf_id = 1002;
            tx.put_app(&changed)?;
            tx.delete_session(&a, &OpenId::new("o1"))?;
            tx.put_headimg(&a, &KfAccount::new("a@test"), &headimg(b"two"))?;
            tx.put_counter(&a, "day:/cgi-bin/token", &counter(4))?;
            tx.put_token(&token("u"), true)?;
            tx.wipe()?;
            tx.put_app(&app("wx2"))?;
            tx.insert_session(&session("o2", "b@test"))?;
            Err(E::Rejected)
        })
        .await;
    assert_eq!(r, Err(E::Rejected));
    assert_eq!(snapshot(&*s.store).await, before);
}

async fn a_store_error_after_writing_rolls_the_job_back(s: Subject) {
    seed(&*s.store).await;
    let before = snapshot(&*s.store).await;
    let r: Result<(), E> = s
        .store
        .write(|tx: &mut dyn Tx| {
            tx.put_app(&app("wx2"))?;
            tx.set_meta("clock_offset", "120")?;
            // The follower already has a session: the insert fails.
            tx.insert_session(&session("o1", "b@test"))?;
            tx.set_wx_invalid(&WechatId::new("ghost_1"), false)?;
            Ok(())
        })
        .await;
    assert!(matches!(r, Err(E::Store(StoreError::Backend(_)))), "{r:?}");
    assert_eq!(snapshot(&*s.store).await, before);
}

/// Where two racing jobs wait for each other inside their transactions, for
/// up to a second: a backend that runs them one after the other never lets
/// the second arrive while the first waits.
#[derive(Default)]
struct Meeting(AtomicUsize);

impl Meeting {
    fn arrive(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        let start = Instant::now();
        while self.0.load(Ordering::SeqCst) < 2 && start.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// How a racing job ended: it made the change, or found the winner's.
#[derive(Debug, PartialEq)]
enum Race {
    Won,
    Lost(String),
}

/// Two jobs, on two stores over the same data, that each read and then
/// write the same row; `meet`, called between the two, makes their first
/// runs overlap.
async fn race<F>(s: &Subject, job: F) -> (Race, Race)
where
    F: Fn(&mut dyn Tx, &'static str, &dyn Fn()) -> Result<Race, E> + Send + Sync + Copy + 'static,
{
    let meeting = Arc::new(Meeting::default());
    let stores = [s.store.clone(), (s.reopen)()];
    let tasks = stores.into_iter().zip(["a", "b"]).map(|(store, who)| {
        let meeting = meeting.clone();
        tokio::spawn(async move {
            let first = Cell::new(true);
            store
                .write(move |tx: &mut dyn Tx| {
                    let meet = || {
                        if first.replace(false) {
                            meeting.arrive();
                        }
                    };
                    job(tx, who, &meet)
                })
                .await
        })
    });
    let tasks: Vec<_> = tasks.collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().unwrap());
    }
    let b = results.pop().unwrap();
    (results.pop().unwrap(), b)
}

/// Exactly one of the two won, and the other saw the winner's change.
fn one_winner(results: (Race, Race)) -> &'static str {
    match results {
        (Race::Won, Race::Lost(seen)) if seen == "a" => "a",
        (Race::Lost(seen), Race::Won) if seen == "b" => "b",
        other => panic!("not exactly one winner: {other:?}"),
    }
}

async fn racing_session_creates_from_two_stores_open_one_session(s: Subject) {
    let results = race(&s, |tx, who, meet| {
        let (a, o) = (AppId::new("wx1"), OpenId::new("o1"));
        let found = tx.session(&a, &o)?;
        meet();
        match found {
            Some(found) => Ok(Race::Lost(
                found.kf_account.as_str().trim_end_matches("@test").to_owned(),
            )),
            None => {
                tx.insert_session(&session("o1", &format!("{who}@test")))?;
                Ok(Race::Won)
            }
        }
    })
    .await;
    let winner = one_winner(results);
    let sessions = s
        .store
        .read(|tx: &mut dyn Tx| tx.sessions(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(sessions, vec![session("o1", &format!("{winner}@test"))]);
}

async fn racing_invitations_from_two_stores_send_one(s: Subject) {
    let mut open = kf("wx1", "a@test", None);
    open.invitation = None;
    s.store
        .write(move |tx: &mut dyn Tx| tx.put_kf(&open).map_err(E::from))
        .await
        .unwrap();
    let results = race(&s, |tx, who, meet| {
        let mut k = tx
            .kf(&AppId::new("wx1"), &KfAccount::new("a@test"))?
            .ok_or(E::Rejected)?;
        meet();
        match k.invitation {
            Some(inv) => Ok(Race::Lost(inv.wx.as_str().to_owned())),
            None => {
                k.invitation = Some(Invitation {
                    wx: WechatId::new(who),
                    expire_time: Timestamp(99),
                    rejected: false,
                });
                tx.put_kf(&k)?;
                Ok(Race::Won)
            }
        }
    })
    .await;
    let winner = one_winner(results);
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.kf(&AppId::new("wx1"), &KfAccount::new("a@test")).map_err(E::from))
        .await
        .unwrap()
        .and_then(|k| k.invitation);
    assert_eq!(got.map(|i| i.wx), Some(WechatId::new(winner)));
}

async fn concurrent_increments_from_two_stores_lose_no_update(s: Subject) {
    let stores = [s.store.clone(), (s.reopen)()];
    let mut tasks = Vec::new();
    for i in 0..50 {
        let store = stores[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(|tx: &mut dyn Tx| {
                    let a = AppId::new("wx1");
                    let count = tx.counter(&a, "day:/cgi-bin/token")?.map_or(0, |c| c.count);
                    tx.put_counter(&a, "day:/cgi-bin/token", &counter(count + 1))
                        .map_err(E::from)
                })
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.counter(&AppId::new("wx1"), "day:/cgi-bin/token").map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, Some(counter(50)));
}

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
    a_job_that_fails_after_writing_changes_nothing,
    a_store_error_after_writing_rolls_the_job_back,
    racing_session_creates_from_two_stores_open_one_session,
    racing_invitations_from_two_stores_send_one,
    concurrent_increments_from_two_stores_lose_no_update,
);
