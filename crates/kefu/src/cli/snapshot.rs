//! `kefu export`, `kefu import` and `kefu snapshot ...`: the whole state
//! as one JSON document, and named snapshots kept by the server.

use super::remote::Remote;
use anyhow::Context;
use clap::Subcommand;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `kefu snapshot ...`: named copies of the whole state, kept by the server.
#[derive(Debug, Subcommand)]
pub(crate) enum SnapshotCmd {
    /// Save the whole state under NAME (replacing a snapshot of that name).
    #[command(after_help = "Example:\n  kefu snapshot save clean")]
    Save {
        /// 1 to 64 of `A-Z a-z 0-9 . _ -`.
        name: String,
    },
    /// Replace the whole state with snapshot NAME's.
    #[command(after_help = "Example:\n  kefu snapshot restore clean")]
    Restore { name: String },
    /// List the snapshots.
    #[command(after_help = "Example:\n  kefu snapshot list")]
    List,
    /// Delete snapshot NAME.
    #[command(after_help = "Example:\n  kefu snapshot rm clean")]
    Rm { name: String },
}

/// `kefu export [-o FILE]`: the document on stdout, or in FILE (written
/// whole, then renamed into place).
pub(crate) async fn export(output: Option<&Path>, remote: &Remote) -> anyhow::Result<()> {
    let text = remote.scope().check(remote.control().export().await)?;
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}").context("cannot write the document to stdout")
        }
        Some(path) => write_whole(path, &text),
    }
}

fn write_whole(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text).with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
}

/// `kefu import FILE` (`-` for stdin): replaces the whole state.
pub(crate) async fn import(file: &Path, remote: &Remote) -> anyhow::Result<()> {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the document from stdin")?;
        text
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    remote.scope().show(remote.control().import(text).await)
}

/// `kefu snapshot save|restore|list|rm`.
pub(crate) async fn snapshot(cmd: SnapshotCmd, remote: &Remote) -> anyhow::Result<()> {
    let (ctl, scope) = (remote.control(), remote.scope());
    match cmd {
        SnapshotCmd::Save { name } => scope.show(ctl.save_snapshot(&name).await),
        SnapshotCmd::Restore { name } => scope.show(ctl.restore_snapshot(&name).await),
        SnapshotCmd::List => scope.show(ctl.snapshots().await),
        SnapshotCmd::Rm { name } => scope.check(ctl.delete_snapshot(&name).await),
    }
}
