//! IBC end to end: two OpenLedger chains on the real cometbft and the real Hermes relayer
//! between them, brought up by `localnet/ibc.sh` (so the script is tested too): ICS-20 round
//! trip with escrow, vouchers and denom traces, a timeout refund, an error acknowledgement's
//! refund, bad input refused without a change, and a node killed mid-flow. Everything is stopped
//! on drop (`localnet/ibc.sh stop`), also when the test fails; every wait is bounded.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::localnet::{Node, scripts};
use common::{BIN, cometbft, json_at, log_tail, num, refused_at, tx_flags, wait_until};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(180);
const CHAIN_A: &str = "openledger-a-1";
const CHAIN_B: &str = "openledger-b-1";

/// Hermes, or `None` (test skipped) outside CI. Under `CI=true` a missing Hermes fails the test
/// (`make setup` installs it).
fn hermes() -> Option<PathBuf> {
    let path = std::env::var_os("HERMES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/openledger-hermes/bin/hermes")
        });
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI requires Hermes at {} (make setup installs it)",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED: no Hermes at {} (make setup-hermes)",
        path.display()
    );
    None
}

/// One chain of the pair.
struct Chain {
    id: &'static str,
    node: Node,
    dir: PathBuf,
}

impl Chain {
    fn json(&self, args: &[&str]) -> Value {
        json_at(&self.node.home, &self.node.grpc_url(), args)
    }

    /// A tx from this chain's validator key; asserts it was committed with code 0.
    fn tx(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--from", "node0"]);
        all.extend(tx_flags(self.id));
        let v = self.json(&all);
        assert_eq!(v["code"], 0, "{args:?}: {v}");
        v
    }

    fn refused(&self, args: &[&str]) -> String {
        refused_at(
            &self.node.home,
            &self.node.grpc_url(),
            &tx_flags(self.id),
            args,
            "node0",
        )
    }

    fn address(&self) -> String {
        self.node.key_address()
    }

    fn balance(&self, addr: &str, denom: &str) -> u128 {
        let v = self.json(&["query", "bank", "balances", addr]);
        v["balances"]
            .as_array()
            .and_then(|b| b.iter().find(|c| c["denom"] == denom))
            .map(|c| num(&c["amount"]))
            .unwrap_or(0)
    }

    fn supply(&self, denom: &str) -> u128 {
        let v = self.json(&["query", "bank", "total"]);
        v["supply"]
            .as_array()
            .and_then(|b| b.iter().find(|c| c["denom"] == denom))
            .map(|c| num(&c["amount"]))
            .unwrap_or(0)
    }

    fn escrow(&self) -> String {
        self.json(&[
            "query",
            "ibc-transfer",
            "escrow-address",
            "transfer",
            "channel-0",
        ])["escrow_address"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn transfer(&self, receiver: &str, amount: &str, extra: &[&str]) -> Value {
        let mut args = vec![
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            "channel-0",
            receiver,
            amount,
        ];
        args.extend(extra);
        self.tx(&args)
    }

    /// Kills this chain's node with SIGKILL and starts it again as `localnet/start.sh` did.
    fn kill9_and_restart(&mut self) {
        unsafe {
            libc::kill(self.node.pid as i32, libc::SIGKILL);
        }
        let rpc = self.node.rpc.clone();
        wait_until("the killed node to release its port", WAIT, || {
            std::net::TcpListener::bind(&rpc).is_ok().then_some(())
        });
        let log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.dir.join("node0.log"))
            .unwrap();
        let n = self.node.clone();
        let child = Command::new(BIN)
            .args(["start", "--home", &n.home])
            .args(["--address", &format!("tcp://{}", n.abci)])
            .args(["--grpc.address", &n.grpc])
            .args(["--rpc.laddr", &format!("tcp://{}", n.rpc)])
            .args(["--p2p.laddr", &format!("tcp://{}", n.p2p)])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.node.pid = pid;
        std::mem::forget(child);
        // stop.sh kills what nodes.json names.
        let nodes = serde_json::json!([{"name": n.name, "home": n.home, "rpc": n.rpc,
            "grpc": n.grpc, "p2p": n.p2p, "abci": n.abci, "pid": pid}]);
        std::fs::write(self.dir.join("nodes.json"), nodes.to_string()).unwrap();
    }
}

/// Both chains and Hermes, stopped on drop.
struct IbcNet {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    a: Chain,
    b: Chain,
}

impl IbcNet {
    fn start(hermes: &Path) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ibc");
        let base = free_base();
        let out = Command::new(scripts().join("ibc.sh"))
            .env("IBC_DIR", &dir)
            .env("IBC_PORT_BASE", base.to_string())
            .env("IBC_CHAIN_A", CHAIN_A)
            .env("IBC_CHAIN_B", CHAIN_B)
            .env("IBC_TIMEOUT_COMMIT", "500ms")
            .env("HERMES", hermes)
            .env("OPENLEDGERD", BIN)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let chain = |c: &str, id: &'static str| Chain {
            id,
            node: read_node(&dir.join(c)),
            dir: dir.join(c),
        };
        assert!(
            out.status.success(),
            "localnet/ibc.sh failed:\n{}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            logs(&dir)
        );
        let a = chain("a", CHAIN_A);
        let b = chain("b", CHAIN_B);
        Self {
            _tmp: tmp,
            dir,
            a,
            b,
        }
    }

    fn logs(&self) -> String {
        logs(&self.dir)
    }
}

impl Drop for IbcNet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        let _ = Command::new(scripts().join("ibc.sh"))
            .arg("stop")
            .env("IBC_DIR", &self.dir)
            .stdin(Stdio::null())
            .output();
    }
}

fn logs(dir: &Path) -> String {
    [
        "hermes/setup.log",
        "hermes/hermes.log",
        "a/node0.log",
        "b/node0.log",
    ]
    .iter()
    .map(|f| log_tail(&dir.join(f), f, 40))
    .collect()
}

/// A base port with ports free for both chains (base..base+3 and base+100..base+103).
fn free_base() -> u16 {
    for i in 0..200u16 {
        let base = 30_000 + ((std::process::id() as u16).wrapping_add(i * 7) % 300) * 100;
        let free = (0..4)
            .chain(100..104)
            .all(|o| std::net::TcpListener::bind(("127.0.0.1", base + o)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no free port range");
}

fn read_node(dir: &Path) -> Node {
    let text = std::fs::read_to_string(dir.join("nodes.json")).unwrap_or_else(|_| "[{}]".into());
    let v: Value = serde_json::from_str(&text).unwrap();
    let n = &v[0];
    let s = |k: &str| n[k].as_str().unwrap_or_default().to_string();
    Node {
        name: s("name"),
        home: s("home"),
        rpc: s("rpc"),
        grpc: s("grpc"),
        p2p: s("p2p"),
        abci: s("abci"),
        pid: n["pid"].as_u64().unwrap_or_default() as u32,
    }
}

/// The voucher of `uopen` sent over channel-0: `ibc/` + SHA-256 of its trace.
fn voucher_of(chain: &Chain, trace: &str) -> String {
    let v = chain.json(&["query", "ibc-transfer", "denom-hash", trace]);
    format!("ibc/{}", v["hash"].as_str().unwrap())
}

// Work in progress (issue 14): not yet passing against Hermes, so not in `make test`; it runs in
// `make test-ibc` (which installs Hermes first).
#[test]
#[ignore = "IBC work in progress: not yet passing against Hermes"]
fn ibc_transfers_between_two_chains_with_hermes() {
    if cometbft().is_none() {
        return;
    }
    let Some(hermes) = hermes() else {
        return;
    };
    let mut net = IbcNet::start(&hermes);
    let (a, b) = (&net.a, &net.b);
    let alice = a.address();
    let bob = b.address();
    let escrow = a.escrow();
    let voucher = voucher_of(b, "transfer/channel-0/uopen");

    // The relayer set up one client, connection and open channel on each side.
    let channels = a.json(&["query", "ibc", "channel", "channels"]);
    assert_eq!(channels["channels"][0]["state"], "STATE_OPEN", "{channels}");
    let clients = b.json(&["query", "ibc", "client", "states"]);
    assert_eq!(
        clients["client_states"][0]["client_state"]["chain_id"], CHAIN_A,
        "{clients}"
    );

    // 1. 1 OPEN to chain b: escrowed on a, a voucher with its trace on b.
    let sent = Instant::now();
    a.transfer(&bob, "1000000uopen", &[]);
    assert_eq!(a.balance(&escrow, "uopen"), 1_000_000);
    wait_until("the voucher on chain b", WAIT, || {
        (b.balance(&bob, &voucher) == 1_000_000).then_some(())
    });
    let relay_secs = sent.elapsed().as_secs_f64();
    eprintln!("MEASURE transfer to voucher: {relay_secs:.1} s (Hermes defaults)");
    let traces = b.json(&["query", "ibc-transfer", "denom-traces"]);
    assert_eq!(
        traces["denom_traces"],
        serde_json::json!([{"path": "transfer/channel-0", "base_denom": "uopen"}]),
        "{traces}"
    );
    // Conservation: what b minted is what a holds in escrow.
    assert_eq!(b.supply(&voucher), a.balance(&escrow, "uopen"));

    // 2. Back home: the voucher is burned on b, the escrow releases it on a.
    let alice_before = a.balance(&alice, "uopen");
    b.transfer(&alice, &format!("1000000{voucher}"), &[]);
    wait_until("the escrow to release on chain a", WAIT, || {
        (a.balance(&escrow, "uopen") == 0).then_some(())
    });
    assert_eq!(b.balance(&bob, &voucher), 0);
    assert_eq!(b.supply(&voucher), 0, "the voucher is burned");
    assert_eq!(a.balance(&alice, "uopen"), alice_before + 1_000_000);

    // 3. A timeout that passes before the packet can be received (now: every later block of b
    //    is past it, while a's client of b is older): refunded on a.
    let before = a.balance(&alice, "uopen");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string();
    let v = a.transfer(
        &bob,
        "2000000uopen",
        &[
            "--absolute-timeouts",
            "--packet-timeout-height",
            "0-0",
            "--packet-timeout-timestamp",
            &now,
        ],
    );
    let fee = num(&v["gas_wanted"]).div_ceil(40);
    assert_eq!(a.balance(&escrow, "uopen"), 2_000_000);
    wait_until("the timeout refund", WAIT, || {
        (a.balance(&escrow, "uopen") == 0).then_some(())
    });
    assert_eq!(
        a.balance(&alice, "uopen"),
        before - fee,
        "refunded, fee paid"
    );
    assert_eq!(b.balance(&bob, &voucher), 0, "nothing arrived");

    // 4. An invalid receiver: chain b acknowledges with an error, chain a refunds.
    let before = a.balance(&alice, "uopen");
    let v = a.transfer("not-an-address", "3000000uopen", &[]);
    let fee = num(&v["gas_wanted"]).div_ceil(40);
    wait_until("the error acknowledgement's refund", WAIT, || {
        (a.balance(&escrow, "uopen") == 0 && a.balance(&alice, "uopen") == before - fee)
            .then_some(())
    });
    assert_eq!(b.supply(&voucher), 0);

    // 5. Bad input: refused, nothing changes.
    let before = a.balance(&alice, "uopen");
    let over = a.refused(&[
        "tx",
        "ibc-transfer",
        "transfer",
        "transfer",
        "channel-0",
        &bob,
        &format!("{}uopen", before + 1),
    ]);
    assert!(over.contains("insufficient funds"), "{over}");
    let unknown = a.refused(&[
        "tx",
        "ibc-transfer",
        "transfer",
        "transfer",
        "channel-9",
        &bob,
        "1uopen",
    ]);
    assert!(unknown.contains("channel-9"), "{unknown}");
    assert_eq!(a.balance(&alice, "uopen"), before);
    assert_eq!(a.balance(&escrow, "uopen"), 0);

    // 6. Chain b's node killed (-9) right after a transfer was sent: once it is back, Hermes
    //    delivers it.
    a.transfer(&bob, "4000000uopen", &[]);
    net.b.kill9_and_restart();
    let b = &net.b;
    wait_until("the voucher after chain b's restart", WAIT, || {
        (b.node.height().is_some() && b.balance(&bob, &voucher) == 4_000_000).then_some(())
    });
    assert_eq!(b.supply(&voucher), net.a.balance(&escrow, "uopen"));

    // Gas of the relayer's packet transactions (each also updates the client).
    let gas = |chain: &Chain, action: &str| -> Vec<u64> {
        chain
            .node
            .rpc_get(&format!(
                "/tx_search?query=%22message.action=%27{action}%27%22&per_page=50"
            ))
            .and_then(|v| {
                v["result"]["txs"].as_array().map(|txs| {
                    txs.iter()
                        .filter_map(|t| t["tx_result"]["gas_used"].as_str()?.parse().ok())
                        .collect()
                })
            })
            .unwrap_or_default()
    };
    eprintln!(
        "MEASURE gas MsgUpdateClient+MsgRecvPacket txs on b: {:?}",
        gas(b, "/ibc.core.channel.v1.MsgRecvPacket")
    );
    eprintln!(
        "MEASURE gas MsgUpdateClient+MsgAcknowledgement txs on a: {:?}",
        gas(&net.a, "/ibc.core.channel.v1.MsgAcknowledgement")
    );
}
