//! A running `kefu listen`: the child process, its stdout lines (one per
//! push) and its stderr lines (status), each read by a thread into a channel
//! so a test waits for a line with a deadline instead of sleeping.

use crate::support::{Kefu, KEFU, KEFU_ENV};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a line or an exit may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// A `kefu listen` child, killed when dropped.
pub struct Listen {
    child: Child,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
    /// The receiver's URL, as announced.
    pub url: String,
    /// The status lines read so far.
    pub status: Vec<String>,
}

/// Sends each line of `from` through a channel.
fn lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next line of `rx` that `wanted` accepts, within the deadline.
fn wait_line(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let until = Instant::now() + DEADLINE;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let line = rx.recv_timeout(left).ok()?;
        seen.push(line.clone());
        if wanted(&line) {
            return Some(line);
        }
    }
    None
}

impl Listen {
    /// Starts `kefu listen --app APPID --port 0 ARGS` against `kefu` and waits
    /// for its `listening on` line.
    pub fn start(kefu: &Kefu, args: &[&str]) -> Listen {
        let mut cmd = Command::new(KEFU);
        for var in KEFU_ENV {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .args([
                "listen",
                "--app",
                &kefu.demo.appid,
                "--port",
                "0",
                "--server",
                &kefu.base,
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kefu listen");
        let out = lines(child.stdout.take().expect("piped stdout"));
        let err = lines(child.stderr.take().expect("piped stderr"));
        let mut status = Vec::new();
        let Some(line) = wait_line(&err, &mut status, |l| l.starts_with("listening on ")) else {
            let _ = child.kill();
            panic!("kefu listen did not announce itself: {status:#?}");
        };
        let url = line.split_whitespace().nth(2).unwrap_or_default().to_owned();
        Listen {
            child,
            out,
            err,
            url,
            status,
        }
    }

    /// The next push line (or JSON object) that contains `needle`.
    pub fn push_line(&self, needle: &str) -> String {
        let mut seen = Vec::new();
        wait_line(&self.out, &mut seen, |l| l.contains(needle))
            .unwrap_or_else(|| panic!("no push line with {needle:?}; printed: {seen:#?}"))
    }

    /// The next status line (stderr) that contains `needle`.
    pub fn status_line(&mut self, needle: &str) -> String {
        let found = wait_line(&self.err, &mut self.status, |l| l.contains(needle));
        found.unwrap_or_else(|| panic!("no status line with {needle:?}: {:#?}", self.status))
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for kefu listen") {
                return status;
            }
            assert!(Instant::now() < until, "kefu listen did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
