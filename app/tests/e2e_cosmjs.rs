//! cosmjs, the client library of Keplr, Leap and most Cosmos apps, against a real node on the
//! real cometbft: the suite in `clients/cosmjs/test` (npm packages pinned there, installed by
//! `make setup`) sends "auto"-fee txs, looks txs up and searches them, delegates, withdraws,
//! undelegates, passes a gov proposal, runs the licence contract through the CosmWasm client and
//! sends OpenLedger's own messages through a cosmjs `Registry` built from the node's descriptors
//! (fetched by gRPC reflection with grpcurl, as a user would).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestNode, artifact, grpcurl, path_str, run_ok};

/// The suite's directory, or `None` (skipped) outside CI when `make setup` has not installed it.
fn suite() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/cosmjs");
    if dir
        .join("node_modules/@cosmjs/stargate/package.json")
        .is_file()
    {
        return Some(dir);
    }
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "CI requires the cosmjs suite's packages in {} (make setup installs them)",
        dir.display()
    );
    eprintln!(
        "SKIPPED: the cosmjs packages are not installed in {}; run `make setup`",
        dir.display()
    );
    None
}

/// Runs `cmd` to its end or kills it after `limit`; returns its status and its output.
fn run_bounded(mut cmd: Command, limit: Duration) -> (std::process::ExitStatus, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "timed out after {limit:?}:\n{}\n{}",
                reader.join().unwrap_or_default(),
                err_reader.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = reader.join().unwrap_or_default() + &err_reader.join().unwrap_or_default();
    (status, text)
}

/// The `openledger.*` services whose descriptors the suite loads (with their imports).
const SERVICES: [&str; 6] = [
    "openledger.datanet.v1.Msg",
    "openledger.datanet.v1.Query",
    "openledger.models.v1.Msg",
    "openledger.models.v1.Query",
    "openledger.attribution.v1.Msg",
    "openledger.attribution.v1.Query",
];

#[test]
fn cosmjs_drives_the_chain() {
    if common::cometbft().is_none() {
        return;
    }
    let Some(suite) = suite() else { return };
    let Some(license) = artifact("model_license.wasm") else {
        return;
    };
    let Some(grpcurl) = grpcurl() else { return };

    let mut node = TestNode::init();
    // The suite's own account, with a mnemonic as a wallet would hold it.
    let key: serde_json::Value = serde_json::from_str(&run_ok(&[
        "keys",
        "add",
        "cosmjs",
        "--output",
        "json",
        "--home",
        node.h(),
    ]))
    .expect("keys add JSON");
    let mnemonic = key["mnemonic"].as_str().expect("mnemonic").to_string();
    run_ok(&[
        "genesis",
        "add-account",
        "cosmjs",
        "10000000000000uopen",
        "--home",
        node.h(),
    ]);
    // Votes end within the test.
    let gpath = node.home.join("config/genesis.json");
    let mut genesis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gpath).expect("genesis")).expect("JSON");
    let gov = &mut genesis["app_state"]["gov"]["params"];
    gov["voting_period"] = "8s".into();
    gov["max_deposit_period"] = "8s".into();
    gov["expedited_voting_period"] = "4s".into();
    std::fs::write(&gpath, genesis.to_string()).expect("write genesis");
    // The paid request stays pending: this test is about the client, not the engine.
    node.start_args = vec!["--lora-engine".into(), "off".into()];
    node.start();

    // grpcurl writes one service's files (with their imports) per call; encoded descriptor
    // sets concatenate into one (a repeated field), and the suite drops the repeated files.
    let descriptors = node.dir.path().join("openledger.bin");
    let mut set = Vec::new();
    for service in SERVICES {
        let file = node.dir.path().join(format!("{service}.bin"));
        let out = Command::new(&grpcurl)
            .args(["-plaintext", "-protoset-out", path_str(&file)])
            .args([node.grpc.as_str(), "describe", service])
            .output()
            .expect("grpcurl");
        assert!(
            out.status.success(),
            "grpcurl describe {service}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        set.extend(std::fs::read(&file).expect("protoset"));
    }
    std::fs::write(&descriptors, set).expect("write descriptors");

    let mut cmd = Command::new("node");
    cmd.current_dir(&suite)
        .args(["--test", "--test-reporter", "spec", "test/"])
        .env("OPENLEDGER_RPC", node.rpc_url())
        .env("OPENLEDGER_CHAIN_ID", "openledger-local-1")
        .env("OPENLEDGER_MNEMONIC", &mnemonic)
        .env("OPENLEDGER_DESCRIPTORS", &descriptors)
        .env("OPENLEDGER_LICENSE_WASM", &license);
    let (status, output) = run_bounded(cmd, Duration::from_secs(300));
    assert!(
        status.success(),
        "the cosmjs suite failed ({status}):\n{output}\n--- node log ---\n{}",
        node.logs()
    );
    println!("{output}");
    node.stop_cleanly();
}
