//! Proof of Attribution end to end on the real cometbft, through the CLI: two contributors'
//! records in a Datanet version, a (tiny) LoRA adapter trained on it and published, then a paid
//! `tx attribution infer`. The validator runs the request on its in-process lora-engine after
//! the block, reports the answer and the influence scores in its vote extension, the next
//! proposer injects the extended commit, and FinalizeBlock commits the record and pays the fee
//! out: contributors by score, the adapter's owner, the reporting validator, to the last uopen.
//! Then the record is verified from a trusted header (Merkle path, ICS-23, light client), a
//! changed record fails the check, bad requests are refused with nothing changed, and a request
//! no validator answers is refunded at its timeout.

mod common;

use std::time::Duration;

use common::attribution::{Cli, amount, params, publish, scores, short_records, train_adapter};
use common::{TestNode, json, num, ok, path_str, refused, run, tx, wait_until};
use serde_json::Value;

const PRICE: u128 = 1_000_000;
const TIMEOUT_BLOCKS: u64 = 8;

fn set_params(node: &TestNode) {
    let path = node.home.join("config/genesis.json");
    let mut g: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("genesis")).expect("json");
    assert_eq!(
        g["consensus_params"]["abci"]["vote_extensions_enable_height"], "1",
        "init enables vote extensions from the first block"
    );
    g["app_state"]["attribution"]["params"] = params(PRICE, TIMEOUT_BLOCKS);
    std::fs::write(&path, g.to_string()).expect("write genesis");
}

/// `tx attribution infer <adapter> <prompt> --max-fee <max_fee> <extra…>` from `user`, which the
/// chain must refuse; what the CLI said.
fn refused_infer(
    node: &TestNode,
    adapter: &str,
    prompt: &str,
    max_fee: &str,
    extra: &[&str],
) -> String {
    let mut args = vec![
        "tx",
        "attribution",
        "infer",
        adapter,
        prompt,
        "--max-fee",
        max_fee,
    ];
    args.extend(extra);
    refused(node, &args, "user")
}

/// A paid request on adapter 1 from `user` that returns once it is in a block.
fn request_no_wait(node: &TestNode, prompt: &str) -> Value {
    ok(tx(
        node,
        &[
            "tx",
            "attribution",
            "infer",
            "1",
            prompt,
            "--max-fee",
            "2000000uopen",
            "--no-wait",
        ],
        "user",
    ))
}

/// A node with the tests' attribution params, and a tiny adapter trained in `dir` on 12 records
/// (not yet published): the node, the records and the base model's weights file.
fn prepared(dir: &std::path::Path) -> (TestNode, Vec<String>, std::path::PathBuf) {
    let node = TestNode::init();
    set_params(&node);
    let records = short_records(12);
    let weights = train_adapter(dir, &records);
    (node, records, weights)
}

/// A request from `user` that no engine will answer: `user`'s balance before it, and the gas
/// fee it paid.
fn unanswered_request(node: &TestNode, user: &str) -> (u128, u128) {
    let before = node.balance(user);
    let pending = request_no_wait(node, "Is tx.origin safe for auth?");
    let gas_fee = num(&pending["gas_wanted"])
        .saturating_mul(25)
        .div_ceil(1000);
    (before, gas_fee)
}

/// Request `id` is refunded at its timeout: `user` is back to `before` less the gas fee.
fn assert_refunded(node: &TestNode, user: &str, id: &str, (before, gas_fee): (u128, u128)) {
    wait_for_status(node, id, "REQUEST_STATUS_REFUNDED", Duration::from_secs(60));
    assert_eq!(node.balance(user), before - gas_fee, "the fee came back");
}

/// Waits (bounded) until request `id` has `status`.
fn wait_for_status(node: &TestNode, id: &str, status: &str, timeout: Duration) {
    wait_until(&format!("request {id} to be {status}"), timeout, || {
        let r = json(node, &["query", "attribution", "request", id]);
        (r["status"] == status).then_some(())
    });
}

#[test]
fn paid_inference_is_attributed_paid_out_and_verifiable() {
    if common::cometbft().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (mut node, records, weights) = prepared(dir.path());
    node.start_args = vec!["--lora-models".into(), path_str(&weights).to_string()];
    node.start();

    let cli = Cli::of(&node);
    let common::attribution::Published { alice, carol } =
        publish(&cli, dir.path(), &weights, &records, "dev");
    let user = cli.address("user");

    // Refused, with nothing changed: unknown adapter, a fee cap under the price, an oversize
    // prompt, too many tokens.
    let before = node.balance(&user);
    let why = refused_infer(&node, "9", "hi", "2000000uopen", &[]);
    assert!(why.contains("adapter 9 not found"), "{why}");
    let why = refused_infer(&node, "1", "hi", "999999uopen", &[]);
    assert!(
        why.contains("999999uopen") && why.contains("1000000uopen"),
        "{why}"
    );
    let why = refused_infer(&node, "1", &"x".repeat(300), "2000000uopen", &[]);
    assert!(why.contains("300 bytes"), "{why}");
    let why = refused_infer(&node, "1", "hi", "2000000uopen", &["--max-tokens", "17"]);
    assert!(why.contains("17") && why.contains("16"), "{why}");
    assert_eq!(node.balance(&user), before, "refused requests cost nothing");

    // The paid request: answered, attributed and paid out within a few blocks.
    let owner_before = node.balance(&node.dev);
    let (alice_before, carol_before) = (node.balance(&alice), node.balance(&carol));
    let validator = common::run_ok(&["keys", "show", "validator", "-a", "--home", node.h()])
        .trim()
        .to_string();
    let validator_before = node.balance(&validator);
    let answer = cli.infer("1", "What is a reentrancy vulnerability?", "user");
    assert_eq!(answer["status"], "REQUEST_STATUS_ATTRIBUTED", "{answer}");
    eprintln!("the committed answer: {answer:#}");
    // Request in block R, run after R, reported in the votes of R+1 (or later, if the engine is
    // still busy), committed in the next block.
    let blocks = num(&answer["height"]) - num(&answer["requested_at"]);
    assert!((2..=6).contains(&blocks), "{blocks} blocks: {answer}");
    assert_eq!(answer["fee"], format!("{PRICE}uopen"), "{answer}");
    assert!(
        !answer["output"].as_str().unwrap_or("").is_empty(),
        "{answer}"
    );
    let top = answer["top_records"].as_array().expect("top records");
    assert!(!top.is_empty() && top.len() <= 5, "{answer}");
    let reward = amount;
    let to_contributors: u128 = top.iter().map(|r| reward(&r["reward"])).sum();
    let to_owner = reward(&answer["owner_reward"]);
    let validators = answer["validators"].as_array().expect("validators");
    assert_eq!(validators.len(), 1, "{answer}");
    let to_validator = reward(&validators[0]["reward"]);
    assert_eq!(
        to_contributors + to_owner + to_validator,
        PRICE,
        "every uopen of the fee is paid: {answer}"
    );
    assert_eq!(to_owner, PRICE * 2000 / 10_000, "{answer}");
    assert_eq!(to_validator, PRICE * 1000 / 10_000, "{answer}");
    let paid_to = |who: &str| -> u128 {
        top.iter()
            .filter(|r| r["contributor"] == who)
            .map(|r| reward(&r["reward"]))
            .sum()
    };
    assert_eq!(node.balance(&alice), alice_before + paid_to(&alice));
    assert_eq!(node.balance(&carol), carol_before + paid_to(&carol));
    assert_eq!(node.balance(&node.dev), owner_before + to_owner);
    assert_eq!(node.balance(&validator), validator_before + to_validator);
    for (who, addr) in [("alice", &alice), ("carol", &carol)] {
        let e = json(&node, &["query", "attribution", "earnings", who]);
        let earned = e["earnings"]["total_earned"]
            .as_str()
            .map_or(0, |s| s.parse::<u128>().expect("earned"));
        assert_eq!(earned, paid_to(addr), "{who}: {e}");
    }
    // The record is indexed by adapter and by contributor.
    let by_adapter = json(
        &node,
        &["query", "attribution", "records", "--adapter", "1"],
    );
    assert_eq!(
        by_adapter["records"].as_array().map_or(0, Vec::len),
        1,
        "{by_adapter}"
    );
    let first = &top[0]["contributor"];
    let by_contributor = json(
        &node,
        &[
            "query",
            "attribution",
            "records",
            "--contributor",
            first.as_str().expect("address"),
        ],
    );
    assert_eq!(by_contributor["records"].as_array().map_or(0, Vec::len), 1);

    // The same question gives the same answer and the same scores (deterministic engine).
    let again = cli.infer("1", "What is a reentrancy vulnerability?", "user");
    assert_eq!(again["output"], answer["output"], "{again}");
    assert_eq!(scores(&again), scores(&answer), "{again}");

    // End-to-end verification from the first header; a changed output fails at the Merkle path.
    let rpc = node.rpc_url();
    let v = json(
        &node,
        &["query", "attribution", "verify", "1", "--node", &rpc],
    );
    assert_eq!(v["verified"], true, "{v}");
    let names: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["check"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "record in block root",
            "root in app hash",
            "header verified by the light client"
        ]
    );
    let out = run(&[
        "query",
        "attribution",
        "verify",
        "1",
        "--node",
        &rpc,
        "--tamper-output",
        "a different answer",
        "--home",
        node.h(),
        "--grpc-addr",
        &node.grpc_url(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NOT verified: record in block root"), "{err}");

    // A restart mid-request loses nothing: the request is in a block, the node stops before it
    // is answered, and after the restart the worker finds it pending and answers it.
    request_no_wait(&node, "Which functions can reenter?");
    // Stopped as a service manager would (the whole group): exit 0, state closed.
    node.stop_cleanly();
    node.start();
    wait_for_status(
        &node,
        "3",
        "REQUEST_STATUS_ATTRIBUTED",
        Duration::from_secs(90),
    );

    // A validator whose engine is off reports nothing: the request is refunded at its timeout.
    node.stop_cleanly();
    node.start_args = vec!["--lora-engine".into(), "off".into()];
    node.start();
    let sent = unanswered_request(&node, &user);
    let (before, gas_fee) = sent;
    let r = json(&node, &["query", "attribution", "request", "4"]);
    assert_eq!(r["status"], "REQUEST_STATUS_PENDING", "{r}");
    assert_eq!(
        node.balance(&user),
        before - gas_fee - PRICE,
        "the fee is escrowed"
    );
    assert_refunded(&node, &user, "4", sent);
    node.stop_cleanly();
}

/// `openledgerd start --lora-engine http://…`: the node asks a remote engine over gRPC. The
/// engine is the `openledger.lora.v1.Engine` service that `openledger-lora serve` runs, served
/// here by this test's process on a loopback port, the node in its own process. The request is
/// answered and paid out through it, the engine built the Datanet's index in its own directory,
/// and once the engine is gone the node keeps making blocks and the next request is refunded.
#[test]
fn a_remote_engine_answers_over_grpc() {
    use openledger_lora::grpc::{Service, serve_on};
    use openledger_lora::serve::{DirLoader, Engine, EngineConfig};

    if common::cometbft().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (mut node, records, weights) = prepared(dir.path());

    let base = openledger_lora::BaseModel::load_with(
        &weights,
        &burn::prelude::Device::flex(),
        openledger_lora::WeightFormat::AsStored,
    )
    .expect("load the base model");
    let engine_dir = dir.path().join("engine");
    std::fs::create_dir_all(&engine_dir).expect("engine dir");
    let engine = Engine::start(
        base,
        Box::new(DirLoader(engine_dir.clone())),
        EngineConfig::default(),
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = rt.spawn(serve_on(
        Service::new(engine, engine_dir.clone(), "cpu".into()),
        listener,
    ));
    node.start_args = vec!["--lora-engine".into(), format!("http://{addr}")];
    node.start();

    let cli = Cli::of(&node);
    publish(&cli, dir.path(), &weights, &records, "dev");
    let answer = cli.infer("1", "What is a reentrancy vulnerability?", "user");
    assert_eq!(answer["status"], "REQUEST_STATUS_ATTRIBUTED", "{answer}");
    assert!(
        !answer["top_records"].as_array().expect("top").is_empty(),
        "{answer}"
    );
    let index_files = walk(&engine_dir.join("attribution"));
    assert!(
        !index_files.is_empty(),
        "the remote engine keeps the influence index under its adapter directory"
    );
    assert!(
        !walk(&node.home.join("data/attribution"))
            .iter()
            .any(|p| p.is_file()),
        "the node itself built no index"
    );

    // The engine goes away: blocks go on, the node logs why it reports nothing, and the
    // request is refunded at its timeout.
    server.abort();
    drop(rt);
    let user = cli.address("user");
    let sent = unanswered_request(&node, &user);
    assert_refunded(&node, &user, "2", sent);
    assert!(
        node.logs().contains(&format!("http://{addr}")),
        "the node names the engine it could not reach"
    );
    node.stop_cleanly();
}

/// Every path under `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}
