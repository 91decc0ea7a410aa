//! HTTPS for SDKs that cannot be pointed elsewhere: most hard-code
//! `https://api.weixin.qq.com`. kefu keeps a certificate authority of its
//! own ([`CertAuthority`]), signs a server certificate for WeChat's API
//! hosts with it at every start ([`Certificates`]), and serves the same
//! API over TLS in two ways: inside `CONNECT` tunnels on the main listener
//! (proxy mode, `proxy`) and on a TLS port of its own (hosts mode, `secure`).

mod ca;
mod certs;
pub(crate) mod proxy;
pub(crate) mod secure;

pub use ca::{CertAuthority, CERT_FILE, KEY_FILE};
pub use certs::Certificates;

use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

/// Marks a request that came over TLS (the compatibility report reads it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OverTls;

/// What `serve_with` needs for HTTPS.
pub struct Tls {
    /// The server certificate, for `CONNECT` tunnels and the TLS port.
    pub certificates: Certificates,
    /// The TLS port (hosts mode), when there is one.
    pub listener: Option<TcpListener>,
}

/// Why the CA or a certificate could not be loaded or made. Never holds
/// key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A certificate could not be made.
    #[error("cannot make a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// TLS could not be set up.
    #[error("cannot set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
    /// A file or a name is not what it must be.
    #[error("{0}")]
    Invalid(String),
}

impl TlsError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        TlsError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Real time now, for certificate validity.
fn now() -> time::OffsetDateTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
