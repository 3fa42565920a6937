//! A multi-validator network for end-to-end tests, started by the real `localnet/start.sh` (so
//! the script is tested too) in a temporary `LOCALNET_DIR` on a free port range, and stopped by
//! `localnet/stop.sh` on drop, also when the test fails. Nodes can be killed, restarted and
//! added.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{BIN, run_ok, wait_until};

pub const CHAIN_ID: &str = "openledger-localnet-1";

/// The repository's `localnet/` directory.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../localnet")
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub home: String,
    pub rpc: String,
    pub grpc: String,
    pub p2p: String,
    pub abci: String,
    pub pid: u32,
}

impl Node {
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// CometBFT RPC JSON (`/status`, `/validators`, …), or None if the node does not answer.
    pub fn rpc_get(&self, path: &str) -> Option<Value> {
        let v: Value = serde_json::from_str(&http_get(&self.rpc, path)?).ok()?;
        v.get("result").cloned()
    }

    pub fn height(&self) -> Option<u64> {
        self.rpc_get("/status")?["sync_info"]["latest_block_height"]
            .as_str()?
            .parse()
            .ok()
    }

    /// The app hash after executing block `h` (in the header of block `h + 1`).
    pub fn app_hash_after(&self, h: u64) -> Option<String> {
        let b = self.rpc_get(&format!("/block?height={}", h + 1))?;
        b["block"]["header"]["app_hash"]
            .as_str()
            .map(str::to_string)
    }

    /// `address` of the node's key (named like the node) in its test keyring.
    pub fn key_address(&self) -> String {
        run_ok(&["keys", "show", &self.name, "-a", "--home", &self.home])
            .trim()
            .to_string()
    }
}

pub struct Localnet {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    port_base: u16,
    /// Flags every node was started with (`LOCALNET_START_ARGS`), reused on restarts.
    start_args: Vec<String>,
}

/// A base port with 10 free ports for each of `n` nodes (the scripts' layout).
fn free_port_base(n: usize) -> u16 {
    for _ in 0..200 {
        let base: u16 = 20_000 + (rand_u16() % 400) * 100;
        let all_free =
            (0..n as u16 * 10).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no free port range for {n} nodes");
}

fn rand_u16() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ std::process::id()) as u16
}

impl Localnet {
    /// `localnet/start.sh n` with fast blocks and `app_state` patched by `patch` (deep merge).
    /// Room is left in the port range for `spare` more nodes.
    pub fn start(n: usize, spare: usize, patch: &Value) -> Self {
        Self::start_with(n, spare, patch, &[])
    }

    /// [`start`](Self::start) with more flags for every `openledgerd start`.
    pub fn start_with(n: usize, spare: usize, patch: &Value, start_args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let run_dir = dir.path().join("run");
        let patch_file = dir.path().join("patch.json");
        std::fs::write(&patch_file, patch.to_string()).expect("write patch");
        let port_base = free_port_base(n + spare);
        let out = Command::new(scripts().join("start.sh"))
            .arg(n.to_string())
            .env("LOCALNET_DIR", &run_dir)
            .env("LOCALNET_PORT_BASE", port_base.to_string())
            .env("LOCALNET_TIMEOUT_COMMIT", "500ms")
            .env("LOCALNET_GENESIS_PATCH", &patch_file)
            .env("LOCALNET_START_ARGS", start_args.join(" "))
            .env("OPENLEDGERD", BIN)
            .stdin(Stdio::null())
            .output()
            .expect("run localnet/start.sh");
        let mut net = Self {
            dir,
            nodes: Vec::new(),
            port_base,
            start_args: start_args.iter().map(|a| a.to_string()).collect(),
        };
        if let Ok(nodes) = std::fs::read_to_string(net.nodes_json()) {
            net.nodes = parse_nodes(&nodes);
        }
        assert!(
            out.status.success(),
            "localnet/start.sh failed:\n{}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            net.logs()
        );
        assert_eq!(net.nodes.len(), n, "nodes.json lists every node");
        net
    }

    pub fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn nodes_json(&self) -> PathBuf {
        self.run_dir().join("nodes.json")
    }

    fn script(&self, name: &str) -> std::process::Output {
        Command::new(scripts().join(name))
            .env("LOCALNET_DIR", self.run_dir())
            .env("LOCALNET_PORT_BASE", self.port_base.to_string())
            .env("OPENLEDGERD", BIN)
            .stdin(Stdio::null())
            .output()
            .expect("run localnet script")
    }

    /// `localnet/status.sh`'s table.
    pub fn status(&self) -> String {
        let out = self.script("status.sh");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn logs(&self) -> String {
        (0..self.nodes.len() + 2)
            .map(|i| {
                let path = self.run_dir().join(format!("node{i}.log"));
                super::log_tail(&path, &format!("node{i}"), 60)
            })
            .collect()
    }

    fn save_nodes(&self) {
        let list: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| {
                serde_json::json!({"name": n.name, "home": n.home, "rpc": n.rpc, "grpc": n.grpc,
                    "p2p": n.p2p, "abci": n.abci, "pid": n.pid})
            })
            .collect();
        std::fs::write(self.nodes_json(), Value::Array(list).to_string()).expect("nodes.json");
    }

    /// Waits until every live node in `which` is at height ≥ `h`.
    pub fn wait_height(&self, which: &[usize], h: u64, timeout: Duration) {
        for &i in which {
            let node = &self.nodes[i];
            wait_until(
                &format!("{} to reach height {h}", node.name),
                timeout,
                || (node.height()? >= h).then_some(()),
            );
        }
    }

    /// Kills a node's openledgerd with SIGKILL (its cometbft follows, by PDEATHSIG).
    pub fn kill9(&mut self, i: usize) {
        let node = &self.nodes[i];
        unsafe {
            libc::kill(node.pid as i32, libc::SIGKILL);
        }
        let rpc = node.rpc.clone();
        let p2p = node.p2p.clone();
        wait_until(
            "the killed node to release its ports",
            Duration::from_secs(30),
            || (TcpListener::bind(&rpc).is_ok() && TcpListener::bind(&p2p).is_ok()).then_some(()),
        );
    }

    /// Stops a node gracefully (SIGTERM).
    pub fn stop_node(&mut self, i: usize) {
        let node = &self.nodes[i];
        unsafe {
            libc::kill(node.pid as i32, libc::SIGTERM);
        }
        let rpc = node.rpc.clone();
        wait_until("the node to stop", Duration::from_secs(30), || {
            TcpListener::bind(&rpc).is_ok().then_some(())
        });
    }

    /// (Re)starts node `i` with the flags the script used.
    pub fn start_node(&mut self, i: usize) {
        self.start_node_with(i, &[])
    }

    /// [`start_node`](Self::start_node) with more flags (after the network's own).
    pub fn start_node_with(&mut self, i: usize, extra: &[&str]) {
        let node = self.nodes[i].clone();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.run_dir().join(format!("{}.log", node.name)))
            .expect("log");
        let child = Command::new(BIN)
            .args([
                "start",
                "--home",
                &node.home,
                "--address",
                &format!("tcp://{}", node.abci),
                "--grpc.address",
                &node.grpc,
                "--rpc.laddr",
                &format!("tcp://{}", node.rpc),
                "--p2p.laddr",
                &format!("tcp://{}", node.p2p),
            ])
            .args(&self.start_args)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn openledgerd");
        self.nodes[i].pid = child.id();
        // The child is reaped by stop.sh's kill, or when the test process ends.
        std::mem::forget(child);
        self.save_nodes();
    }

    /// A new full node (not a validator) on the next free slot, syncing from node 0.
    pub fn add_full_node(&mut self) -> usize {
        let i = self.nodes.len();
        let name = format!("node{i}");
        let home = self.run_dir().join(&name);
        let h = home.to_str().expect("utf-8").to_string();
        run_ok(&["init", &name, "--chain-id", CHAIN_ID, "--home", &h]);
        std::fs::copy(
            Path::new(&self.nodes[0].home).join("config/genesis.json"),
            home.join("config/genesis.json"),
        )
        .expect("copy genesis");
        let peer_id = run_ok(&["comet", "show-node-id", "--home", &self.nodes[0].home])
            .trim()
            .to_string();
        let cfg = home.join("config/config.toml");
        let mut doc: toml::Table = std::fs::read_to_string(&cfg)
            .expect("config.toml")
            .parse()
            .expect("toml");
        if let Some(toml::Value::Table(p2p)) = doc.get_mut("p2p") {
            p2p.insert(
                "persistent_peers".into(),
                toml::Value::String(format!("{peer_id}@{}", self.nodes[0].p2p)),
            );
        }
        if let Some(toml::Value::Table(c)) = doc.get_mut("consensus") {
            c.insert("timeout_commit".into(), toml::Value::String("500ms".into()));
        }
        std::fs::write(&cfg, toml::to_string(&doc).expect("toml")).expect("config.toml");
        run_ok(&["keys", "add", &name, "--home", &h]);
        let port = |off: u16| format!("127.0.0.1:{}", self.port_base + 10 * i as u16 + off);
        self.nodes.push(Node {
            name,
            home: h,
            p2p: port(0),
            rpc: port(1),
            abci: port(2),
            grpc: port(3),
            pid: 0,
        });
        self.start_node(i);
        i
    }
}

/// A plain HTTP/1.0 GET on loopback (CometBFT's RPC), bounded by a 3 s timeout.
fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let sock: std::net::SocketAddr = addr.parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(3)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let (head, body) = resp.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then(|| body.to_string())
}

fn parse_nodes(text: &str) -> Vec<Node> {
    let v: Value = serde_json::from_str(text).expect("nodes.json is JSON");
    v.as_array()
        .expect("nodes.json is a list")
        .iter()
        .map(|n| {
            let s = |k: &str| {
                n[k].as_str()
                    .unwrap_or_else(|| panic!("nodes.json: {k}"))
                    .to_string()
            };
            Node {
                name: s("name"),
                home: s("home"),
                rpc: s("rpc"),
                grpc: s("grpc"),
                p2p: s("p2p"),
                abci: s("abci"),
                pid: n["pid"].as_u64().expect("pid") as u32,
            }
        })
        .collect()
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let out = self.script("stop.sh");
        if !out.status.success() {
            for n in &self.nodes {
                unsafe {
                    libc::kill(n.pid as i32, libc::SIGKILL);
                }
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "--- localnet status ---\n{}\n{}",
                self.status(),
                self.logs()
            );
        }
    }
}

// --- Driving the CLI against a localnet node ---

/// The usual tx flags on the localnet (gas by simulation).
pub const TX_FLAGS: [&str; 7] = super::tx_flags(CHAIN_ID);

impl Node {
    /// Runs a CLI command against this node (its home and gRPC) and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        super::json_at(&self.home, &self.grpc_url(), args)
    }

    /// A tx signed by `from` (a key in this node's keyring); asserts it was committed with code 0.
    pub fn tx(&self, args: &[&str], from: &str) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--from", from]);
        all.extend(TX_FLAGS);
        let v = self.json(&all);
        assert_eq!(v["code"], 0, "{args:?}: {v}");
        v
    }

    /// `tx bank send` from a key of this node (fixed fee); asserts success.
    pub fn send(&self, from: &str, to: &str, amount: &str) -> Value {
        let v = self.json(&[
            "tx",
            "bank",
            "send",
            from,
            to,
            amount,
            "--fees",
            "5000uopen",
            "--chain-id",
            CHAIN_ID,
            "-y",
        ]);
        assert_eq!(v["code"], 0, "send {amount} to {to}: {v}");
        v
    }

    /// A tx the chain must refuse; returns what the CLI said.
    pub fn refused(&self, args: &[&str], from: &str) -> String {
        super::refused_at(&self.home, &self.grpc_url(), &TX_FLAGS, args, from)
    }

    /// uopen balance of an address (latest height).
    pub fn balance(&self, addr: &str) -> u128 {
        let v = self.json(&["query", "bank", "balances", addr]);
        v["balances"]
            .as_array()
            .and_then(|b| b.iter().find(|c| c["denom"] == "uopen"))
            .map(|c| super::num(&c["amount"]))
            .unwrap_or(0)
    }

    /// The validator's operator address (`openvaloper1…`) of this node's key.
    pub fn valoper(&self) -> String {
        let addr =
            openledger_framework::Address::from_bech32(&self.key_address()).expect("key address");
        openledger_staking::valoper(&addr)
    }

    /// CometBFT's current validator set: hex consensus addresses and their power.
    pub fn comet_validators(&self) -> Vec<(String, u64)> {
        let Some(v) = self.rpc_get("/validators?per_page=100") else {
            return Vec::new();
        };
        v["validators"]
            .as_array()
            .map(|vals| {
                vals.iter()
                    .filter_map(|x| {
                        Some((
                            x["address"].as_str()?.to_string(),
                            x["voting_power"].as_str()?.parse().ok()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Hex consensus address of this node's consensus key.
    pub fn cons_hex(&self) -> String {
        let v: Value =
            serde_json::from_str(&run_ok(&["comet", "show-validator", "--home", &self.home]))
                .expect("show-validator JSON");
        use base64::Engine;
        let key: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(v["key"].as_str().expect("key"))
            .expect("base64")
            .try_into()
            .expect("32 bytes");
        openledger_staking::cons_address(&key)
            .to_hex()
            .to_uppercase()
    }
}

/// One gRPC query at a fixed height, so several reads see one state.
pub fn grpc_at<Req, Resp>(node: &Node, path: &str, req: Req, height: u64) -> Resp
where
    Req: prost::Message + 'static,
    Resp: prost::Message + Default + 'static,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ch = openledgerd::client::connect(&node.grpc_url())
            .await
            .expect("connect");
        openledgerd::client::grpc_query_at(&ch, path, req, Some(height))
            .await
            .unwrap_or_else(|e| panic!("{path} at {height}: {e}"))
    })
}
