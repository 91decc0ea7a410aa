//! The binary's HTTPS: its CA (made once, kept across restarts, key owner
//! only, never shown), `kefu ca`, `GET /_kefu/ca.pem`, proxy mode and the
//! TLS port as `kefu serve` wires them, their log lines, and curl through
//! the proxy as a user would run it.

use crate::pg::PgSchema;
use crate::support::{cli, data_dir, sqlite_url, Kefu};
use std::path::Path;
use std::time::Duration;

/// A client that trusts only the CA at `ca`.
fn trusting(ca: &Path) -> reqwest::ClientBuilder {
    let pem = std::fs::read(ca).expect("the CA certificate");
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"))
        .timeout(Duration::from_secs(10))
}

fn token_path(kefu: &Kefu) -> String {
    format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        kefu.demo.appid, kefu.demo.secret
    )
}

async fn body(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
    client.get(url).send().await?.text().await
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test]
async fn the_ca_is_made_once_and_kept_across_restarts() {
    let (dir, db) = data_dir();
    let ca_dir = dir.path().join("ca");
    let ca_arg = ca_dir.to_str().expect("a UTF-8 path");
    let first = Kefu::start_on(&db, &["--ca-dir", ca_arg]);
    let cert = ca_dir.canonicalize().expect("the CA directory").join("ca.pem");
    assert_eq!(first.ca_cert, cert);
    let pem = std::fs::read(&cert).expect("the CA certificate");
    let key = std::fs::read(ca_dir.join("ca-key.pem")).expect("the CA key");
    first.kill();
    let second = Kefu::start_on(&db, &["--ca-dir", ca_arg]);
    assert_eq!(std::fs::read(&second.ca_cert).expect("the CA certificate"), pem);
    assert_eq!(std::fs::read(ca_dir.join("ca-key.pem")).expect("the CA key"), key);
    #[cfg(unix)]
    assert_eq!((mode(&ca_dir.join("ca-key.pem")), mode(&ca_dir)), (0o600, 0o700));
}

#[tokio::test]
async fn kefu_ca_prints_the_path_or_the_certificate_without_a_server() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca_dir = dir.path().join("nested/ca");
    let ca_arg = ca_dir.to_str().expect("a UTF-8 path");
    let path = cli(&["ca", "--ca-dir", ca_arg]).await;
    let cert = ca_dir.canonicalize().expect("made by kefu ca").join("ca.pem");
    assert_eq!(
        (path.code, path.stdout.clone()),
        (Some(0), format!("{}\n", cert.display()))
    );
    let pem = cli(&["ca", "--pem", "--ca-dir", ca_arg]).await;
    assert_eq!(pem.code, Some(0), "{pem:?}");
    assert_eq!(pem.stdout, std::fs::read_to_string(&cert).expect("the CA certificate"));
    assert!(pem.stdout.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem:?}");
    assert!(!pem.stdout.contains("PRIVATE") && !pem.stderr.contains("PRIVATE"));
    let again = cli(&["ca", "--pem", "--ca-dir", ca_arg]).await;
    assert_eq!(again.stdout, pem.stdout, "loaded, not made again");
}

#[tokio::test]
async fn the_certificate_is_served_open_and_the_key_never_shown() {
    let kefu = Kefu::start_with(&["--admin-token", "adm1n-0123456789abcdef", "--tls-listen", "127.0.0.1:0"]);
    let http = reqwest::Client::new();
    let served = http
        .get(format!("{}/_kefu/ca.pem", kefu.base))
        .send()
        .await
        .expect("GET /_kefu/ca.pem");
    assert_eq!(served.status(), 200, "open without the admin token");
    assert_eq!(served.headers()["content-type"], "application/x-pem-file");
    let file = std::fs::read_to_string(&kefu.ca_cert).expect("the CA certificate");
    assert_eq!(served.text().await.expect("a body"), file);
    let proxied = trusting(&kefu.ca_cert)
        .proxy(reqwest::Proxy::https(&kefu.base).expect("a proxy URL"))
        .build()
        .expect("a client");
    let url = format!("https://api.weixin.qq.com{}", token_path(&kefu));
    assert!(body(&proxied, &url).await.expect("a token").contains("access_token"));
    let journal = http
        .get(format!("{}/_kefu/journal", kefu.base))
        .bearer_auth("adm1n-0123456789abcdef")
        .send()
        .await
        .expect("the journal");
    let journal = journal.text().await.expect("a body");
    let key = std::fs::read_to_string(kefu.ca_cert.with_file_name("ca-key.pem")).expect("the CA key");
    let secret = key.lines().nth(1).expect("a key line");
    for shown in [journal, kefu.output()] {
        assert!(!shown.contains(secret) && !shown.contains("PRIVATE KEY"), "{shown}");
    }
}

#[tokio::test]
async fn proxy_mode_and_the_tls_port_answer_and_log_what_they_refuse() {
    let kefu = Kefu::start_with(&["--tls-listen", "127.0.0.1:0", "--tls-host", "kefu.test"]);
    let tls = kefu.tls.clone().expect("the TLS line");
    let addr: std::net::SocketAddr = tls.trim_start_matches("https://").parse().expect("an address");
    let proxied = trusting(&kefu.ca_cert)
        .proxy(reqwest::Proxy::https(&kefu.base).expect("a proxy URL"))
        .build()
        .expect("a client");
    let url = format!("https://sh.api.weixin.qq.com{}", token_path(&kefu));
    assert!(body(&proxied, &url)
        .await
        .expect("a token")
        .contains("\"expires_in\":7200"));
    let hosts = |name: &str| {
        trusting(&kefu.ca_cert)
            .no_proxy()
            .resolve(name, addr)
            .build()
            .expect("a client")
    };
    let url = format!("https://kefu.test:{}{}", addr.port(), token_path(&kefu));
    assert!(body(&hosts("kefu.test"), &url)
        .await
        .expect("a token")
        .contains("access_token"));
    let refused = format!("https://evil.test:{}/cgi-bin/token", addr.port());
    assert!(body(&hosts("evil.test"), &refused).await.is_err());
    let plain = reqwest::Client::builder().no_proxy().build().expect("a client");
    assert!(body(&plain, &format!("http://{addr}/cgi-bin/token")).await.is_err());
    let logged = |what: &str| kefu.output().contains(what);
    for _ in 0..50 {
        if logged("name=\"evil.test\"") && logged("plain HTTP sent to the TLS port") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let output = kefu.output();
    assert!(
        output.contains("TLS handshake refused: kefu has no certificate for this name"),
        "{output}"
    );
    assert!(output.contains("name=\"evil.test\""), "{output}");
    assert!(
        output.contains("plain HTTP sent to the TLS port: connection closed"),
        "{output}"
    );
    assert!(
        output.contains(&format!("TLS listening on {tls} for api.weixin.qq.com, ")),
        "{output}"
    );
}

/// The README's curl recipe, when curl is installed.
#[tokio::test]
async fn curl_reaches_kefu_through_the_proxy_with_the_ca() {
    if std::process::Command::new("curl").arg("--version").output().is_err() {
        println!("SKIPPED: curl is not installed");
        return;
    }
    let kefu = Kefu::start();
    let url = format!("https://api.weixin.qq.com{}", token_path(&kefu));
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(&kefu.ca_cert)
        .args(["-x", &kefu.base, &url])
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .await
        .expect("run curl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("{\"access_token\":\"") && stdout.ends_with(",\"expires_in\":7200}"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_ca_is_made_with_a_postgres_store_too() {
    let Some(schema) = PgSchema::fresh() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca_dir = dir.path().join("ca");
    let kefu = Kefu::start_url(&schema.url(""), &["--ca-dir", ca_dir.to_str().expect("UTF-8")], &[]);
    assert!(kefu.ca_cert.is_file() && ca_dir.join("ca-key.pem").is_file());
    kefu.kill();
}

#[tokio::test]
async fn a_tls_port_off_loopback_needs_the_admin_token() {
    let (dir, db) = data_dir();
    let ca_dir = dir.path().join("ca");
    let url = sqlite_url(&db);
    let args = ["serve", "--listen", "127.0.0.1:0", "--tls-listen", "0.0.0.0:0"];
    let out = cli(&[
        &args[..],
        &["--database", &url, "--ca-dir", ca_dir.to_str().expect("UTF-8")],
    ]
    .concat())
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("refusing to listen on 0.0.0.0:0 without --admin-token (KEFU_ADMIN_TOKEN)"),
        "{out:?}"
    );
    assert!(!db.exists() && !ca_dir.exists(), "nothing was made");
}
