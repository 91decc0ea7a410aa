//! What only the PostgreSQL backend promises: migrations shared by processes
//! starting together, recovery from lost connections and outages without a
//! restart, fast failures while the server is away, no password in errors
//! or logs, and no half-committed job. Skipped like the conformance suite's
//! PostgreSQL half when no server answers (see the `kefu-test-support` crate).

use kefu_test_support as common;

mod deadline;
mod hints;
mod pools;
mod proxy;
mod tls;

use common::PgSchema;
use kefu_core::app::{AccountType, App};
use kefu_core::ids::AppId;
use kefu_core::Timestamp;
use kefu_store::{DatabaseUrl, Store, StoreError, Tx};
use proxy::{upstream, via, Proxy};
use std::io::{self, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq)]
enum E {
    Store(StoreError),
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
        ip_whitelist: kefu_core::whitelist::Whitelist::default(),
        quotas: vec![],
    }
}

async fn put_app(s: &dyn Store, id: &'static str) -> Result<(), E> {
    s.write(move |tx: &mut dyn Tx| tx.put_app(&app(id)).map_err(E::from))
        .await
}

async fn app_ids(s: &dyn Store) -> Result<Vec<String>, E> {
    let apps = s.read(|tx: &mut dyn Tx| tx.apps().map_err(E::from)).await?;
    Ok(apps.into_iter().map(|a| a.appid.as_str().to_owned()).collect())
}

fn open(url: &str) -> Arc<dyn Store> {
    kefu_store::open(&DatabaseUrl::parse(url).unwrap()).unwrap()
}

/// Everything the store logs, from every test of this binary.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Capture(logs.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_when_processes_start_together() {
    let Some(schema) = PgSchema::fresh() else { return };
    let url = DatabaseUrl::parse(&schema.url("")).unwrap();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || kefu_store::migrate(&url).unwrap())
        })
        .collect();
    let applied: usize = runs.into_iter().map(|r| r.join().unwrap()).sum();
    assert_eq!(applied, 6, "each migration file applied exactly once");
    assert_eq!(kefu_store::migrate(&url).unwrap(), 0);
    let store = kefu_store::open(&url).unwrap();
    assert_eq!(store.backend(), "postgres");
    assert!(store.shared());
    put_app(&*store, "wx1").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_reconnects_after_its_connections_are_killed() {
    logs();
    let Some(schema) = PgSchema::fresh() else { return };
    let store = open(&schema.url(&format!("&application_name={}", schema.name)));
    // Enough jobs to give most workers a connection.
    for _ in 0..8 {
        put_app(&*store, "wx1").await.unwrap();
        app_ids(&*store).await.unwrap();
    }
    let (base, name) = (common::base_url(), schema.name.clone());
    let killed = common::off_runtime(move || {
        let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1";
        common::connect(&base).unwrap().query(sql, &[&name]).unwrap().len()
    });
    assert!(killed >= 2, "a writer and a reader were connected");
    // A killed connection is noticed and replaced within the job that meets it.
    for _ in 0..8 {
        put_app(&*store, "wx2").await.unwrap();
        assert_eq!(app_ids(&*store).await.unwrap(), ["wx1", "wx2"]);
    }
    assert!(logged().contains("PostgreSQL connection lost"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_fast_and_the_store_heals_without_a_restart() {
    logs();
    let Some(schema) = PgSchema::fresh() else { return };
    let proxy = Proxy::start(upstream());
    let (url, password) = via(&schema, proxy.port);
    let store = open(&url);
    put_app(&*store, "wx1").await.unwrap();

    proxy.down();
    let started = Instant::now();
    let write = put_app(&*store, "wx2").await;
    let read = app_ids(&*store).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    for failure in [write.unwrap_err(), read.unwrap_err()] {
        let E::Store(StoreError::Backend(message)) = failure else {
            panic!("not a backend error: {failure:?}")
        };
        assert!(!message.contains(&password), "{message}");
    }

    proxy.up();
    put_app(&*store, "wx3").await.unwrap();
    assert_eq!(app_ids(&*store).await.unwrap(), ["wx1", "wx3"]);
    let logged = logged();
    assert!(logged.contains("cannot connect to PostgreSQL"), "{logged}");
    assert!(!logged.contains(&password));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_open_within_seconds() {
    logs();
    // Accepts TCP connections (the kernel does) but never speaks.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("postgres://kefu:hunter2@{}/test", silent.local_addr().unwrap());
    let started = Instant::now();
    let opened = tokio::task::spawn_blocking(move || kefu_store::open(&DatabaseUrl::parse(&url).unwrap()))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let Err(StoreError::Backend(message)) = opened else {
        panic!("opened, or not a backend error")
    };
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!logged().contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_open_at_once() {
    let url = DatabaseUrl::parse("postgres://kefu:hunter2@127.0.0.1:1/test").unwrap();
    let started = Instant::now();
    let Err(StoreError::Backend(message)) = kefu_store::open(&url) else {
        panic!("opened, or not a backend error")
    };
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_carries_on_after_a_failed_statement_commits_nothing() {
    let Some(schema) = PgSchema::fresh() else { return };
    let store = open(&schema.url(""));
    // PostgreSQL aborts a transaction at its first failed statement (here a
    // text with a NUL byte, which it refuses): a job that ignores the
    // failure is reported as failed, never half-committed.
    let r = store
        .write(move |tx: &mut dyn Tx| {
            tx.put_app(&app("wx1"))?;
            let _ignored = tx.set_meta("bad", "nul\0byte");
            Ok::<_, E>(())
        })
        .await;
    assert!(matches!(r, Err(E::Store(StoreError::Backend(_)))), "{r:?}");
    assert!(app_ids(&*store).await.unwrap().is_empty());
}
