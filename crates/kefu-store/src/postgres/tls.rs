//! TLS to PostgreSQL, over rustls, as libpq's `sslmode` and `sslrootcert`
//! ask for it.
//!
//! Managed PostgreSQL services require TLS. The client kefu uses knows
//! neither `verify-ca` nor `verify-full`, so kefu takes both parameters out
//! of the URL itself and gives the connector of `cutoff.rs` a rustls
//! configuration (the kill switch stays under the TLS layer, on the socket):
//!
//! - `disable`, `allow`, `prefer`, or no `sslmode`: no TLS (kefu never tries
//!   TLS unless the URL requires it);
//! - `require`: TLS; the certificate is not checked, unless `sslrootcert`
//!   is given, when it is checked as by `verify-ca` (libpq does the same);
//! - `verify-ca`: the certificate must chain to a root of `sslrootcert`;
//! - `verify-full`: that, and it must name the host the URL gives.
//!
//! `sslrootcert` is a PEM file of root certificates, or `system` for the
//! public roots compiled into kefu (Mozilla's set), which (as in libpq) goes
//! with `verify-full` only and makes it the default: any host can show a
//! certificate those roots vouch for. Errors name the parameter and never
//! repeat the rest of the URL. Names are checked as webpki does: against
//! the certificate's subject alternative names, not its common name.

use crate::error::StoreError;
use crate::url::take_params;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Takes `sslmode` and `sslrootcert` out of `url`: the URL left for the
/// client, and the TLS configuration when the URL requires TLS.
pub(crate) fn split_tls(url: &str) -> Result<(String, Option<Arc<ClientConfig>>), StoreError> {
    let (url, [mode, root]) = take_params(url, ["sslmode", "sslrootcert"])?;
    let mode = match (mode.as_deref(), root.as_deref()) {
        // libpq's rule: the public roots vouch for any name, so only a check
        // of the name makes them worth anything.
        (None, Some("system")) => Mode::VerifyFull,
        (Some(m), Some("system")) if m != "verify-full" => return Err(system_needs_full(m)),
        (mode, _) => parse_mode(mode.unwrap_or("prefer"))?,
    };
    Ok((url, client_config(mode, root.as_deref())?))
}

/// `sslrootcert=system` with a mode that does not check the host's name.
fn system_needs_full(mode: &str) -> StoreError {
    unsupported(format!(
        "sslrootcert=system needs sslmode=verify-full (not {mode}): the public roots vouch for any host's certificate"
    ))
}

fn unsupported(why: String) -> StoreError {
    StoreError::Unsupported(format!("postgres url: {why}"))
}

fn parse_mode(value: &str) -> Result<Mode, StoreError> {
    Ok(match value {
        "disable" | "allow" | "prefer" => Mode::Plain,
        "require" => Mode::Require,
        "verify-ca" => Mode::VerifyCa,
        "verify-full" => Mode::VerifyFull,
        other => {
            return Err(unsupported(format!(
                "sslmode={other:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            )))
        }
    })
}

fn client_config(mode: Mode, root: Option<&str>) -> Result<Option<Arc<ClientConfig>>, StoreError> {
    let mode = match (mode, root) {
        (Mode::Plain, _) => return Ok(None),
        (Mode::Require, Some(_)) => Mode::VerifyCa,
        (Mode::VerifyCa | Mode::VerifyFull, None) => {
            return Err(unsupported(
                "sslmode=verify-ca and verify-full need sslrootcert (a PEM file, or `system`)".into(),
            ))
        }
        (mode, _) => mode,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = match root {
        None => None,
        Some(root) => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(root)?), provider.clone())
                .build()
                .map_err(|e| unsupported(format!("sslrootcert: {e}")))?,
        ),
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, chain) {
        (Mode::VerifyFull, Some(chain)) => chain,
        (_, chain) => Arc::new(Lenient {
            chain,
            provider: provider.clone(),
        }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(Arc::new(config)))
}

/// The roots `sslrootcert` names.
fn roots(root: &str) -> Result<RootCertStore, StoreError> {
    let mut store = RootCertStore::empty();
    if root == "system" {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    }
    let certs = CertificateDer::pem_file_iter(root)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| unsupported(format!("sslrootcert: cannot read {root}: {e}")))?;
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(unsupported(format!("sslrootcert: no certificate in {root}")));
    }
    Ok(store)
}

/// `require` without roots (`chain` none): any certificate. `verify-ca`:
/// the chain as `verify-full` checks it, whatever name the certificate
/// carries. Either way the handshake's signatures are checked, so the
/// session is encrypted to whoever holds the certificate's key.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> Result<(String, bool), String> {
        split_tls(url).map(|(u, c)| (u, c.is_some())).map_err(|e| e.to_string())
    }

    #[test]
    fn only_a_mode_that_requires_tls_makes_a_configuration() {
        let plain = "postgres://kefu:s3cret@db/kefu";
        assert_eq!(split(plain), Ok((plain.into(), false)));
        for mode in ["disable", "allow", "prefer"] {
            let url = format!("postgres://kefu@db/kefu?sslmode={mode}&schema=k1");
            assert_eq!(
                split(&url),
                Ok(("postgres://kefu@db/kefu?schema=k1".into(), false)),
                "{mode}"
            );
        }
        let url = "postgres://kefu@db/kefu?application_name=a&sslmode=require";
        assert_eq!(
            split(url),
            Ok(("postgres://kefu@db/kefu?application_name=a".into(), true))
        );
        let url = "postgres://kefu@db/kefu?sslmode=verify-full&sslrootcert=system";
        assert_eq!(split(url), Ok(("postgres://kefu@db/kefu".into(), true)));
        // The public roots alone ask for TLS, checked in full (libpq's rule).
        let url = "postgres://kefu@db/kefu?sslrootcert=system";
        assert_eq!(split(url), Ok(("postgres://kefu@db/kefu".into(), true)));
    }

    #[test]
    fn bad_tls_parameters_are_refused_naming_them_and_nothing_else() {
        let refused = |query: &str| split(&format!("postgres://kefu:s3cret@db/kefu?{query}")).unwrap_err();
        let e = refused("sslmode=verify-everything");
        assert!(e.contains("sslmode=\"verify-everything\" is not one of"), "{e}");
        let e = refused("sslmode=verify-full");
        assert!(e.contains("need sslrootcert"), "{e}");
        let e = refused("sslmode=verify-ca&sslrootcert=%2Fnowhere%2Froot.pem");
        assert!(e.contains("sslrootcert: cannot read /nowhere/root.pem"), "{e}");
        for weaker in ["disable", "prefer", "require", "verify-ca"] {
            let e = refused(&format!("sslmode={weaker}&sslrootcert=system"));
            assert!(e.contains("sslrootcert=system needs sslmode=verify-full"), "{e}");
        }
        let e = refused("sslmode=require&sslmode=disable");
        assert!(e.contains("`sslmode` is given twice"), "{e}");
        for e in [e, refused("sslmode=verify-full")] {
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let url = format!(
            "postgres://kefu@db/kefu?sslmode=verify-full&sslrootcert={}",
            path.display()
        );
        let e = split(&url).unwrap_err();
        assert!(e.contains("sslrootcert: no certificate in"), "{e}");
    }
}
