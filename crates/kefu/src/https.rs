//! kefu's HTTPS options and the `kefu ca` command. SDKs that hard-code
//! `https://api.weixin.qq.com` reach kefu through its proxy mode or its TLS
//! port, once their environment trusts kefu's certificate authority; these
//! flags say where that CA lives and where the TLS port listens, and
//! `kefu ca` hands the CA certificate out without a running server.

use anyhow::Context;
use clap::Args;
use kefu_server::tls::{CertAuthority, Certificates, Tls};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where kefu's certificate authority lives.
#[derive(Debug, Args)]
pub(crate) struct CaArgs {
    /// Directory of kefu's certificate authority (made there on first use; key mode 0600).
    #[arg(long, env = "KEFU_CA_DIR", default_value = "kefu-data/ca", value_name = "DIR")]
    ca_dir: PathBuf,
}

impl CaArgs {
    /// The CA in the directory, made there when there is none.
    pub(crate) fn load(&self) -> anyhow::Result<CertAuthority> {
        CertAuthority::load_or_create(&self.ca_dir).with_context(|| {
            format!(
                "cannot load or make the certificate authority in {}",
                self.ca_dir.display()
            )
        })
    }
}

/// `kefu serve`'s HTTPS options.
#[derive(Debug, Args)]
pub(crate) struct TlsArgs {
    #[command(flatten)]
    ca: CaArgs,
    /// Also serve the API over HTTPS on this address (hosts mode).
    #[arg(long, env = "KEFU_TLS_LISTEN", value_name = "ADDR")]
    tls_listen: Option<SocketAddr>,
    /// Another name for kefu's server certificate, beside WeChat's API hosts and localhost (repeatable; the variable takes a comma-separated list).
    #[arg(long = "tls-host", env = "KEFU_TLS_HOST", value_name = "NAME", value_delimiter = ',')]
    tls_hosts: Vec<String>,
}

impl TlsArgs {
    /// The TLS port's address, when one is asked for.
    pub(crate) fn listen(&self) -> Option<SocketAddr> {
        self.tls_listen
    }

    /// Loads (or makes) the CA, signs this run's server certificate and
    /// binds the TLS port when asked.
    pub(crate) async fn start(&self) -> anyhow::Result<(CertAuthority, Tls)> {
        let ca = self.ca.load()?;
        let certificates = Certificates::issue(&ca, &self.tls_hosts).context("cannot make the server certificate")?;
        let listener = match self.tls_listen {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (--tls-listen)"))?,
            ),
            None => None,
        };
        Ok((ca, Tls { certificates, listener }))
    }
}

/// What `kefu serve` prints about HTTPS once it listens on `plain`.
pub(crate) fn announce(ca: &CertAuthority, tls: &Tls, plain: SocketAddr) -> anyhow::Result<()> {
    if let Some(port) = &tls.listener {
        let addr = port.local_addr().context("cannot read the TLS address")?;
        println!(
            "TLS listening on https://{addr} for {}",
            tls.certificates.names().join(", ")
        );
    }
    println!(
        "CA certificate: {} (proxy mode: HTTPS_PROXY=http://{plain})",
        ca.certificate_path().display()
    );
    Ok(())
}

/// `kefu ca`: the CA certificate's path, or with `pem` the certificate.
pub(crate) fn ca(args: &CaArgs, pem: bool) -> anyhow::Result<()> {
    let ca = args.load()?;
    if pem {
        print!("{}", ca.certificate_pem());
    } else {
        println!("{}", ca.certificate_path().display());
    }
    Ok(())
}
