//! `kefu`: a WeChat-compatible customer-service API server, and the CLI that
//! plays the human side against a running one.

mod cli;
mod https;
mod limits;
mod logs;
mod secret;
mod serve;
mod signals;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let _logs = logs::init(args.json_logs());
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
            // `{:#}` prints the context chain: `app wx1: cannot connect to URL (…): ...`.
            eprintln!("kefu: {e:#}");
            ExitCode::FAILURE
        }
    }
}
