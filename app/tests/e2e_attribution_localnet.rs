//! Proof of Attribution on four validators (the real `localnet/start.sh`, the real cometbft):
//! every validator runs the request on its own in-process engine and the four commit the same
//! record; a validator started with the test-only `--attribution-perturb garbage` leaves the
//! committed scores exactly where the honest validators put them (stake-weighted median); with
//! one validator down (3/4 of the power) requests still complete.

mod common;

use std::time::Duration;

use common::attribution::{Cli, params, publish, scores, short_records, train_adapter};
use common::localnet::{CHAIN_ID, Localnet};
use common::path_str;
use serde_json::{Value, json};

const PROMPT: &str = "What is a reentrancy vulnerability?";

fn cli(net: &Localnet, i: usize) -> Cli {
    Cli {
        home: net.nodes[i].home.clone(),
        grpc: net.nodes[i].grpc_url(),
        chain_id: CHAIN_ID,
    }
}

/// The committed record of `id` as node `i` serves it.
fn record(net: &Localnet, i: usize, id: u64) -> Value {
    net.nodes[i].json(&["query", "attribution", "record", &id.to_string()])
}

#[test]
fn four_validators_agree_and_a_perturbed_or_missing_one_changes_nothing() {
    if common::cometbft().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let records = short_records(12);
    let weights = train_adapter(dir.path(), &records);
    let patch = json!({"attribution": {"params": params(1_000_000, 20)}});
    let mut net = Localnet::start_with(4, 0, &patch, &["--lora-models", path_str(&weights)]);
    let c0 = cli(&net, 0);
    publish(&c0, dir.path(), &weights, &records, "node0");

    // All honest: one answer, the same record on every node, reported by all four.
    let honest = c0.infer("1", PROMPT, "user");
    assert_eq!(honest["status"], "REQUEST_STATUS_ATTRIBUTED", "{honest}");
    assert_eq!(
        honest["validators"].as_array().map_or(0, Vec::len),
        4,
        "{honest}"
    );
    let first = record(&net, 0, 1);
    let height: u64 = first["height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("record height: {first}"));
    net.wait_height(&[1, 2, 3], height, Duration::from_secs(60));
    for i in 1..4 {
        assert_eq!(
            record(&net, i, 1),
            first,
            "node {i} committed another record"
        );
    }

    // Node 3 reports garbage scores (the records nobody else found most influential, inverted).
    net.stop_node(3);
    net.start_node_with(3, &["--attribution-perturb", "garbage"]);
    // A record is committed as soon as 3 of the 4 agree, so the just restarted node 3 may miss
    // a request; ask until one is committed with all four reporting (the garbage among them).
    let with_garbage = (0..5)
        .map(|_| c0.infer("1", PROMPT, "user"))
        .find(|a| a["validators"].as_array().map_or(0, Vec::len) == 4)
        .expect("a record reported by all four validators within 5 requests");
    let log3 = std::fs::read_to_string(net.run_dir().join("node3.log")).expect("node3.log");
    assert!(
        log3.contains("with perturbed scores (TEST ONLY: garbage)"),
        "node 3 runs the perturbed engine"
    );
    assert_eq!(
        with_garbage["status"], "REQUEST_STATUS_ATTRIBUTED",
        "{with_garbage}"
    );
    assert_eq!(with_garbage["output"], honest["output"]);
    assert_eq!(
        scores(&with_garbage),
        scores(&honest),
        "the median of three honest reports and one garbage one is the honest value"
    );

    // Node 3 down: 3/4 of the power still agrees.
    net.kill9(3);
    let without = c0.infer("1", PROMPT, "user");
    assert_eq!(without["status"], "REQUEST_STATUS_ATTRIBUTED", "{without}");
    assert_eq!(scores(&without), scores(&honest));
    assert_eq!(
        without["validators"].as_array().map_or(0, Vec::len),
        3,
        "{without}"
    );
}
