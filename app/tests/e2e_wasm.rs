//! CosmWasm end to end on the real cometbft, through the CLI as the README shows it, with the
//! compiled contracts of `make contracts`:
//! - the model-licence contract: store, instantiate, an adapter published with it as licence
//!   (Datanet → records → review → version → base → adapter), terms, a paid subscription,
//!   `can_infer` true for the subscriber and false for others, the owner and the contributor
//!   withdrawing their split;
//! - the extension template reading a Datanet through the custom query;
//! - misbehaviour: an endless loop ends out of gas, a send beyond the contract's balance fails,
//!   a failed submessage without reply-on-error reverts its parent, migrate by the admin;
//! - bad uploads (not wasm, an unknown import, oversize) refused with nothing stored.
//!
//! Over 600 lines: one test binary for the CosmWasm scenarios (each file under tests/ is a binary
//! that links the whole node, so splitting it costs build time on every run).

mod common;

use std::path::Path;

use common::{
    TX_FLAGS, TestNode, add_key, artifact, demo, fund, grpcurl, json, num, ok, path_str, refused,
    run_ok, tx,
};
use serde_json::{Value, json};

/// A tx with a fixed gas limit, so it reaches a block even when it fails there.
fn tx_fixed_gas(node: &TestNode, args: &[&str], from: &str, gas: &str) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--from",
        from,
        "--chain-id",
        "openledger-local-1",
        "--gas",
        gas,
        "--fees",
        "100000uopen",
        "-y",
    ]);
    json(node, &all)
}

fn event_attr(v: &Value, kind: &str, key: &str) -> String {
    v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == kind)
        .flat_map(|e| e["attributes"].as_array().into_iter().flatten())
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"].as_str())
        .unwrap_or_else(|| panic!("no {kind}.{key} in {v}"))
        .to_string()
}

/// The fee a `--gas auto --gas-prices 0.025uopen` tx paid.
fn fee_of(v: &Value) -> u128 {
    (num(&v["gas_wanted"]) * 25).div_ceil(1000)
}

fn store(node: &TestNode, file: &Path) -> u64 {
    let out = ok(tx(node, &["tx", "wasm", "store", path_str(file)], "dev"));
    event_attr(&out, "store_code", "code_id")
        .parse()
        .expect("code id")
}

fn smart(node: &TestNode, contract: &str, query: &Value) -> Value {
    let q = query.to_string();
    json(
        node,
        &["query", "wasm", "contract-state", "smart", contract, &q],
    )["data"]
        .clone()
}

fn code_count(node: &TestNode) -> usize {
    json(node, &["query", "wasm", "list-code"])["code_infos"]
        .as_array()
        .map_or(0, Vec::len)
}

/// A Datanet by `dev` (curator, quorum 1) with two accepted records by `alice`, version 1, a
/// tiny base model and an adapter on it whose licence is `license`.
fn publish_adapter(node: &TestNode, dir: &Path, license: &str) {
    let schema = demo("schema.json");
    ok(tx(
        node,
        &[
            "tx",
            "datanet",
            "create",
            "vulns",
            "--schema",
            path_str(&schema),
            "--curators",
            &node.dev,
            "--review-quorum",
            "1",
            "--bond",
            "1000uopen",
            "--max-record-bytes",
            "4096",
            "--license",
            "CC-BY-4.0",
        ],
        "dev",
    ));
    let text = std::fs::read_to_string(demo("smart_contract_vulns.jsonl")).expect("demo data");
    let two: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(2)
        .collect();
    let file = dir.join("two.jsonl");
    std::fs::write(&file, two.join("\n") + "\n").expect("write");
    let report = tx(
        node,
        &["tx", "datanet", "contribute", "1", path_str(&file)],
        "alice",
    );
    assert_eq!(num(&report["contributed"]), 2, "{report}");
    ok(tx(
        node,
        &[
            "tx",
            "datanet",
            "review",
            "1",
            "1",
            "2",
            "--verdict",
            "accept",
        ],
        "dev",
    ));
    ok(tx(node, &["tx", "datanet", "cut-version", "1"], "dev"));

    // An untrained adapter of a tiny base is enough: the chain stores weights, not quality.
    let device = burn::prelude::Device::flex();
    let base = openledger_lora::BaseModel::tiny(11, &device);
    let base_dir = dir.join("base");
    base.save_safetensors(&base_dir).expect("save base");
    let config = openledger_lora::lora::LoraConfig {
        rank: 2,
        alpha: 4.0,
        dropout: 0.0,
        targets: vec![openledger_lora::lora::Target::Q],
        base: base.fingerprint.clone(),
        adapter_sha256: String::new(),
        training: json!({"epochs": 0, "lr": 0.0, "seed": 1}),
    };
    let mut adapter = openledger_lora::lora::LoraAdapter::init(config, &base.config, 1, &device);
    let adapter_dir = dir.join("licensed-adapter");
    adapter.save(&adapter_dir).expect("save adapter");
    let weights = base_dir.join("model.safetensors");
    ok(tx(
        node,
        &[
            "tx",
            "models",
            "register-base",
            "tiny-llama",
            "--weights",
            path_str(&weights),
            "--tokenizer",
            path_str(&weights),
            "--source",
            "openledger-lora:tiny(11)",
        ],
        "dev",
    ));
    ok(tx(
        node,
        &[
            "tx",
            "models",
            "publish-adapter",
            path_str(&adapter_dir),
            "--base",
            "1",
            "--datanet",
            "1",
            "--version",
            "1",
            "--license-contract",
            license,
        ],
        "dev",
    ));
}

/// A module importing a host function the chain does not offer (otherwise a valid contract
/// shape: memory, interface version, allocate/deallocate).
fn unknown_import_wasm() -> Vec<u8> {
    wat::parse_str(
        r#"(module
  (import "env" "steal_keys" (func $steal (param i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "interface_version_8"))
  (func (export "allocate") (param i32) (result i32) i32.const 0)
  (func (export "deallocate") (param i32))
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    i32.const 0
    call $steal))"#,
    )
    .expect("wat")
}

#[test]
fn wasm_contracts_end_to_end() {
    if common::cometbft().is_none() {
        return;
    }
    let (Some(license_wasm), Some(template_wasm), Some(misbehave_wasm)) = (
        artifact("model_license.wasm"),
        artifact("extension_template.wasm"),
        artifact("test_misbehave.wasm"),
    ) else {
        return;
    };
    let mut node = TestNode::init();
    node.start();
    let alice = add_key(&node, "alice");
    let carol = add_key(&node, "carol");
    for a in [&alice, &carol] {
        fund(&node, a, "10000000000uopen");
    }
    let dir = tempfile::tempdir().expect("dir");

    // Store: the text output names the code id.
    let grpc = node.grpc_url();
    let mut args = vec![
        "tx",
        "wasm",
        "store",
        path_str(&license_wasm),
        "--from",
        "dev",
    ];
    args.extend(TX_FLAGS);
    args.extend(["--home", node.h(), "--grpc-addr", &grpc]);
    let text = run_ok(&args);
    assert!(text.contains("code_id: 1"), "{text}");
    let code = json(&node, &["query", "wasm", "list-code"]);
    let checksum =
        std::fs::read_to_string(license_wasm.parent().expect("dir").join("checksums.txt"))
            .expect("checksums");
    let expected = checksum
        .lines()
        .find(|l| l.ends_with("model_license.wasm"))
        .and_then(|l| l.split_whitespace().next())
        .expect("checksum line")
        .to_uppercase();
    assert_eq!(code["code_infos"][0]["data_hash"], expected, "{code}");
    let got = dir.path().join("downloaded.wasm");
    json(&node, &["query", "wasm", "code", "1", path_str(&got)]);
    assert_eq!(
        std::fs::read(&got).expect("downloaded"),
        std::fs::read(&license_wasm).expect("artifact")
    );

    // The licence contract exists before the adapter that names it.
    let out = ok(tx(
        &node,
        &[
            "tx",
            "wasm",
            "instantiate",
            "1",
            r#"{"denom":null}"#,
            "--label",
            "model-licence",
            "--no-admin",
        ],
        "dev",
    ));
    let license = event_attr(&out, "instantiate", "_contract_address");
    let info = json(&node, &["query", "wasm", "contract", &license]);
    assert_eq!(info["contract_info"]["label"], "model-licence", "{info}");
    assert_eq!(info["contract_info"]["admin"], "", "{info}");
    let listed = json(&node, &["query", "wasm", "list-contract-by-code", "1"]);
    assert_eq!(listed["contracts"], json!([license.clone()]), "{listed}");
    // Neither or both of --admin/--no-admin is a usage error.
    let why = refused(
        &node,
        &["tx", "wasm", "instantiate", "1", "{}", "--label", "x"],
        "dev",
    );
    assert!(why.contains("--admin"), "{why}");

    publish_adapter(&node, dir.path(), &license);
    let adapter = json(&node, &["query", "models", "adapter", "1"]);
    assert_eq!(adapter["licenseContract"], license.as_str(), "{adapter}");

    // Terms: allow-list only, 40000uopen for 1000 blocks, a quarter to the contributors.
    let terms = json!({"set_terms": {"adapter_id": 1, "terms": {
        "price_per_inference": "1000",
        "subscription": {"price": "40000", "duration_blocks": 1000},
        "allow_list_only": true,
        "contributor_share_bps": 2500}}})
    .to_string();
    // Only the adapter's owner sets terms.
    let why = refused(&node, &["tx", "wasm", "execute", &license, &terms], "carol");
    assert!(why.contains("owner"), "{why}");
    ok(tx(
        &node,
        &["tx", "wasm", "execute", &license, &terms],
        "dev",
    ));
    let grant = json!({"grant": {"adapter_id": 1, "user": carol}}).to_string();
    ok(tx(
        &node,
        &["tx", "wasm", "execute", &license, &grant],
        "dev",
    ));
    let subscribe = json!({"subscribe": {"adapter_id": 1}}).to_string();
    // The wrong amount is refused; the exact price subscribes.
    let why = refused(
        &node,
        &[
            "tx", "wasm", "execute", &license, &subscribe, "--amount", "100uopen",
        ],
        "carol",
    );
    assert!(why.contains("40000"), "{why}");
    let carol_before = node.balance(&carol);
    let out = ok(tx(
        &node,
        &[
            "tx",
            "wasm",
            "execute",
            &license,
            &subscribe,
            "--amount",
            "40000uopen",
        ],
        "carol",
    ));
    assert_eq!(
        node.balance(&carol),
        carol_before - 40000 - fee_of(&out),
        "the subscription and the fee were paid"
    );
    assert_eq!(node.balance(&license), 40000);

    let can = |user: &str| {
        smart(
            &node,
            &license,
            &json!({"can_infer": {"adapter_id": 1, "user": user}}),
        )
    };
    assert_eq!(can(&carol), json!({"allowed": true, "price": "0"}));
    assert_eq!(can(&node.bob)["allowed"], false);
    assert_eq!(can(&alice)["allowed"], false);
    let sub = smart(
        &node,
        &license,
        &json!({"subscription": {"adapter_id": 1, "user": carol}}),
    );
    assert_eq!(sub["active"], true, "{sub}");

    // Revenue: 30000 to the owner, 10000 to alice (the only contributor); each withdraws.
    let owed =
        |who: &str| num(&smart(&node, &license, &json!({"balance": {"address": who}}))["amount"]);
    assert_eq!(owed(&node.dev), 30000);
    assert_eq!(owed(&alice), 10000);
    let withdraw = json!({"withdraw": {}}).to_string();
    for (who, key, amount) in [
        (node.dev.clone(), "dev", 30000u128),
        (alice.clone(), "alice", 10000),
    ] {
        let before = node.balance(&who);
        let out = ok(tx(
            &node,
            &["tx", "wasm", "execute", &license, &withdraw],
            key,
        ));
        assert_eq!(node.balance(&who), before + amount - fee_of(&out), "{key}");
        assert_eq!(owed(&who), 0);
    }
    assert_eq!(node.balance(&license), 0);

    // The same answers over gRPC with reflection, as a wasmd client asks for them.
    check_grpc(&node, &license, &carol);

    // The extension template reads Datanet 1 through the custom query.
    let template = store(&node, &template_wasm);
    let why = refused(
        &node,
        &[
            "tx",
            "wasm",
            "instantiate",
            &template.to_string(),
            r#"{"datanet_id":7}"#,
            "--label",
            "follows-7",
            "--no-admin",
        ],
        "dev",
    );
    assert!(why.contains("datanet 7 not found"), "{why}");
    let out = ok(tx(
        &node,
        &[
            "tx",
            "wasm",
            "instantiate",
            &template.to_string(),
            r#"{"datanet_id":1}"#,
            "--label",
            "follows-1",
            "--admin",
            "dev",
        ],
        "dev",
    ));
    let follower = event_attr(&out, "instantiate", "_contract_address");
    assert_eq!(
        smart(&node, &follower, &json!({"snapshot": {}}))["snapshot"],
        Value::Null
    );
    ok(tx(
        &node,
        &["tx", "wasm", "execute", &follower, r#"{"snapshot":{}}"#],
        "dev",
    ));
    let snap = smart(&node, &follower, &json!({"snapshot": {}}));
    assert_eq!(snap["datanet_id"], 1, "{snap}");
    assert_eq!(snap["snapshot"]["record_count"], 2, "{snap}");
    assert_eq!(snap["snapshot"]["accepted_count"], 2, "{snap}");
    assert_eq!(snap["snapshot"]["latest_version"], 1, "{snap}");
    // A contract pays for an inference through the bindings: the adapter's licence is
    // allow-list only, so the follower is refused until the owner grants it; then the licence's
    // price is escrowed from the contract's balance and the request is pending.
    let request = r#"{"request_inference":{"adapter_id":1,"prompt":"Name the capital of France.","max_tokens":16,"max_fee":"5000"}}"#;
    let why = refused(&node, &["tx", "wasm", "execute", &follower, request], "dev");
    assert!(
        why.contains(&format!("of adapter 1 denies {follower}")),
        "{why}"
    );
    let grant = json!({"grant": {"adapter_id": 1, "user": follower}}).to_string();
    ok(tx(
        &node,
        &["tx", "wasm", "execute", &license, &grant],
        "dev",
    ));
    fund(&node, &follower, "5000uopen");
    let out = ok(tx(
        &node,
        &["tx", "wasm", "execute", &follower, request],
        "dev",
    ));
    assert_eq!(event_attr(&out, "request_inference", "sender"), follower);
    assert_eq!(event_attr(&out, "request_inference", "fee"), "1000uopen");
    let id = event_attr(&out, "request_inference", "request_id");
    let r = json(&node, &["query", "attribution", "request", &id]);
    assert_eq!(r["status"], "REQUEST_STATUS_PENDING", "{r}");
    assert_eq!(
        node.balance(&follower),
        4000,
        "the licence's price is escrowed"
    );

    // Misbehaviour.
    let misbehave = store(&node, &misbehave_wasm).to_string();
    let out = ok(tx(
        &node,
        &[
            "tx",
            "wasm",
            "instantiate",
            &misbehave,
            r#"{"count":0}"#,
            "--label",
            "misbehave",
            "--admin",
            "dev",
        ],
        "dev",
    ));
    let bad = event_attr(&out, "instantiate", "_contract_address");
    let count = |node: &TestNode| smart(node, &bad, &json!({"count": {}}));
    // An endless loop runs out of gas in the block; the fee is kept, nothing else changes.
    let dev_before = node.balance(&node.dev);
    let out = tx_fixed_gas(
        &node,
        &["tx", "wasm", "execute", &bad, r#"{"loop":{}}"#],
        "dev",
        "3000000",
    );
    assert_eq!(
        (out["codespace"].as_str(), num(&out["code"])),
        (Some("sdk"), 11),
        "{out}"
    );
    assert!(num(&out["gas_used"]) >= 3_000_000, "{out}");
    assert_eq!(node.balance(&node.dev), dev_before - 100000);
    // A failed submessage without reply-on-error reverts the parent's own write.
    let out = tx_fixed_gas(
        &node,
        &[
            "tx",
            "wasm",
            "execute",
            &bad,
            r#"{"submsg_fail":{"reply_on_error":false}}"#,
        ],
        "dev",
        "2000000",
    );
    assert_ne!(num(&out["code"]), 0, "{out}");
    assert!(
        out["raw_log"]
            .as_str()
            .unwrap_or("")
            .contains("asked to fail"),
        "{out}"
    );
    assert_eq!(count(&node), json!(0));
    // The same with reply-on-error: the reply handles it and the parent's write stays.
    ok(tx(
        &node,
        &[
            "tx",
            "wasm",
            "execute",
            &bad,
            r#"{"submsg_fail":{"reply_on_error":true}}"#,
        ],
        "dev",
    ));
    assert_eq!(count(&node), json!(1));
    // Sending more than the contract holds fails.
    ok(tx(
        &node,
        &[
            "tx",
            "wasm",
            "execute",
            &bad,
            r#"{"increment":{}}"#,
            "--amount",
            "500uopen",
        ],
        "dev",
    ));
    let send = json!({"send": {"to": node.bob, "amount": [{"denom": "uopen", "amount": "501"}]}})
        .to_string();
    let why = refused(&node, &["tx", "wasm", "execute", &bad, &send], "dev");
    assert!(why.contains("insufficient funds"), "{why}");
    assert_eq!(node.balance(&bad), 500);
    assert_eq!(node.balance(&node.bob), 0);
    // Raw state and migrate (by the admin only).
    let raw = json(
        &node,
        &[
            "query",
            "wasm",
            "contract-state",
            "raw",
            &bad,
            &hex_of(b"count"),
        ],
    );
    assert_eq!(raw["data"], "AAAAAAAAAAI=", "{raw}"); // 2u64, big-endian
    let why = refused(
        &node,
        &["tx", "wasm", "migrate", &bad, &misbehave, r#"{"count":42}"#],
        "carol",
    );
    assert!(
        why.contains("unauthorized") || why.contains("admin"),
        "{why}"
    );
    ok(tx(
        &node,
        &["tx", "wasm", "migrate", &bad, &misbehave, r#"{"count":42}"#],
        "dev",
    ));
    assert_eq!(count(&node), json!(42));

    // Bad uploads: refused with a clear error, nothing stored.
    let codes = code_count(&node);
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0this is not a module").expect("write");
    let why = refused(&node, &["tx", "wasm", "store", path_str(&junk)], "dev");
    assert!(why.to_lowercase().contains("wasm"), "{why}");
    let import = dir.path().join("import.wasm");
    std::fs::write(&import, unknown_import_wasm()).expect("write");
    let why = refused(&node, &["tx", "wasm", "store", path_str(&import)], "dev");
    assert!(why.contains("steal_keys"), "{why}");
    let big = dir.path().join("big.wasm");
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    bytes.resize(800 * 1024 + 1, 0);
    std::fs::write(&big, &bytes).expect("write");
    let why = refused(&node, &["tx", "wasm", "store", path_str(&big)], "dev");
    assert!(
        why.contains("819201") || why.contains("too large") || why.contains("size"),
        "{why}"
    );
    assert_eq!(code_count(&node), codes);

    // A node that has run contracts stops cleanly when its process group is signalled.
    node.stop_cleanly();
}

fn check_grpc(node: &TestNode, license: &str, user: &str) {
    let Some(g) = grpcurl() else { return };
    let call = |args: &[&str]| {
        let out = std::process::Command::new(&g)
            .arg("-plaintext")
            .args(args)
            .output()
            .expect("grpcurl");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let list = call(&[&node.grpc, "list"]);
    for svc in ["cosmwasm.wasm.v1.Query", "cosmwasm.wasm.v1.Msg"] {
        assert!(list.contains(svc), "reflection should list {svc}: {list}");
    }
    use base64::Engine;
    let query = json!({"can_infer": {"adapter_id": 1, "user": user}}).to_string();
    let req = json!({
        "address": license,
        "queryData": base64::engine::general_purpose::STANDARD.encode(query),
    })
    .to_string();
    let body = call(&[
        "-d",
        &req,
        &node.grpc,
        "cosmwasm.wasm.v1.Query/SmartContractState",
    ]);
    let data: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let answer = base64::engine::general_purpose::STANDARD
        .decode(data["data"].as_str().expect("data"))
        .expect("base64");
    assert_eq!(
        serde_json::from_slice::<Value>(&answer).expect("json"),
        json!({"allowed": true, "price": "0"})
    );
    let body = call(&[
        "-d",
        &json!({"address": license}).to_string(),
        &node.grpc,
        "cosmwasm.wasm.v1.Query/ContractHistory",
    ]);
    assert!(body.contains("Unimplemented"), "{body}");
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
