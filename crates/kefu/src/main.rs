//! `kefu`: a WeChat-compatible customer-service API server, and the CLI that
//! plays the human side against a running one.

mod cli;
mod https;
mod secret;
mod serve;

use clap::Parser;
use std::process::ExitCode;

/// Log lines on stderr, filtered by `RUST_LOG` (default: kefu's own
/// modules at `info`, which includes one access-log line per request);
/// colours only on a terminal. Lines are written by a thread of their own
/// (nothing is dropped; a full buffer makes the logger wait), so a request
/// never waits for stderr; the guard flushes them at exit.
fn init_logs(json: bool) -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "kefu=info,kefu_server=info,kefu_store=info".into());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
    guard
}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let _logs = init_logs(args.json_logs());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kefu: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the context chain: `app wx1: cannot reach URL: ...`.
            eprintln!("kefu: {e:#}");
            ExitCode::FAILURE
        }
    }
}
