//! Where the PostgreSQL backend connects and with which session settings.
//!
//! The URL's own parameters go to the client unchanged; kefu adds what makes
//! an outage fail fast instead of hanging (connect timeout, keepalives,
//! server-side statement and idle timeouts), asks for durable commits, and
//! points `search_path` at the URL's `schema`. [`Target`]'s `Display` is what
//! logs show: host, port, database and schema, never user or password.

use super::failure::{backend, describe};
use crate::error::StoreError;
use crate::url::split_schema;
use postgres::config::Host;
use postgres::{Client, Config, NoTls};
use std::fmt;
use std::sync::mpsc;
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
}

impl Target {
    /// Parses a `postgres://` URL (with kefu's optional `schema` parameter).
    pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
        let (url, schema) = split_schema(url)?;
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| StoreError::Unsupported(format!("postgres url: {}", describe(&e))))?;
        apply_settings(&mut config, schema.as_deref());
        Ok(Target { config, schema })
    }

    /// The schema kefu's tables live in, when the URL names one.
    pub(crate) fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Opens one connection; failures are logged (without credentials).
    ///
    /// The client's own timeout covers the TCP connect only, so the whole
    /// handshake runs on a thread of its own, waited for a few seconds more:
    /// a server that accepts connections but never answers fails the attempt
    /// (the thread ends, and drops its connection, whenever the server does).
    pub(crate) fn connect(&self) -> Result<Client, StoreError> {
        let config = self.config.clone();
        let (sender, receiver) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("kefu-pg-connect".into())
            .spawn(move || {
                let _ = sender.send(config.connect(NoTls));
            })
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let deadline = self.config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT) + HANDSHAKE_TIME;
        let connected = match receiver.recv_timeout(deadline) {
            Ok(connected) => connected.map_err(backend),
            Err(_) => Err(StoreError::Backend(format!(
                "no answer from the server within {} s",
                deadline.as_secs()
            ))),
        };
        connected.inspect_err(|err| tracing::warn!(db = %self, error = %err, "cannot connect to PostgreSQL"))
    }
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
    fn a_bad_url_is_refused_without_echoing_it() {
        let err = Target::parse("postgres://kefu:s3cret@db/kefu?nonsense=1")
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Unsupported(_)));
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(err.to_string().contains("nonsense"), "{err}");
    }
}
