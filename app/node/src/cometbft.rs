//! Supervision of the `cometbft` child process: finding the binary, starting it on the node's
//! home, stopping it.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// Whether `start` runs cometbft itself or waits for one started elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CometMode {
    Managed,
    External,
}

/// Finds the `cometbft` binary: an explicit path, then `PATH`, then `$(go env GOPATH)/bin`.
pub fn find(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        bail!("--cometbft-bin {} does not exist", p.display());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("cometbft");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let gopath = StdCommand::new("go")
        .args(["env", "GOPATH"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/go")));
    if let Some(gopath) = gopath {
        let candidate = PathBuf::from(gopath).join("bin").join("cometbft");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cometbft not found on PATH or in $(go env GOPATH)/bin; run `make setup` or pass --cometbft-bin"
    )
}

/// The listen addresses `cometbft start` is given.
pub struct Addresses<'a> {
    /// Our ABCI server (`--proxy_app`).
    pub abci: &'a str,
    pub rpc: &'a str,
    pub p2p: &'a str,
}

/// Starts `cometbft start` on the node's home, wired to our ABCI server.
pub fn spawn(bin: &Path, home: &Path, addrs: &Addresses<'_>) -> anyhow::Result<Child> {
    let mut cmd = Command::new(bin);
    cmd.arg("start")
        .arg("--home")
        .arg(home)
        .arg("--proxy_app")
        .arg(addrs.abci)
        .arg("--rpc.laddr")
        .arg(addrs.rpc)
        .arg("--p2p.laddr")
        .arg(addrs.p2p)
        .kill_on_drop(true);
    // If openledgerd dies without a chance to clean up (kill -9), the kernel kills cometbft too
    // (CometBFT is crash-safe; a graceful stop would wait on the vanished ABCI connection).
    #[cfg(target_os = "linux")]
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// SIGTERM, then SIGKILL after 15 s.
pub async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        unsafe {
            libc::kill(pid as i32, libc::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(15), child.wait())
            .await
            .is_err()
        {
            tracing::warn!("cometbft did not stop within 15 s; killing it");
            let _ = child.kill().await;
        }
    }
}
