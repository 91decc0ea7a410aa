//! The certificate kefu serves over HTTPS, signed by its CA: one leaf for
//! WeChat's API hosts, the machine's own names (`localhost`, `127.0.0.1`,
//! `::1`) and the names given with `--tls-host`. It is made anew at every
//! start (only the CA is kept). A handshake without SNI (a client that
//! dials an IP address) gets it too; one for a name it does not carry is
//! refused and logged, so kefu never pretends to be a site it was not told
//! to answer for.

use super::TlsError;
use crate::hosts::{LOCAL_NAMES, WECHAT_HOSTS};
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{DnsName, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::IpAddr;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// How long a server certificate is valid (it is made anew at each start).
const VALID_DAYS: i64 = 397;

/// kefu's server certificate and the TLS settings that serve it.
#[derive(Clone)]
pub struct Certificates {
    names: Arc<[String]>,
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates").field("names", &self.names).finish()
    }
}

impl Certificates {
    /// A new server certificate signed by `ca`, for WeChat's API hosts, the
    /// local names and `extra_hosts` (DNS names, `*.` wildcards or IPs).
    pub fn issue(ca: &super::CertAuthority, extra_hosts: &[String]) -> Result<Certificates, TlsError> {
        let names = served_names(extra_hosts)?;
        let key = KeyPair::generate()?;
        let cert = leaf_params(&names)?.signed_by(&key, ca.issuer())?;
        let signer = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(key.serialize_der().into()))?;
        let resolver = Resolver {
            names: names.clone().into(),
            key: Arc::new(CertifiedKey::new(vec![cert.der().clone()], signer)),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Certificates {
            names: names.into(),
            config: Arc::new(config),
        })
    }

    /// The names the certificate carries, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Terminates TLS with this certificate.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.clone())
    }
}

/// WeChat's hosts, the local names and the extra ones (checked, lowercase,
/// each once).
fn served_names(extra: &[String]) -> Result<Vec<String>, TlsError> {
    let mut names: Vec<String> = WECHAT_HOSTS.iter().chain(LOCAL_NAMES).map(|h| h.to_string()).collect();
    for name in extra {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if !valid_name(&name) {
            return Err(TlsError::Invalid(format!(
                "--tls-host {name:?}: not a host name, a *.wildcard or an IP address"
            )));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

fn valid_name(name: &str) -> bool {
    if name.parse::<IpAddr>().is_ok() {
        return true;
    }
    let base = name.strip_prefix("*.").unwrap_or(name);
    !base.contains('*') && DnsName::try_from(base).is_ok()
}

fn leaf_params(names: &[String]) -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(names.to_vec())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::OrganizationName, "kefu");
    params.distinguished_name.push(DnType::CommonName, WECHAT_HOSTS[0]);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = super::now();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALID_DAYS);
    Ok(params)
}

/// Picks the certificate by the name the client asked for (SNI).
#[derive(Debug)]
struct Resolver {
    names: Arc<[String]>,
    key: Arc<CertifiedKey>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(asked) = hello.server_name() else {
            // No SNI: a client that dialled an address; the certificate
            // carries the loopback addresses (and any --tls-host IP).
            return Some(self.key.clone());
        };
        if self.names.iter().any(|n| matches(n, asked)) {
            return Some(self.key.clone());
        }
        tracing::warn!(
            name = asked,
            served = %self.names.join(", "),
            "TLS handshake refused: kefu has no certificate for this name (add it with --tls-host)"
        );
        None
    }
}

/// Whether certificate name `pattern` (perhaps `*.suffix`) covers `name`.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix)),
        None => pattern.eq_ignore_ascii_case(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_wechat_local_then_extra_once_each() {
        let names = served_names(&["Kefu.Test.".into(), "api.weixin.qq.com".into(), "10.0.0.2".into()]).unwrap();
        assert_eq!(&names[..5], WECHAT_HOSTS);
        assert_eq!(&names[5..8], LOCAL_NAMES);
        assert_eq!(&names[8..], ["kefu.test", "10.0.0.2"]);
        assert!(served_names(&["bad name".into()]).is_err());
        assert!(served_names(&["a.*.test".into()]).is_err());
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(matches("*.kefu.test", "a.kefu.test"));
        assert!(!matches("*.kefu.test", "a.b.kefu.test"));
        assert!(!matches("*.kefu.test", "kefu.test"));
        assert!(matches("API.weixin.qq.com", "api.WEIXIN.qq.com"));
    }
}
