//! Test support: the real `kefu` binary, served on an ephemeral loopback port
//! over a SQLite file or a PostgreSQL URL, and the same binary run as a CLI
//! command.

use kefu_client::{Client, ControlClient};
use serde::de::DeserializeOwned;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tempfile::TempDir;

/// The binary under test.
pub const KEFU: &str = env!("CARGO_BIN_EXE_kefu");

/// How long a server may take to print its address, and a CLI command to finish.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Environment variables the binary reads; removed so the host's settings
/// cannot leak into a test.
pub const KEFU_ENV: [&str; 24] = [
    "KEFU_APP",
    "KEFU_SEED",
    "KEFU_DEMO_APPID",
    "KEFU_DEMO_SECRET",
    "KEFU_HEADER_TIMEOUT",
    "KEFU_BODY_TIMEOUT",
    "KEFU_MAX_CONNECTIONS",
    "KEFU_SQLITE_WAL_LIMIT_MIB",
    "KEFU_ALLOWED_HOSTS",
    "KEFU_SERVER",
    "KEFU_ADMIN_TOKEN",
    "KEFU_LISTEN",
    "KEFU_DATABASE_URL",
    "KEFU_INVITE_TTL",
    "KEFU_MAX_WORKER_BINDINGS",
    "KEFU_TOKEN_DAILY_LIMIT",
    "KEFU_FROZEN_CLOCK",
    "KEFU_PUSH_TIMEOUT_MS",
    "KEFU_JOURNAL_SIZE",
    "KEFU_LOG_FORMAT",
    "KEFU_CA_DIR",
    "KEFU_TLS_LISTEN",
    "KEFU_TLS_HOST",
    "RUST_LOG",
];

/// `sqlite://PATH` for a database file.
pub fn sqlite_url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

/// The demo app's credentials, as the server printed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoApp {
    /// `wx...`.
    pub appid: String,
    /// The AppSecret.
    pub secret: String,
    /// The kf account suffix (`kefu_demo`).
    pub wechat_id: String,
}

/// A running `kefu serve`, killed when dropped.
pub struct Kefu {
    child: Child,
    /// `http://127.0.0.1:PORT`, as printed by the server.
    pub base: String,
    /// The demo app, as printed by the server.
    pub demo: DemoApp,
    /// The CA certificate's path, as printed by the server.
    pub ca_cert: PathBuf,
    /// `https://ADDR` of the TLS port, as printed, when there is one.
    pub tls: Option<String>,
    /// Everything the process printed so far, stdout and stderr, line by line.
    output: Arc<Mutex<String>>,
    /// The data directory, when the server owns it (removed after the kill).
    _dir: Option<TempDir>,
    /// The CA directory, unless the test chose one with `--ca-dir`.
    _ca_dir: Option<TempDir>,
}

impl Kefu {
    /// A server on a fresh database in its own temporary directory.
    pub fn start() -> Kefu {
        Kefu::start_with(&[])
    }

    /// A server on a fresh database, with extra `serve` options.
    pub fn start_with(extra: &[&str]) -> Kefu {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut kefu = Kefu::start_on(&dir.path().join("kefu.db"), extra);
        kefu._dir = Some(dir);
        kefu
    }

    /// A server on the database file `db` (created when missing), with extra
    /// `serve` options. Returns once the server has printed its address,
    /// which it does only after the socket is bound.
    pub fn start_on(db: &Path, extra: &[&str]) -> Kefu {
        Kefu::start_url(&sqlite_url(db), extra, &[])
    }

    /// A server on the database `url` (`sqlite://` or `postgres://`), with
    /// extra `serve` options and environment variables. Its CA lives in a
    /// temporary directory unless `extra` names one with `--ca-dir`.
    pub fn start_url(url: &str, extra: &[&str], env: &[(&str, &str)]) -> Kefu {
        Kefu::launch(url, extra, env, None)
    }

    /// A server on a fresh database whose stderr (its log) goes to `logs`
    /// instead of the test.
    pub fn start_logging_to(logs: Stdio, extra: &[&str], env: &[(&str, &str)]) -> Kefu {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut kefu = Kefu::launch(&sqlite_url(&dir.path().join("kefu.db")), extra, env, Some(logs));
        kefu._dir = Some(dir);
        kefu
    }

    fn launch(url: &str, extra: &[&str], env: &[(&str, &str)], logs: Option<Stdio>) -> Kefu {
        let mut cmd = Command::new(KEFU);
        for var in KEFU_ENV {
            cmd.env_remove(var);
        }
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--database", url]);
        let ca_dir = (!extra.contains(&"--ca-dir")).then(|| tempfile::tempdir().expect("temporary directory"));
        if let Some(dir) = &ca_dir {
            cmd.arg("--ca-dir").arg(dir.path().join("ca"));
        }
        let mut child = cmd
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(logs.unwrap_or_else(Stdio::piped))
            .spawn()
            .expect("spawn kefu serve");
        let output = Arc::new(Mutex::new(String::new()));
        let lines = forward_lines(child.stdout.take().expect("piped stdout"), output.clone());
        let stderr = child.stderr.take().map(|e| collect(e, output.clone()));
        match Announced::read(|| lines.recv_timeout(TIMEOUT).ok()) {
            Some(a) => Kefu {
                child,
                base: a.base,
                demo: a.demo,
                ca_cert: a.ca_cert,
                tls: a.tls,
                output,
                _dir: None,
                _ca_dir: ca_dir,
            },
            None => {
                let _ = child.kill();
                let status = child.wait();
                let log = stderr.map(|e| e.join().unwrap_or_default()).unwrap_or_default();
                panic!("kefu serve did not announce its address ({status:?}); stderr:\n{log}");
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server printed once it has printed `needle` (log lines
    /// are written by a thread of their own, a moment after the answer), or
    /// after `TIMEOUT` without it.
    pub async fn output_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let printed = self.output();
            if printed.contains(needle) || std::time::Instant::now() > deadline {
                return printed;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Everything the server printed so far (stdout and stderr lines).
    pub fn output(&self) -> String {
        self.output.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A WeChat-side client for the demo app.
    pub fn client(&self) -> Client {
        Client::new(&self.base, &self.demo.appid, &self.demo.secret)
    }

    /// A WeChat-side client for any app.
    pub fn client_for(&self, appid: &str, secret: &str) -> Client {
        Client::new(&self.base, appid, secret)
    }

    /// A control-API client without an admin token.
    pub fn control(&self) -> ControlClient {
        ControlClient::new(&self.base, None)
    }

    /// Runs a CLI command against this server (`--server` is appended).
    pub async fn cli(&self, args: &[&str]) -> CliOutput {
        let mut all = args.to_vec();
        all.extend(["--server", &self.base]);
        cli(&all).await
    }

    /// SIGKILL (no graceful shutdown), then reaps the process.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL kefu");
        self.child.wait().expect("reap kefu");
    }
}

impl Drop for Kefu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends each line of `out` through a channel and appends it to `tee`, and
/// keeps draining it after the receiver is gone so the server never blocks
/// on a full pipe.
fn forward_lines(out: impl Read + Send + 'static, tee: Arc<Mutex<String>>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            match line {
                Ok(l) => {
                    append(&tee, &l);
                    let _ = tx.send(l);
                }
                Err(_) => break,
            }
        }
    });
    rx
}

/// Reads `out` to its end in the background, appending each line to `tee`.
fn collect(out: impl Read + Send + 'static, tee: Arc<Mutex<String>>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut all = String::new();
        let mut reader = BufReader::new(out);
        let mut bytes = Vec::new();
        while matches!(reader.read_until(b'\n', &mut bytes), Ok(n) if n > 0) {
            let line = String::from_utf8_lossy(&bytes);
            append(&tee, line.trim_end_matches('\n'));
            all.push_str(&line);
            bytes.clear();
        }
        all
    })
}

fn append(tee: &Mutex<String>, line: &str) {
    let mut all = tee.lock().unwrap_or_else(|p| p.into_inner());
    all.push_str(line);
    all.push('\n');
}

/// What `kefu serve` prints once it listens.
struct Announced {
    base: String,
    demo: DemoApp,
    ca_cert: PathBuf,
    tls: Option<String>,
}

impl Announced {
    /// The address line, the demo app's line, the console's line, the TLS
    /// port's line when there is one, and the CA line.
    fn read(mut next_line: impl FnMut() -> Option<String>) -> Option<Announced> {
        let base = parse_address(&next_line()?)?;
        let demo = parse_demo(&next_line()?)?;
        // The console's address: the listening address's page.
        let console = next_line()?;
        if console != format!("console: {base}/_kefu/console/") {
            return None;
        }
        let mut line = next_line()?;
        let tls = match line.strip_prefix("TLS listening on ") {
            Some(rest) => {
                let url = rest.split_whitespace().next()?.to_owned();
                line = next_line()?;
                Some(url)
            }
            None => None,
        };
        let ca = line.strip_prefix("CA certificate: ")?.split(" (").next()?;
        Some(Announced {
            base,
            demo,
            ca_cert: PathBuf::from(ca),
            tls,
        })
    }
}

/// `kefu listening on http://ADDR (store ...)` -> `http://ADDR`.
fn parse_address(line: &str) -> Option<String> {
    let rest = line.strip_prefix("kefu listening on ")?;
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://").then(|| url.to_owned())
}

/// `demo app: appid=A secret=S wechat_id=W`.
fn parse_demo(line: &str) -> Option<DemoApp> {
    let rest = line.strip_prefix("demo app: ")?;
    let field = |key: &str| {
        rest.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_owned)
    };
    Some(DemoApp {
        appid: field("appid")?,
        secret: field("secret")?,
        wechat_id: field("wechat_id")?,
    })
}

/// What a finished CLI command left behind.
#[derive(Debug)]
pub struct CliOutput {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything printed to stdout.
    pub stdout: String,
    /// Everything printed to stderr.
    pub stderr: String,
}

impl CliOutput {
    /// The stdout JSON, after checking the command succeeded.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        assert_eq!(self.code, Some(0), "command failed: {self:?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not the expected JSON ({e}): {self:?}"))
    }
}

/// Runs the binary with `args`, without any `KEFU_*` variable, and waits for
/// it to exit (failing the test if it has not after a minute).
pub async fn cli(args: &[&str]) -> CliOutput {
    cli_env(args, &[]).await
}

/// As [`cli`], with the variables `env` set.
pub async fn cli_env(args: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut cmd = tokio::process::Command::new(KEFU);
    for var in KEFU_ENV {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("kefu {args:?} did not exit within {TIMEOUT:?}"))
        .expect("run kefu");
    CliOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh temporary directory and the database path inside it.
pub fn data_dir() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("kefu.db");
    (dir, db)
}

/// A raw answer body with its ` rid: xxxxxxxx-xxxxxxxx-xxxxxxxx` replaced by
/// ` rid: RID`, after checking the rid's shape (eight hex digits, three times).
pub fn strip_rid(body: &str) -> String {
    let Some(at) = body.find(" rid: ") else {
        return body.to_owned();
    };
    let rid = body.get(at + 6..at + 6 + 26).unwrap_or_default();
    let parts: Vec<&str> = rid.split('-').collect();
    let hex = |p: &&str| p.len() == 8 && p.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(parts.len() == 3 && parts.iter().all(hex), "bad rid in {body}");
    format!("{} rid: RID{}", &body[..at], &body[at + 6 + 26..])
}
