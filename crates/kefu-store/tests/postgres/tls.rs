//! TLS to PostgreSQL, with real TLS on both sides: `sslmode=require`
//! against the test server itself (when it has TLS on), and every mode that
//! checks a certificate against a relay that answers PostgreSQL's
//! `SSLRequest`, terminates TLS with rustls and a certificate made here,
//! and passes the plain bytes on to the test server (or to a relay that can
//! go silent: the kill switch still cuts a TLS connection at its deadline).

use super::deadline::{Held, Then, DEADLINE, LATE};
use super::{app_ids, open, put_app};
use kefu_test_support as common;

use super::proxy::{upstream, Proxy};
use common::{off_runtime, PgSchema};
use kefu_store::{DatabaseUrl, StoreError};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A certificate authority and a server certificate it signed for
/// `localhost` only.
struct Pki {
    ca_pem: String,
    server: rustls::ServerConfig,
}

fn ca(name: &str) -> (Issuer<'static, KeyPair>, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (Issuer::new(params, key), cert.pem())
}

fn pki() -> Pki {
    let (issuer, ca_pem) = ca("kefu test CA");
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Pki { ca_pem, server }
}

/// What the relay answers to `SSLRequest`.
#[derive(Clone, Copy)]
enum Answer {
    /// `S`, then TLS with the certificate.
    Tls,
    /// `N`: this server has no TLS.
    NoTls,
}

/// Starts the relay to the test server on its own runtime; its port.
fn relay(server: rustls::ServerConfig, answer: Answer) -> u16 {
    relay_to(server, answer, upstream())
}

/// Starts the relay to `to` on its own runtime; its port.
fn relay_to(server: rustls::ServerConfig, answer: Answer, to: SocketAddr) -> u16 {
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            port_tx.send(listener.local_addr().unwrap().port()).unwrap();
            loop {
                let (client, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(client, acceptor.clone(), answer, to));
            }
        });
    });
    port_rx.recv().unwrap()
}

async fn serve(mut client: TcpStream, acceptor: tokio_rustls::TlsAcceptor, answer: Answer, to: SocketAddr) {
    // SSLRequest: length 8, code 80877103.
    let mut request = [0; 8];
    if client.read_exact(&mut request).await.is_err() || request != [0, 0, 0, 8, 4, 210, 22, 47] {
        return;
    }
    if let Answer::NoTls = answer {
        let _ = client.write_all(b"N").await;
        return;
    }
    if client.write_all(b"S").await.is_err() {
        return;
    }
    let Ok(mut tls) = acceptor.accept(client).await else {
        return;
    };
    let Ok(mut server) = TcpStream::connect(to).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
}

/// The test server's user and database through the relay at `host:port`.
fn url_via(schema: &PgSchema, host: &str, port: u16, tls: &str) -> String {
    let config: postgres::Config = common::base_url().parse().unwrap();
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let db = config.get_dbname().unwrap_or(&user).to_owned();
    format!("postgres://{user}@{host}:{port}/{db}?schema={}&{tls}", schema.name)
}

fn open_err(url: String) -> StoreError {
    let url = DatabaseUrl::parse(&url).unwrap();
    off_runtime(move || kefu_store::open(&url).err().expect("the store opened"))
}

fn ca_file(dir: &tempfile::TempDir, name: &str, pem: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, pem).unwrap();
    form_urlencoded::byte_serialize(path.to_str().unwrap().as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_trusts_its_root_and_the_name_it_was_given() {
    let Some(schema) = PgSchema::fresh() else { return };
    let Pki { ca_pem, server } = pki();
    let port = relay(server, Answer::Tls);
    let dir = tempfile::tempdir().unwrap();
    let root = ca_file(&dir, "root.pem", &ca_pem);

    let full = format!("sslmode=verify-full&sslrootcert={root}");
    let store = open(&url_via(&schema, "localhost", port, &full));
    put_app(&*store, "wx1").await.unwrap();
    assert_eq!(app_ids(&*store).await.unwrap(), vec!["wx1"]);

    // The certificate names `localhost`, not 127.0.0.1: verify-full refuses
    // the address, verify-ca takes it.
    let e = open_err(url_via(&schema, "127.0.0.1", port, &full));
    assert!(e.to_string().contains("certificate"), "{e}");
    let by_address = open(&url_via(
        &schema,
        "127.0.0.1",
        port,
        &format!("sslmode=verify-ca&sslrootcert={root}"),
    ));
    assert_eq!(app_ids(&*by_address).await.unwrap(), vec!["wx1"]);
    // `require` with a root file checks as verify-ca does (libpq's rule).
    let other = ca_file(&dir, "other.pem", &ca("another CA").1);
    for mode in ["verify-full", "verify-ca", "require"] {
        let e = open_err(url_via(
            &schema,
            "localhost",
            port,
            &format!("sslmode={mode}&sslrootcert={other}"),
        ));
        assert!(e.to_string().contains("certificate"), "{mode}: {e}");
    }
    // Without roots, `require` encrypts but checks no certificate.
    let unchecked = open(&url_via(&schema, "127.0.0.1", port, "sslmode=require"));
    assert_eq!(app_ids(&*unchecked).await.unwrap(), vec!["wx1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_tls_is_refused_when_tls_is_required() {
    let Some(schema) = PgSchema::fresh() else { return };
    let port = relay(pki().server, Answer::NoTls);
    let e = open_err(url_via(&schema, "localhost", port, "sslmode=require"));
    assert!(e.to_string().contains("TLS"), "{e}");
    // Public roots do not vouch for a certificate made here; naming them is
    // enough to ask for TLS checked in full.
    let Pki { server, .. } = pki();
    let port = relay(server, Answer::Tls);
    for tls in ["sslmode=verify-full&sslrootcert=system", "sslrootcert=system"] {
        let e = open_err(url_via(&schema, "localhost", port, tls));
        assert!(e.to_string().contains("certificate"), "{tls}: {e}");
    }
}

/// The test server itself, when its TLS is on: every connection the store
/// makes is encrypted, as the server sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_encrypts_every_connection_to_the_server() {
    let Some(schema) = PgSchema::fresh() else { return };
    let base = common::base_url();
    let ssl_on = off_runtime(move || {
        let mut c = common::connect(&base).unwrap();
        c.query_one("SHOW ssl", &[]).unwrap().get::<_, String>(0) == "on"
    });
    if !ssl_on {
        eprintln!("skipped: the test server has ssl = off");
        return;
    }
    let name = format!("{}_tls", schema.name);
    let store = open(&schema.url(&format!("&sslmode=require&application_name={name}")));
    put_app(&*store, "wx1").await.unwrap();
    assert_eq!(app_ids(&*store).await.unwrap(), vec!["wx1"]);
    let base = common::base_url();
    let (encrypted, all) = off_runtime(move || {
        let mut c = common::connect(&base).unwrap();
        let row = c
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s \
                 JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
                &[&name],
            )
            .unwrap();
        (row.get::<_, i64>(0), row.get::<_, i64>(1))
    });
    assert!(all >= 2, "the store's connections are seen: {all}");
    assert_eq!(encrypted, all);
}

/// The kill switch sits under TLS: a job held in its transaction on a TLS
/// connection whose path then goes silent (the plain side behind the relay
/// swallows everything) is cut at its deadline, and the store goes on over
/// new TLS connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_connection_gone_silent_is_cut_at_the_deadline() {
    let Some(schema) = PgSchema::fresh() else { return };
    let path = Proxy::start(upstream());
    let port = relay_to(pki().server, Answer::Tls, SocketAddr::from(([127, 0, 0, 1], path.port)));
    let store = open(&url_via(&schema, "localhost", port, "sslmode=require"));
    let submitted = Instant::now();
    let held = Held::start(&store, "wx1", Then::WriteAgain);
    held.ready();

    path.black_hole();
    let (message, took) = held.go(submitted).await;
    assert!(message.contains("passed its deadline"), "{message}");
    assert!(took < DEADLINE + LATE, "answered after {took:?}");

    path.up();
    put_app(&*store, "wx2").await.unwrap();
    assert_eq!(app_ids(&*store).await.unwrap(), vec!["wx2"]);
}
