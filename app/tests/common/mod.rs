//! End-to-end harness: a real `openledgerd` with its managed, real `cometbft`, on free loopback
//! ports, in a temporary home. Every wait is bounded; the node is stopped on drop, also when the
//! test fails.

#![allow(dead_code)]

pub mod attribution;
pub mod localnet;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_openledgerd");

/// The cometbft binary, or `None` (test skipped) outside CI. Under `CI=true` a missing binary
/// fails the test.
pub fn cometbft() -> Option<PathBuf> {
    match openledger_node::cometbft::find(None) {
        Ok(p) => Some(p),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires cometbft: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run openledgerd")
}

pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "openledgerd {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The last `n` lines of a log file under a `--- name (last n lines) ---` heading; empty when
/// the file does not exist.
pub fn log_tail(path: &Path, name: &str, n: usize) -> String {
    let Ok(text) = std::fs::read_to_string(path) else {
        return String::new();
    };
    let mut lines: Vec<&str> = text.lines().rev().take(n).collect();
    lines.reverse();
    let mut out = format!("--- {name} (last {n} lines) ---\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub struct TestNode {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub grpc: String,
    pub rpc: String,
    pub abci: String,
    pub p2p: String,
    child: Option<Child>,
    starts: usize,
    /// More flags for `openledgerd start` (e.g. the attribution engine's).
    pub start_args: Vec<String>,
    pub dev: String,
    pub bob: String,
}

impl TestNode {
    /// Creates a home with `dev` (funded) and `bob` (unfunded) keys.
    pub fn init() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let h = home.to_str().expect("utf-8 path").to_string();
        run_ok(&[
            "init",
            "e2e",
            "--chain-id",
            "openledger-local-1",
            "--home",
            &h,
        ]);
        // Faster blocks for tests.
        let cfg = home.join("config/config.toml");
        let mut doc: toml::Table = std::fs::read_to_string(&cfg)
            .expect("config.toml")
            .parse()
            .expect("toml");
        if let Some(toml::Value::Table(c)) = doc.get_mut("consensus") {
            c.insert("timeout_commit".into(), toml::Value::String("300ms".into()));
            c.insert("timeout_propose".into(), toml::Value::String("1s".into()));
        }
        std::fs::write(&cfg, toml::to_string(&doc).expect("toml")).expect("write config.toml");
        run_ok(&["keys", "add", "dev", "--home", &h]);
        run_ok(&["keys", "add", "bob", "--home", &h]);
        let dev = run_ok(&["keys", "show", "dev", "-a", "--home", &h])
            .trim()
            .to_string();
        let bob = run_ok(&["keys", "show", "bob", "-a", "--home", &h])
            .trim()
            .to_string();
        run_ok(&[
            "genesis",
            "add-account",
            "dev",
            "1000000000000uopen",
            "--home",
            &h,
        ]);
        // No inflation on this single-node chain, so that the tests can check exact supplies
        // (the localnet tests run the mint).
        let gpath = home.join("config/genesis.json");
        let mut genesis: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&gpath).expect("genesis"))
                .expect("genesis JSON");
        genesis["app_state"]["mint"]["minter"]["inflation"] = "0".into();
        for k in ["inflation_max", "inflation_min", "inflation_rate_change"] {
            genesis["app_state"]["mint"]["params"][k] = "0".into();
        }
        std::fs::write(&gpath, genesis.to_string()).expect("write genesis");
        // The one validator: its own account, self-delegating 1000 OPEN (voting power 1000)
        // through the gentx flow.
        run_ok(&["keys", "add", "validator", "--home", &h]);
        run_ok(&[
            "genesis",
            "add-account",
            "validator",
            "2000000000uopen",
            "--home",
            &h,
        ]);
        run_ok(&[
            "genesis",
            "gentx",
            "validator",
            "1000000000uopen",
            "--chain-id",
            "openledger-local-1",
            "--home",
            &h,
        ]);
        run_ok(&["genesis", "collect-gentxs", "--home", &h]);
        Self {
            dir,
            home,
            grpc: format!("127.0.0.1:{}", free_port()),
            rpc: format!("127.0.0.1:{}", free_port()),
            abci: format!("127.0.0.1:{}", free_port()),
            p2p: format!("127.0.0.1:{}", free_port()),
            child: None,
            starts: 0,
            start_args: Vec::new(),
            dev,
            bob,
        }
    }

    pub fn h(&self) -> &str {
        self.home.to_str().expect("utf-8 path")
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc)
    }

    pub fn start(&mut self) {
        self.starts += 1;
        let log =
            std::fs::File::create(self.dir.path().join(format!("node-{:02}.log", self.starts)))
                .expect("log file");
        let child = Command::new(BIN)
            .args([
                "start",
                "--home",
                self.h(),
                "--address",
                &format!("tcp://{}", self.abci),
                "--grpc.address",
                &self.grpc,
                "--rpc.laddr",
                &format!("tcp://{}", self.rpc),
                "--p2p.laddr",
                &format!("tcp://{}", self.p2p),
            ])
            .args(&self.start_args)
            // Its own process group, as under a service manager: `stop_group` signals it whole.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("spawn openledgerd start");
        self.child = Some(child);
        let grpc = self.grpc_url();
        wait_until(
            "the node to commit block 2",
            Duration::from_secs(60),
            || {
                if let Some(c) = self.child.as_mut()
                    && let Ok(Some(status)) = c.try_wait()
                {
                    panic!("openledgerd exited early: {status}\n{}", self.logs());
                }
                let out = run(&["status", "--grpc-addr", &grpc, "--output", "json"]);
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
                let h: u64 = v["sync_info"]["latest_block_height"]
                    .as_str()?
                    .parse()
                    .ok()?;
                (h >= 2).then_some(())
            },
        );
    }

    pub fn logs(&self) -> String {
        let mut out = String::new();
        for i in 1..=self.starts {
            let path = self.dir.path().join(format!("node-{i:02}.log"));
            out.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
        out
    }

    /// kill -9 of openledgerd (its cometbft child gets SIGTERM from the kernel); waits until the
    /// ports are free again.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let rpc = self.rpc.clone();
        let p2p = self.p2p.clone();
        wait_until(
            "cometbft to release its ports",
            Duration::from_secs(30),
            || (TcpListener::bind(&rpc).is_ok() && TcpListener::bind(&p2p).is_ok()).then_some(()),
        );
    }

    /// SIGTERM and wait, as Ctrl-C would.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM to the node's whole process group at once (openledgerd and its cometbft), as a
    /// service manager or a terminal's Ctrl-C does; returns how openledgerd exited.
    pub fn stop_group(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("a running node");
        unsafe {
            libc::kill(-(c.id() as i32), libc::SIGTERM);
        }
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = c.try_wait() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = c.kill();
                let _ = c.wait();
                panic!("openledgerd did not stop within 60 s\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// [`stop_group`](Self::stop_group), asserting a clean stop: exit 0 and the state closed.
    pub fn stop_cleanly(&mut self) {
        let status = self.stop_group();
        let logs = self.logs();
        assert!(status.success(), "openledgerd exited with {status}\n{logs}");
        assert!(
            logs.contains("state closed; stopped cleanly"),
            "the state was not closed\n{logs}"
        );
    }

    pub fn height(&self) -> u64 {
        let v: serde_json::Value = serde_json::from_str(&run_ok(&[
            "status",
            "--grpc-addr",
            &self.grpc_url(),
            "--output",
            "json",
        ]))
        .expect("json");
        v["sync_info"]["latest_block_height"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("height")
    }

    pub fn balance(&self, addr: &str) -> u128 {
        let v: serde_json::Value = serde_json::from_str(&run_ok(&[
            "query",
            "bank",
            "balances",
            addr,
            "--grpc-addr",
            &self.grpc_url(),
            "--output",
            "json",
        ]))
        .expect("json");
        v["balances"]
            .as_array()
            .and_then(|b| b.iter().find(|c| c["denom"] == "uopen"))
            .and_then(|c| c["amount"].as_str())
            .map_or(0, |a| a.parse().expect("amount"))
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("--- node logs ---\n{}", self.logs());
        }
    }
}

/// grpcurl from `go install` (make setup), or `None` (skipped) outside CI.
pub fn grpcurl() -> Option<String> {
    let gopath = std::process::Command::new("go")
        .args(["env", "GOPATH"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| format!("{}/bin/grpcurl", s.trim()));
    let found = [gopath, Some("grpcurl".to_string())]
        .into_iter()
        .flatten()
        .find(|c| {
            std::process::Command::new(c)
                .arg("-version")
                .output()
                .is_ok()
        });
    if found.is_none() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI requires grpcurl (make setup installs it)"
        );
        eprintln!("SKIPPED grpcurl part: grpcurl not installed");
    }
    found
}

/// A compiled contract of `make contracts`, or `None` (skipped) outside CI.
pub fn artifact(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wasm-contracts/artifacts")
        .join(name);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI requires {} (make contracts)", path.display());
    }
    eprintln!(
        "SKIPPED: {} is missing; run `make contracts`",
        path.display()
    );
    None
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

// --- Driving the CLI against a node, as a user would ---

/// A file of the demo Datanet (`modules/datanet/demo`).
pub fn demo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../modules/datanet/demo")
        .join(file)
}

/// Runs a CLI command against the node and parses its JSON output.
pub fn json(node: &TestNode, args: &[&str]) -> serde_json::Value {
    json_at(node.h(), &node.grpc_url(), args)
}

/// Runs a CLI command with a node's home and gRPC address and parses its JSON output.
pub fn json_at(home: &str, grpc_url: &str, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--home", home, "--grpc-addr", grpc_url, "--output", "json"]);
    let out = run(&all);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: bad output ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The usual flags of a tx paid by its simulated gas.
pub const TX_FLAGS: [&str; 7] = tx_flags("openledger-local-1");

/// [`TX_FLAGS`] on another chain.
pub const fn tx_flags(chain_id: &str) -> [&str; 7] {
    [
        "--chain-id",
        chain_id,
        "--gas",
        "auto",
        "--gas-prices",
        "0.025uopen",
        "-y",
    ]
}

/// A tx command with `--gas auto`; returns its JSON.
pub fn tx(node: &TestNode, args: &[&str], from: &str) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--from", from]);
    all.extend(TX_FLAGS);
    json(node, &all)
}

/// A tx the chain must refuse (at simulation, as `--gas auto` simulates first); returns what
/// the CLI said.
pub fn refused(node: &TestNode, args: &[&str], from: &str) -> String {
    refused_at(node.h(), &node.grpc_url(), &TX_FLAGS, args, from)
}

/// [`refused`] with a node's home, gRPC address and tx flags.
pub fn refused_at(home: &str, grpc_url: &str, flags: &[&str], args: &[&str], from: &str) -> String {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--from", from]);
    all.extend(flags);
    all.extend(["--home", home, "--grpc-addr", grpc_url]);
    let out = run(&all);
    assert!(!out.status.success(), "{args:?} was accepted");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts a tx response succeeded and hands it back.
pub fn ok(v: serde_json::Value) -> serde_json::Value {
    assert_eq!(v["code"], 0, "{v}");
    v
}

/// A number in JSON, as a number or (proto3 JSON's u64) a string.
pub fn num(v: &serde_json::Value) -> u128 {
    match v {
        serde_json::Value::String(s) => s.parse().expect("number"),
        other => other.as_u64().expect("number") as u128,
    }
}

/// Sends `amount` from the funded `dev` key to `to`.
pub fn fund(node: &TestNode, to: &str, amount: &str) {
    let out = json(
        node,
        &[
            "tx",
            "bank",
            "send",
            "dev",
            to,
            amount,
            "--fees",
            "5000uopen",
            "--chain-id",
            "openledger-local-1",
            "-y",
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
}

/// Creates a key in the node's test keyring; returns its address.
pub fn add_key(node: &TestNode, name: &str) -> String {
    run_ok(&["keys", "add", name, "--home", node.h()]);
    run_ok(&["keys", "show", name, "-a", "--home", node.h()])
        .trim()
        .to_string()
}
