//! Conformance for what a shared database must hold: a failed job changes
//! nothing, and two stores over the same data never both win a race (each
//! racing job reads, waits for the other, then writes).

use super::{app, fan, kf, session, Subject, E};
use kefu_core::app::App;
use kefu_core::ids::{AccessToken, AppId, KfAccount, OpenId, WechatId};
use kefu_core::kf::{Invitation, KfRecord};
use kefu_core::quota::Counter;
use kefu_core::session::{Fan, Session};
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::Timestamp;
use kefu_store::{HeadImage, Store, Tx};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows in every table, for "nothing changed" checks.
async fn seed(s: &dyn Store) {
    s.write(|tx: &mut dyn Tx| {
        let a = AppId::new("wx1");
        tx.put_app(&app("wx1"))?;
        tx.put_kf(&kf("wx1", "a@test", Some("worker_1")))?;
        tx.put_session(&sess("o1", "a@test"))?;
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

fn sess(openid: &str, kf: &str) -> Session {
    session("wx1", openid, kf, 3)
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

pub async fn a_job_that_fails_after_writing_changes_nothing(s: Subject) {
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
            tx.put_session(&sess("o2", "b@test"))?;
            Err(E::Rejected)
        })
        .await;
    assert_eq!(r, Err(E::Rejected));
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

pub async fn racing_session_creates_from_two_stores_open_one_session(s: Subject) {
    let results = race(&s, |tx, who, meet| {
        let (a, o) = (AppId::new("wx1"), OpenId::new("o1"));
        let found = tx.session(&a, &o)?;
        meet();
        match found {
            Some(found) => Ok(Race::Lost(
                found.kf_account.as_str().trim_end_matches("@test").to_owned(),
            )),
            None => {
                tx.put_session(&sess("o1", &format!("{who}@test")))?;
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
    assert_eq!(sessions, vec![sess("o1", &format!("{winner}@test"))]);
}

pub async fn racing_invitations_from_two_stores_send_one(s: Subject) {
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

pub async fn concurrent_increments_from_two_stores_lose_no_update(s: Subject) {
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
