//! kefu's own certificate authority. A client that trusts this one
//! certificate reaches kefu at `https://api.weixin.qq.com` unchanged, as
//! with mitmproxy's or moto's CA. It is made once per directory (by default
//! `kefu-data/ca/`) and loaded, never regenerated, at every later start, so
//! a trust store set up once keeps working. Its private key stays in that
//! directory: nothing here prints, logs or serves it.

use super::TlsError;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The CA certificate (PEM), in the CA directory.
pub const CERT_FILE: &str = "ca.pem";
/// The CA's private key (PKCS#8 PEM, mode 0600), in the CA directory.
pub const KEY_FILE: &str = "ca-key.pem";
/// Held while a process loads or makes the CA, so that instances starting
/// together make one.
const LOCK_FILE: &str = "ca.lock";
/// How long the CA certificate is valid.
const VALID_DAYS: i64 = 3650;

/// A loaded certificate authority: its certificate, and the key that signs
/// kefu's server certificates. `Debug` shows the directory only.
pub struct CertAuthority {
    dir: PathBuf,
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    created: bool,
}

impl fmt::Debug for CertAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertAuthority")
            .field("dir", &self.dir)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl CertAuthority {
    /// The CA kept in `dir`, or a new one made there when it holds none
    /// (the directory is created with mode 0700, the key file with 0600).
    pub fn load_or_create(dir: &Path) -> Result<CertAuthority, TlsError> {
        make_dir(dir)?;
        let dir = fs::canonicalize(dir).map_err(|e| TlsError::io(dir, e))?;
        let _lock = lock(&dir)?;
        if dir.join(KEY_FILE).exists() {
            load(dir)
        } else {
            create(dir)
        }
    }

    /// The directory holding the CA.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the CA certificate (PEM) is.
    pub fn certificate_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    /// The CA certificate, PEM: public, what clients add to their trust store.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Whether this start made the CA (rather than loading it).
    pub fn created(&self) -> bool {
        self.created
    }

    /// What signs kefu's server certificates.
    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }
}

/// The CA's name, usages and constraints: derived from its key alone, so
/// the loaded CA signs with exactly the subject its certificate carries.
/// The name holds part of the key's identifier, so that two kefu CAs in one
/// trust store never share a subject.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let id: String = params.key_identifier(key)[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::OrganizationName, "kefu");
    params
        .distinguished_name
        .push(DnType::CommonName, format!("kefu local CA {id}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn create(dir: PathBuf) -> Result<CertAuthority, TlsError> {
    let key = KeyPair::generate()?;
    let mut params = ca_params(&key);
    let now = super::now();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALID_DAYS);
    let cert_pem = params.self_signed(&key)?.pem();
    // The key is written last: a directory with a key holds a whole CA.
    write_file(&dir.join(CERT_FILE), cert_pem.as_bytes(), 0o644)?;
    write_file(&dir.join(KEY_FILE), key.serialize_pem().as_bytes(), 0o600)?;
    tracing::info!(dir = %dir.display(), "made a new certificate authority");
    Ok(CertAuthority {
        dir,
        cert_pem,
        issuer: Issuer::new(ca_params(&key), key),
        created: true,
    })
}

fn load(dir: PathBuf) -> Result<CertAuthority, TlsError> {
    let key_path = dir.join(KEY_FILE);
    owner_only(&key_path)?;
    let key_pem = fs::read_to_string(&key_path).map_err(|e| TlsError::io(&key_path, e))?;
    let key = KeyPair::from_pem(&key_pem)
        .map_err(|e| TlsError::Invalid(format!("{}: not a private key ({e})", key_path.display())))?;
    let cert_path = dir.join(CERT_FILE);
    let cert_pem = fs::read_to_string(&cert_path).map_err(|e| {
        TlsError::Invalid(format!(
            "{}: {e}; restore it, or remove {} to make a new certificate authority",
            cert_path.display(),
            key_path.display()
        ))
    })?;
    if !certifies(&cert_pem, &key) {
        return Err(TlsError::Invalid(format!(
            "{} is not the certificate of {}; remove both to make a new certificate authority",
            cert_path.display(),
            key_path.display()
        )));
    }
    Ok(CertAuthority {
        dir,
        cert_pem,
        issuer: Issuer::new(ca_params(&key), key),
        created: false,
    })
}

/// Whether the PEM certificate carries the key's public half.
fn certifies(cert_pem: &str, key: &KeyPair) -> bool {
    let Ok(der) = CertificateDer::from_pem_slice(cert_pem.as_bytes()) else {
        return false;
    };
    let public = key.public_key_raw();
    der.windows(public.len()).any(|w| w == public)
}

/// Creates the directory (its parents as usual, itself owner-only).
fn make_dir(dir: &Path) -> Result<(), TlsError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| TlsError::io(parent, e))?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(TlsError::io(dir, e)),
        _ => Ok(()),
    }
}

/// An exclusive lock on the directory's lock file, released when dropped.
fn lock(dir: &Path) -> Result<File, TlsError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| TlsError::io(&path, e))?;
    file.lock().map_err(|e| TlsError::io(&path, e))?;
    Ok(file)
}

/// Writes `path` whole or not at all (a temporary file renamed into place).
fn write_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp).map_err(|e| TlsError::io(&tmp, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| TlsError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| TlsError::io(path, e))
}

/// Makes the key file readable by its owner only, if someone widened it.
fn owner_only(path: &Path) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(|e| TlsError::io(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the CA key was readable by others; now mode 0600");
            fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|e| TlsError::io(path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_is_made_once_and_then_loaded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data/ca");
        let made = CertAuthority::load_or_create(&dir).unwrap();
        let loaded = CertAuthority::load_or_create(&dir).unwrap();
        assert!(made.created() && !loaded.created());
        assert_eq!(made.certificate_pem(), loaded.certificate_pem());
        assert_eq!(
            fs::read_to_string(loaded.certificate_path()).unwrap(),
            loaded.certificate_pem()
        );
        assert!(!format!("{loaded:?}").contains("PRIVATE"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
    }

    #[test]
    fn a_certificate_of_another_key_is_refused() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        CertAuthority::load_or_create(a.path()).unwrap();
        CertAuthority::load_or_create(b.path()).unwrap();
        fs::copy(b.path().join(CERT_FILE), a.path().join(CERT_FILE)).unwrap();
        let err = CertAuthority::load_or_create(a.path()).unwrap_err().to_string();
        assert!(err.contains("is not the certificate of"), "{err}");
        assert!(!err.contains("PRIVATE"), "{err}");
    }
}
