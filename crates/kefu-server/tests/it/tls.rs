//! HTTPS: real TLS clients that trust only kefu's CA reach the API through
//! `CONNECT` on the main listener (proxy mode) and on the TLS port (hosts
//! mode) and get WeChat's exact answers; without the CA they fail. kefu is
//! never an open proxy, refuses names it has no certificate for, closes
//! plain HTTP on the TLS port, and a silent client blocks no one.

use crate::support::{strip_rid, TestApp};
use kefu_server::tls::{CertAuthority, Certificates, Tls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A served kefu with a CA of its own, a plain and a TLS listener.
struct Https {
    app: TestApp,
    ca_pem: String,
    plain: SocketAddr,
    tls: SocketAddr,
    _ca_dir: tempfile::TempDir,
}

async fn start() -> Https {
    let app = TestApp::new().await;
    let ca_dir = tempfile::tempdir().unwrap();
    let ca = CertAuthority::load_or_create(ca_dir.path()).unwrap();
    let certificates = Certificates::issue(&ca, &["kefu.test".into()]).unwrap();
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (plain_addr, tls_addr) = (plain.local_addr().unwrap(), port.local_addr().unwrap());
    let tls = Tls {
        certificates,
        listener: Some(port),
    };
    let state = app.state.clone();
    tokio::spawn(kefu_server::serve_with(plain, Some(tls), state, std::future::pending()));
    Https {
        ca_pem: ca.certificate_pem().to_owned(),
        app,
        plain: plain_addr,
        tls: tls_addr,
        _ca_dir: ca_dir,
    }
}

impl Https {
    /// A client that trusts kefu's CA and no other.
    fn trusting(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap())
            .timeout(Duration::from_secs(10))
    }

    fn via_proxy(&self, builder: reqwest::ClientBuilder) -> reqwest::Client {
        let proxy = reqwest::Proxy::https(format!("http://{}", self.plain)).unwrap();
        builder.proxy(proxy).build().unwrap()
    }

    /// `api.weixin.qq.com` resolved to the TLS port (a hosts entry).
    fn via_hosts(&self, builder: reqwest::ClientBuilder) -> reqwest::Client {
        builder
            .no_proxy()
            .resolve("api.weixin.qq.com", self.tls)
            .build()
            .unwrap()
    }

    fn token_query(&self) -> String {
        format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            self.app.appid, self.app.secret
        )
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Result<(u16, String), reqwest::Error> {
    let res = client.get(url).send().await?;
    let status = res.status().as_u16();
    Ok((status, res.text().await?))
}

/// The answers a client gets from kefu: a token, and WeChat's exact error.
async fn assert_answers(client: &reqwest::Client, base: &str, h: &Https) {
    let (status, body) = get(client, &format!("{base}{}", h.token_query())).await.unwrap();
    let token: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, token["expires_in"].as_i64()), (200, Some(7200)), "{body}");
    let bad = format!("{base}/cgi-bin/token?grant_type=client_credential&appid=wxnone&secret=s");
    let (_, body) = get(client, &bad).await.unwrap();
    assert_eq!(
        strip_rid(&body),
        r#"{"errcode":40013,"errmsg":"invalid appid rid: RID"}"#
    );
}

#[tokio::test]
async fn connect_tunnels_answer_as_wechat_for_a_client_trusting_the_ca() {
    let h = start().await;
    let client = h.via_proxy(h.trusting());
    for host in kefu_server::hosts::WECHAT_HOSTS {
        assert_answers(&client, &format!("https://{host}"), &h).await;
    }
    let entries = h.app.control("GET", "/_kefu/journal?limit=1", json!({})).await;
    let entry = &entries[0];
    assert!(entry["client"].as_str().unwrap().starts_with("127.0.0.1:"), "{entry}");
    assert_eq!(entry["compat"], json!([]), "over TLS: no http_not_https note");
}

#[tokio::test]
async fn the_tls_port_answers_for_wechat_hosts_and_the_loopback_address() {
    let h = start().await;
    let client = h.via_hosts(h.trusting());
    assert_answers(&client, &format!("https://api.weixin.qq.com:{}", h.tls.port()), &h).await;
    // No SNI: the certificate with the IP addresses.
    let direct = h.trusting().no_proxy().build().unwrap();
    assert_answers(&direct, &format!("https://127.0.0.1:{}", h.tls.port()), &h).await;
    let extra = h.trusting().no_proxy().resolve("kefu.test", h.tls).build().unwrap();
    assert_answers(&extra, &format!("https://kefu.test:{}", h.tls.port()), &h).await;
}

#[tokio::test]
async fn without_the_ca_the_certificate_is_refused() {
    let h = start().await;
    let plain = || reqwest::Client::builder().use_rustls_tls();
    let url = format!("https://api.weixin.qq.com{}", h.token_query());
    let err = get(&h.via_proxy(plain()), &url).await.unwrap_err();
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
    let url = format!("https://api.weixin.qq.com:{}{}", h.tls.port(), h.token_query());
    let err = get(&h.via_hosts(plain()), &url).await.unwrap_err();
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
}

/// Writes `request` and reads one answer's head and body (by its length).
async fn raw(addr: SocketAddr, request: &str) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ")?.parse().ok());
                if body.len() >= len.unwrap_or(0) {
                    return;
                }
            }
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.unwrap();
    let text = String::from_utf8_lossy(&got).into_owned();
    (tcp, text)
}

#[tokio::test]
async fn connect_to_another_host_is_refused_naming_the_allowed_hosts() {
    let h = start().await;
    for target in ["example.com:443", "api.weixin.qq.com:80", "127.0.0.1:443"] {
        let (_, answer) = raw(h.plain, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")).await;
        assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
        let body = answer.split_once("\r\n\r\n").unwrap().1;
        assert!(body.starts_with("kefu is not an open proxy"), "{body}");
        assert!(body.contains(&format!("not to {target}")), "{body}");
        for host in kefu_server::hosts::WECHAT_HOSTS {
            assert!(body.contains(host), "{body}");
        }
    }
}

#[tokio::test]
async fn connect_as_http_1_0_is_accepted() {
    let h = start().await;
    let (_tcp, answer) = raw(h.plain, "CONNECT api.weixin.qq.com:443 HTTP/1.0\r\n\r\n").await;
    assert!(
        answer.starts_with("HTTP/1.0 200 Connection established\r\n"),
        "{answer}"
    );
    let (_tcp, answer) = raw(h.plain, "CONNECT sz.api.weixin.qq.com:443 HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        answer.starts_with("HTTP/1.1 200 Connection established\r\n"),
        "{answer}"
    );
}

#[tokio::test]
async fn absolute_form_requests_are_answered_for_wechat_hosts_only() {
    let h = start().await;
    let request = format!(
        "GET http://api.weixin.qq.com{} HTTP/1.1\r\nHost: api.weixin.qq.com\r\nConnection: close\r\n\r\n",
        h.token_query()
    );
    let (_, answer) = raw(h.plain, &request).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains(r#""expires_in":7200}"#), "{answer}");
    let foreign = "GET http://example.com/cgi-bin/token HTTP/1.1\r\nHost: example.com\r\n\r\n";
    let (_, answer) = raw(h.plain, foreign).await;
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
    assert!(answer.contains("not for example.com"), "{answer}");
}

/// A tokio-rustls client trusting kefu's CA.
fn connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn a_name_without_a_certificate_is_refused_in_the_handshake() {
    let h = start().await;
    let tls = connector(&h.ca_pem);
    let name = |n: &str| ServerName::try_from(n.to_owned()).unwrap();
    let tcp = TcpStream::connect(h.tls).await.unwrap();
    let err = tls.connect(name("evil.test"), tcp).await.unwrap_err();
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    let tcp = TcpStream::connect(h.tls).await.unwrap();
    tls.connect(name("hk.api.weixin.qq.com"), tcp).await.unwrap();
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_closed_without_an_answer() {
    let h = start().await;
    let (_, answer) = raw(h.tls, "GET /cgi-bin/token HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(answer, "");
}

#[tokio::test]
async fn a_silent_client_does_not_hold_up_another() {
    let h = start().await;
    let _silent: Vec<TcpStream> = futures_util::future::join_all((0..3).map(|_| TcpStream::connect(h.tls)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let client = h.trusting().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
    let started = std::time::Instant::now();
    assert_answers(&client, &format!("https://127.0.0.1:{}", h.tls.port()), &h).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}
