//! Where the PostgreSQL backend connects and with which session settings.
//!
//! The URL's own parameters go to the client unchanged, but for kefu's own
//! (`schema`, the pool sizes `writers` and `readers`, and the TLS ones of
//! `tls.rs`); kefu adds what makes
//! an outage fail fast instead of hanging (connect timeout, keepalives,
//! server-side statement and idle timeouts), asks for durable commits, and
//! points `search_path` at the URL's `schema`. [`Target`]'s `Display` is what
//! logs show: host, port, database and schema, never user or password.
//!
//! Over TCP every connection is made through a [`Cutoff`] (see `cutoff.rs`:
//! the client takes it for a TLS connector, hence the TLS settings this
//! module sets), so that a connection can be given up while the client is
//! blocked on it; `sslmode` and `sslrootcert` are read by `tls.rs`, and a
//! URL that requires TLS gets it above the cutoff, or is refused where it
//! cannot have it (a Unix socket, direct TLS negotiation).

use super::cutoff::{Cutoff, CutoffConnect};
use super::failure::{backend, describe};
use super::tls::split_tls;
use crate::error::StoreError;
use crate::url::{split_schema, take_params};
use postgres::config::{Host, SslMode, SslNegotiation};
use postgres::{Client, Config, NoTls};
use rustls::ClientConfig;
use std::fmt;
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Longest wait for a TCP connection, unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// What a whole connection (startup and authentication after TCP) may take
/// beyond the connect timeout.
const HANDSHAKE_TIME: Duration = Duration::from_secs(3);
/// Unacknowledged data for this long means the server is gone.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);
/// Keepalive probes start after this much silence...
const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
/// ...are sent this often...
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(2);
/// ...and this many unanswered ones close the connection.
const KEEPALIVE_RETRIES: u32 = 3;
/// Server-side limits for every session (milliseconds); the URL's `options`
/// come after them and may override them.
const SESSION_LIMITS: &str =
    "-c statement_timeout=15000 -c lock_timeout=5000 -c idle_in_transaction_session_timeout=15000";

/// A parsed PostgreSQL URL with kefu's settings applied.
pub(crate) struct Target {
    config: Config,
    schema: Option<String>,
    /// Whether connections go through a [`Cutoff`]: over TCP they do; a
    /// Unix socket (no network path to lose) is connected to directly.
    cut_off: bool,
    /// TLS above the cutoff, when the URL requires it.
    tls: Option<Arc<ClientConfig>>,
    /// Connections (and threads) that run write jobs: `writers=N`.
    pub(crate) writers: usize,
    /// Connections (and threads) that run read jobs: `readers=N`.
    pub(crate) readers: usize,
}

/// Write and read connections when the URL does not say.
const POOL: usize = 4;
/// The most either pool may have.
const MOST_POOL: usize = 64;

/// A pool size from the URL: 1 to [`MOST_POOL`], [`POOL`] when not given.
fn pool_size(name: &str, value: Option<String>) -> Result<usize, StoreError> {
    match value {
        None => Ok(POOL),
        Some(v) => v.parse().ok().filter(|n| (1..=MOST_POOL).contains(n)).ok_or_else(|| {
            StoreError::Unsupported(format!(
                "postgres url: {name}={v:?} is not a number from 1 to {MOST_POOL}"
            ))
        }),
    }
}

impl Target {
    /// Parses a `postgres://` URL (with kefu's optional `schema` parameter).
    pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
        let (url, schema) = split_schema(url)?;
        let (url, tls) = split_tls(&url)?;
        let (url, [writers, readers]) = take_params(&url, ["writers", "readers"])?;
        let (writers, readers) = (pool_size("writers", writers)?, pool_size("readers", readers)?);
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| StoreError::Unsupported(format!("postgres url: {}", describe(&e))))?;
        refuse_direct_tls(&config)?;
        apply_settings(&mut config, schema.as_deref());
        let cut_off = through_cutoff(&mut config, tls.is_some())?;
        Ok(Target {
            config,
            schema,
            cut_off,
            tls,
            writers,
            readers,
        })
    }

    /// The schema kefu's tables live in, when the URL names one.
    pub(crate) fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Opens one connection behind `cutoff`; failures are logged (without
    /// credentials).
    ///
    /// The client's own timeout covers the TCP connect only, so the whole
    /// handshake runs on a thread of its own, waited for a few seconds more:
    /// a server that accepts connections but never answers fails the attempt,
    /// and the attempt's connection is cut, so that the thread ends too.
    /// Tripping `cutoff` meanwhile (a job's deadline) fails it sooner.
    pub(crate) fn connect(&self, cutoff: &Arc<Cutoff>) -> Result<Client, StoreError> {
        let (config, cut_off) = (self.config.clone(), self.cut_off);
        let through = CutoffConnect {
            cutoff: cutoff.clone(),
            tls: self.tls.clone(),
        };
        let (sender, receiver) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("kefu-pg-connect".into())
            .spawn(move || {
                let connected = if cut_off {
                    config.connect(through)
                } else {
                    config.connect(NoTls)
                };
                let _ = sender.send(connected);
            })
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let deadline = self.config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT) + HANDSHAKE_TIME;
        let connected = match receiver.recv_timeout(deadline) {
            Ok(connected) => connected.map_err(backend),
            Err(_) => {
                cutoff.trip();
                Err(StoreError::Backend(format!(
                    "no answer from the server within {} s",
                    deadline.as_secs()
                )))
            }
        };
        connected.inspect_err(|err| tracing::warn!(db = %self, error = %err, "cannot connect to PostgreSQL"))
    }
}

/// Direct TLS negotiation (PostgreSQL 17) is refused: kefu asks the
/// server for TLS the usual way.
fn refuse_direct_tls(config: &Config) -> Result<(), StoreError> {
    if config.get_ssl_negotiation() == SslNegotiation::Direct {
        return Err(StoreError::Unsupported(
            "postgres url: sslnegotiation=direct is not supported (leave it out: kefu asks the server for TLS first)"
                .into(),
        ));
    }
    Ok(())
}

/// Sets the client up to hand every TCP connection to a [`CutoffConnect`]:
/// the client calls a TLS connector only when TLS is required. Without TLS,
/// direct negotiation makes it skip asking the server for TLS first, and
/// the connector adds none, so the server sees an ordinary connection; with
/// TLS it asks the server first, as libpq does. Whether connections go
/// through the cutoff: a Unix socket, or a host given by address only,
/// keeps the plain connection (the client wants a host name for TLS), and
/// cannot have TLS.
fn through_cutoff(config: &mut Config, tls: bool) -> Result<bool, StoreError> {
    let hosts = config.get_hosts();
    let tcp = !hosts.is_empty() && hosts.iter().all(|h| matches!(h, Host::Tcp(_)));
    match (tcp, tls) {
        (true, false) => config
            .ssl_mode(SslMode::Require)
            .ssl_negotiation(SslNegotiation::Direct),
        (true, true) => config
            .ssl_mode(SslMode::Require)
            .ssl_negotiation(SslNegotiation::Postgres),
        (false, false) => config,
        (false, true) => {
            return Err(StoreError::Unsupported(
                "postgres url: TLS needs a TCP host name (PostgreSQL has no TLS over a Unix socket)".into(),
            ))
        }
    };
    Ok(tcp)
}

fn apply_settings(config: &mut Config, schema: Option<&str>) {
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    config
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE)
        .keepalives_interval(KEEPALIVE_INTERVAL)
        .keepalives_retries(KEEPALIVE_RETRIES);
    if config.get_application_name().is_none() {
        config.application_name("kefu");
    }
    let options = session_options(config.get_options(), schema);
    config.options(&options);
}

/// kefu's limits, then the URL's own options, then what kefu relies on:
/// durable commits and, when given, the schema.
fn session_options(from_url: Option<&str>, schema: Option<&str>) -> String {
    let mut options = SESSION_LIMITS.to_owned();
    if let Some(extra) = from_url.filter(|o| !o.trim().is_empty()) {
        options.push(' ');
        options.push_str(extra);
    }
    options.push_str(" -c synchronous_commit=on");
    if let Some(schema) = schema {
        // `schema` is checked to be a plain lower-case identifier.
        options.push_str(" -c search_path=");
        options.push_str(schema);
    }
    options
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => f.write_str(host)?,
            Some(Host::Unix(dir)) => write!(f, "{}", dir.display())?,
            None => f.write_str("localhost")?,
        }
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres");
        write!(f, ":{port}/{db}")?;
        match &self.schema {
            Some(schema) => write!(f, " schema {schema}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_in_order_and_logs_show_no_credentials() {
        let t = Target::parse("postgres://kefu:s3cret@db:6543/kefu?options=-c%20work_mem%3D8MB&schema=k1").unwrap();
        let options = t.config.get_options().unwrap();
        assert!(options.starts_with("-c statement_timeout=15000"));
        assert!(options.ends_with("-c work_mem=8MB -c synchronous_commit=on -c search_path=k1"));
        assert_eq!(t.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert_eq!(t.config.get_application_name(), Some("kefu"));
        assert_eq!(t.to_string(), "db:6543/kefu schema k1");
    }

    #[test]
    fn the_url_may_set_its_own_connect_timeout() {
        let t = Target::parse("postgres://kefu@db/kefu?connect_timeout=1").unwrap();
        assert_eq!(t.config.get_connect_timeout(), Some(&Duration::from_secs(1)));
        assert_eq!(t.schema(), None);
        assert!(!t.config.get_options().unwrap().contains("search_path"));
    }

    #[test]
    fn tcp_connections_go_through_the_cutoff_with_tls_when_required() {
        let t = Target::parse("postgres://kefu@db/kefu?sslmode=disable").unwrap();
        assert!(t.cut_off && t.tls.is_none());
        assert!(matches!(t.config.get_ssl_mode(), SslMode::Require));
        assert_eq!(t.config.get_ssl_negotiation(), SslNegotiation::Direct);
        let t = Target::parse("postgres://kefu@db/kefu?sslmode=require").unwrap();
        assert!(t.cut_off && t.tls.is_some());
        assert!(matches!(t.config.get_ssl_mode(), SslMode::Require));
        assert_eq!(t.config.get_ssl_negotiation(), SslNegotiation::Postgres);
        let socket = Target::parse("postgres://kefu@%2Fvar%2Frun%2Fpostgresql/kefu").unwrap();
        assert!(!socket.cut_off);
        assert!(matches!(socket.config.get_ssl_mode(), SslMode::Prefer));
        let refused = [
            (
                "postgres://kefu:s3cret@db/kefu?sslnegotiation=direct",
                "sslnegotiation=direct is not supported",
            ),
            (
                "postgres://kefu:s3cret@%2Ftmp/kefu?sslmode=require",
                "TLS needs a TCP host name",
            ),
        ];
        for (url, why) in refused {
            let refused = Target::parse(url).err().unwrap();
            assert!(matches!(refused, StoreError::Unsupported(_)), "{url}");
            assert!(refused.to_string().contains(why), "{refused}");
            assert!(!refused.to_string().contains("s3cret"), "{refused}");
        }
    }

    #[test]
    fn pool_sizes_come_from_the_url_within_bounds() {
        let t = Target::parse("postgres://kefu@db/kefu").unwrap();
        assert_eq!((t.writers, t.readers), (POOL, POOL));
        let t = Target::parse("postgres://kefu@db/kefu?writers=16&readers=2&schema=k1").unwrap();
        assert_eq!((t.writers, t.readers, t.schema()), (16, 2, Some("k1")));
        for bad in [
            "writers=0",
            "readers=65",
            "writers=many",
            "writers=",
            "readers=1&readers=2",
        ] {
            let e = Target::parse(&format!("postgres://kefu:s3cret@db/kefu?{bad}"))
                .err()
                .unwrap();
            let e = e.to_string();
            assert!(
                e.contains("not a number from 1 to 64") || e.contains("given twice"),
                "{bad}: {e}"
            );
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    #[test]
    fn a_bad_url_is_refused_without_echoing_it() {
        let err = Target::parse("postgres://kefu:s3cret@db/kefu?nonsense=1")
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Unsupported(_)));
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(err.to_string().contains("nonsense"), "{err}");
    }
}
