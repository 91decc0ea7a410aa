//! `kefu serve` and `kefu migrate`: the commands that own the store, apart
//! from the client commands in `cli` that talk to a running server.

use crate::https::TlsArgs;
use crate::secret::Secret;
use anyhow::{bail, Context};
use clap::Args;
use kefu_core::limits::Limits;
use kefu_server::{AppState, Connections, ServerConfig, VirtualClock};
use kefu_store::DatabaseUrl;
use std::net::SocketAddr;
use std::time::Duration;

/// Options of `kefu serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEFU_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Bearer token required by /_kefu/ (mandatory off loopback).
    #[arg(long, env = "KEFU_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<Secret>,
    /// Seconds an invitation waits before it expires.
    #[arg(long, env = "KEFU_INVITE_TTL", default_value_t = Limits::default().invite_ttl_secs)]
    invite_ttl: i64,
    /// Kf accounts one WeChat user may bind across all apps (65410).
    #[arg(long, env = "KEFU_MAX_WORKER_BINDINGS", default_value_t = Limits::default().max_bindings_per_worker)]
    max_worker_bindings: u32,
    /// `cgi-bin/token` calls per app per day (45009).
    #[arg(long, env = "KEFU_TOKEN_DAILY_LIMIT", default_value_t = Limits::default().token_daily)]
    token_daily_limit: u32,
    /// Also answer undocumented paths some SDKs send (`/cgi-bin/customservice/kfaccount/*`, ...) and the retired `msgrecord/getrecord`.
    #[arg(long, env = "KEFU_LENIENT")]
    lenient: bool,
    /// Take the caller's address from `X-Forwarded-For` (kefu behind a proxy).
    #[arg(long, env = "KEFU_TRUST_PROXY")]
    trust_proxy: bool,
    /// Milliseconds one push try waits for the developer's server (WeChat waits 5 s).
    #[arg(long, env = "KEFU_PUSH_TIMEOUT_MS", default_value_t = 5000)]
    push_timeout_ms: u64,
    /// Most WeChat-side requests the journal keeps (0 turns it off).
    #[arg(long, env = "KEFU_JOURNAL_SIZE", default_value_t = 10_000)]
    journal_size: usize,
    /// The demo app's appid, instead of the one made on the first start (kept through restarts and resets).
    #[arg(long, env = "KEFU_DEMO_APPID")]
    demo_appid: Option<String>,
    /// The demo app's secret, instead of the one made on the first start.
    #[arg(long, env = "KEFU_DEMO_SECRET", hide_env_values = true)]
    demo_secret: Option<Secret>,
    /// Freeze the virtual clock at this unix time (it then moves only by /_kefu/clock/advance).
    #[arg(long, env = "KEFU_FROZEN_CLOCK")]
    frozen_clock: Option<i64>,
    /// MiB the SQLite write-ahead log is kept under (emptied once past half of it).
    #[arg(long, env = "KEFU_SQLITE_WAL_LIMIT_MIB", default_value_t = 64)]
    sqlite_wal_limit_mib: u64,
    /// Seconds a connection has to send a request's headers; also how long an idle keep-alive connection stays open.
    #[arg(long, env = "KEFU_HEADER_TIMEOUT", default_value_t = 30)]
    header_timeout: u64,
    /// Seconds a request body may stall between two of its pieces before it is cut.
    #[arg(long, env = "KEFU_BODY_TIMEOUT", default_value_t = 30)]
    body_timeout: u64,
    /// Most connections open at once [default: 4096, or the open-files limit less 256 when that is lower].
    #[arg(long, env = "KEFU_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Host names the control API answers for, besides IP addresses, localhost and WeChat's API hosts (repeatable or comma-separated; `*` for any).
    #[arg(long = "allowed-host", env = "KEFU_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// A JSON file declaring apps, kf accounts, followers, push settings and components to create or bring to the declared values at start (and at every reset).
    #[arg(long, env = "KEFU_SEED")]
    seed: Option<std::path::PathBuf>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Where the state lives.
#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// `sqlite://PATH` (default) or `postgres://...`.
    #[arg(
        long = "database",
        env = "KEFU_DATABASE_URL",
        default_value = "sqlite://kefu-data/kefu.db"
    )]
    url: Secret,
}

impl DbArgs {
    fn parse(&self) -> anyhow::Result<DatabaseUrl> {
        Ok(DatabaseUrl::parse(self.url.expose())?)
    }
}

/// `kefu migrate`.
pub(crate) fn migrate(db: &DbArgs) -> anyhow::Result<()> {
    let url = db.parse()?;
    let applied = kefu_store::migrate(&url).with_context(|| format!("cannot migrate {url:?}"))?;
    println!("{url:?}: {applied} migration(s) applied");
    Ok(())
}

/// `kefu serve`: opens the store, makes sure the demo app exists, listens.
pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let admin_token = admin_token(&args)?;
    let max_connections = max_connections(args.max_connections)?;
    if let Some(at) = args.frozen_clock {
        kefu_core::clock::check_instant(at).with_context(|| format!("--frozen-clock {at}"))?;
    }
    let limits = Limits {
        invite_ttl_secs: args.invite_ttl,
        max_bindings_per_worker: args.max_worker_bindings,
        token_daily: args.token_daily_limit,
        ..Limits::default()
    };
    // The seed is checked before the store is opened: a bad file changes nothing.
    let seed = args
        .seed
        .as_deref()
        .map(|path| kefu_server::SeedFile::load(path, &limits))
        .transpose()?;
    let url = args.db.parse()?;
    let sqlite = kefu_store::SqliteSettings {
        wal_limit_bytes: args.sqlite_wal_limit_mib.saturating_mul(1 << 20),
    };
    let store = kefu_store::open_with(&url, sqlite).with_context(|| format!("cannot open the store {url:?}"))?;
    let (ca, tls) = args.tls.start().await?;
    let offset = kefu_server::load_clock_offset(&*store)
        .await
        .with_context(|| format!("cannot read the virtual clock from {url:?}"))?;
    let clock = match args.frozen_clock {
        Some(at) => {
            kefu_core::clock::advance(at, offset, 0)
                .with_context(|| format!("--frozen-clock {at} with the stored clock offset {offset}"))?;
            VirtualClock::frozen(at, offset)
        }
        None => VirtualClock::real(offset),
    };
    let state = AppState::new(
        store,
        clock,
        ServerConfig {
            limits,
            admin_token,
            lenient: args.lenient,
            trust_proxy: args.trust_proxy,
            push_timeout: std::time::Duration::from_millis(args.push_timeout_ms),
            journal_size: args.journal_size,
            ca_certificate: Some(ca.certificate_pem().to_owned()),
            allowed_hosts: args.allowed_hosts,
            demo: kefu_server::DemoCredentials {
                appid: args.demo_appid,
                secret: args.demo_secret.map(|s| s.expose().to_owned()),
            },
            connections: Connections {
                header_timeout: Duration::from_secs(args.header_timeout.max(1)),
                body_timeout: Duration::from_secs(args.body_timeout.max(1)),
                max_connections,
            },
        },
    );
    let demo = kefu_server::ensure_demo_app(&state)
        .await
        .with_context(|| format!("cannot set up the demo app in {url:?}"))?;
    if let Some(seeded) = kefu_server::apply_seed(&state, seed.as_ref()).await? {
        tracing::info!(apps = seeded.apps, components = seeded.components, "seed applied");
    }
    // The outbox left by an earlier run resumes at once.
    kefu_server::start_pushes(&state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("cannot read the listening address")?;
    println!("kefu listening on http://{addr} (store {url:?})");
    println!(
        "demo app: appid={} secret={} wechat_id={}",
        demo.appid, demo.secret, demo.wechat_id
    );
    println!("console: http://{}/_kefu/console/", reachable(addr));
    crate::https::announce(&ca, &tls, addr)?;
    kefu_server::serve_with(listener, Some(tls), state, crate::signals::stop_requested())
        .await
        .with_context(|| format!("serving on http://{addr} stopped"))
}

/// The address a browser on this machine opens for a listening address
/// (`0.0.0.0` and `::` are no place to go).
fn reachable(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    match addr.ip() {
        ip if !ip.is_unspecified() => addr,
        std::net::IpAddr::V4(_) => (std::net::Ipv4Addr::LOCALHOST, addr.port()).into(),
        std::net::IpAddr::V6(_) => (std::net::Ipv6Addr::LOCALHOST, addr.port()).into(),
    }
}

/// File descriptors kept for everything but client connections (the
/// store, logs, certificates, calls to developers' servers).
const RESERVED_FILES: u64 = 256;
/// The connection limit when the open-files limit allows it.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// The connection limit: as asked, but always below the open-files limit
/// so that a flood of connections cannot starve the store of descriptors.
fn max_connections(asked: Option<usize>) -> anyhow::Result<usize> {
    let files = crate::limits::open_files();
    let room = files.map(|f| f.saturating_sub(RESERVED_FILES) as usize);
    match (asked, room) {
        (Some(0), _) => bail!("--max-connections must be at least 1"),
        (Some(n), Some(room)) if n > room => bail!(
            "--max-connections {n} is more than the open-files limit ({}) allows; raise it (ulimit -n) or ask for at most {room}",
            files.unwrap_or_default()
        ),
        (Some(n), _) => Ok(n),
        (None, Some(room)) => Ok(DEFAULT_MAX_CONNECTIONS.min(room).max(1)),
        (None, None) => Ok(DEFAULT_MAX_CONNECTIONS),
    }
}

/// The shortest admin token accepted.
const MIN_ADMIN_TOKEN: usize = 16;

/// The admin token, checked before anything is opened: at least
/// [`MIN_ADMIN_TOKEN`] characters, and required off loopback (proxy mode
/// rides on the main listener; the TLS port follows the same rule). An
/// empty one (`KEFU_ADMIN_TOKEN=`) is no token.
fn admin_token(args: &ServeArgs) -> anyhow::Result<Option<String>> {
    let given = args.admin_token.as_ref().map(|t| t.expose().to_owned());
    let token = given.clone().filter(|t| !t.is_empty());
    if let Some(t) = &token {
        if t.chars().count() < MIN_ADMIN_TOKEN {
            bail!("--admin-token (KEFU_ADMIN_TOKEN) must be at least {MIN_ADMIN_TOKEN} characters long");
        }
    }
    for addr in std::iter::once(args.listen).chain(args.tls.listen()) {
        if !addr.ip().is_loopback() && token.is_none() {
            if given.is_some() {
                bail!("refusing to listen on {addr} with an empty --admin-token (KEFU_ADMIN_TOKEN)");
            }
            bail!("refusing to listen on {addr} without --admin-token (KEFU_ADMIN_TOKEN)");
        }
    }
    Ok(token)
}
