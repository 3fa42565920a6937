//! Datanet → version → adapter → provenance, end to end on the real cometbft, through the CLI
//! exactly as the README shows it: create a Datanet with the demo schema, contribute the demo
//! records (with refused lines reported), review to quorum, cut a version, prove a record with
//! only the root, export the version, train a real (tiny) LoRA adapter on it with lora-engine,
//! publish it, and read its provenance back.

mod common;

use common::{TestNode, add_key, demo, fund, json, num, ok, path_str, refused, tx};
use serde_json::Value;

#[test]
fn datanet_to_adapter_provenance() {
    if common::cometbft().is_none() {
        return;
    }
    let mut node = TestNode::init();
    node.start();
    let curator_a = add_key(&node, "curator-a");
    let curator_b = add_key(&node, "curator-b");
    let alice = add_key(&node, "alice");
    for a in [&curator_a, &curator_b, &alice] {
        fund(&node, a, "50000000000uopen");
    }

    // Create the Datanet: two curators must agree, 1000uopen bond per record.
    let curators = format!("{curator_a},{curator_b}");
    let schema = demo("schema.json");
    ok(tx(
        &node,
        &[
            "tx",
            "datanet",
            "create",
            "smart-contract-vulns",
            "--schema",
            path_str(&schema),
            "--curators",
            &curators,
            "--review-quorum",
            "2",
            "--bond",
            "1000uopen",
            "--max-record-bytes",
            "4096",
            "--license",
            "CC-BY-4.0",
        ],
        "dev",
    ));
    let d = json(&node, &["query", "datanet", "show", "1"]);
    assert_eq!(d["owner"], node.dev, "{d}");
    assert_eq!(d["reviewQuorum"], 2, "{d}");

    // Contribute: the first 40 demo records plus three bad lines, which are reported by line.
    let text = std::fs::read_to_string(demo("smart_contract_vulns.jsonl")).expect("demo data");
    let good: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(40)
        .collect();
    assert_eq!(good.len(), 40, "the demo Datanet has at least 40 records");
    let mut lines: Vec<String> = good.iter().map(|l| l.to_string()).collect();
    lines.insert(
        5,
        r#"{"instruction":"missing the response","category":"x"}"#.into(),
    );
    lines.insert(10, good[0].to_string());
    lines.insert(20, "this is not json".into());
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("records.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let alice_before = node.balance(&alice);
    let report = tx(
        &node,
        &[
            "tx",
            "datanet",
            "contribute",
            "1",
            path_str(&file),
            "--batch-bytes",
            "8000",
        ],
        "alice",
    );
    assert_eq!(num(&report["contributed"]), 40, "{report}");
    assert!(report["txs"].as_array().expect("txs").len() > 1, "{report}");
    let rejected: Vec<(u128, String)> = report["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            (
                num(&r["line"]),
                r["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(rejected.len(), 3, "{report}");
    assert_eq!(rejected[0].0, 6);
    assert!(
        rejected[0].1.contains("missing required field `response`"),
        "{report}"
    );
    assert_eq!(rejected[1].0, 11);
    assert!(rejected[1].1.contains("duplicate of line 1"), "{report}");
    assert_eq!(rejected[2].0, 21);
    assert!(rejected[2].1.contains("not JSON"), "{report}");
    // 40 bonds escrowed (plus the fees).
    let fees: u128 = report["txs"]
        .as_array()
        .expect("txs")
        .iter()
        .map(|t| {
            let h = t["txhash"].as_str().expect("hash");
            let q = json(&node, &["query", "tx", h]);
            num(&q["gas_wanted"])
        })
        .map(|gas| (gas * 25).div_ceil(1000))
        .sum();
    assert_eq!(node.balance(&alice), alice_before - 40 * 1000 - fees);

    // Review: both curators accept records 1..=30 and reject 31..=40.
    let accept: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
    let reject: Vec<String> = (31..=40).map(|i| i.to_string()).collect();
    for curator in ["curator-a", "curator-b"] {
        let mut a = vec!["tx", "datanet", "review", "1"];
        a.extend(accept.iter().map(String::as_str));
        a.extend(["--verdict", "accept"]);
        ok(tx(&node, &a, curator));
        let mut r = vec!["tx", "datanet", "review", "1"];
        r.extend(reject.iter().map(String::as_str));
        r.extend([
            "--verdict",
            "reject",
            "--reason",
            "too close to another record",
        ]);
        ok(tx(&node, &r, curator));
    }
    // Accepted bonds came back; rejected ones went to the pool.
    assert_eq!(node.balance(&alice), alice_before - 10 * 1000 - fees);
    let d = json(&node, &["query", "datanet", "show", "1"]);
    assert_eq!(num(&d["acceptedCount"]), 30, "{d}");
    assert_eq!(num(&d["rejectedCount"]), 10, "{d}");
    assert_eq!(d["pool"][0]["amount"], "10000", "{d}");
    let pending = json(
        &node,
        &["query", "datanet", "records", "1", "--status", "pending"],
    );
    assert_eq!(pending["records"].as_array().map_or(0, Vec::len), 0);
    let mine = json(
        &node,
        &[
            "query",
            "datanet",
            "records",
            "1",
            "--status",
            "rejected",
            "--contributor",
            &alice,
        ],
    );
    assert_eq!(mine["records"].as_array().expect("records").len(), 10);

    // A non-owner cannot cut a version; the owner can.
    let why = refused(&node, &["tx", "datanet", "cut-version", "1"], "alice");
    assert!(why.contains("is not the owner of datanet 1"), "{why}");
    ok(tx(&node, &["tx", "datanet", "cut-version", "1"], "dev"));
    let v = json(&node, &["query", "datanet", "version", "1", "1"]);
    assert_eq!(num(&v["recordCount"]), 30, "{v}");

    // Prove record 7 against the version root (the CLI verifies it locally).
    let proof = json(&node, &["query", "datanet", "proof", "1", "1", "7"]);
    assert_eq!(proof["verified"], true, "{proof}");
    // Independently: recompute with only the root from the version query.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let root = b64.decode(v["root"].as_str().expect("root")).expect("b64");
    let siblings: Vec<Vec<u8>> = proof["siblings"]
        .as_array()
        .expect("siblings")
        .iter()
        .map(|s| b64.decode(s.as_str().expect("sibling")).expect("b64"))
        .collect();
    let content = proof["record"]["content"].as_str().expect("content");
    assert!(openledger_datanet::verify_record_proof(
        7,
        content,
        num(&proof["leafIndex"]) as u64,
        30,
        &siblings,
        &root
    ));
    assert!(!openledger_datanet::verify_record_proof(
        7,
        &format!("{content} "),
        num(&proof["leafIndex"]) as u64,
        30,
        &siblings,
        &root
    ));

    // ModelFactory: export version 1, train a LoRA adapter on it (tiny base, one epoch).
    let export = dir.path().join("v1.jsonl");
    let e = json(
        &node,
        &[
            "query",
            "datanet",
            "export",
            "1",
            "1",
            "--out",
            path_str(&export),
        ],
    );
    assert_eq!(num(&e["records"]), 30, "{e}");
    let device = burn::prelude::Device::flex();
    let base = openledger_lora::BaseModel::tiny(11, &device);
    let base_dir = dir.path().join("base");
    base.save_safetensors(&base_dir).expect("save base");
    let exported = std::fs::read_to_string(&export).expect("export");
    assert_eq!(exported.lines().count(), 30);
    // The tiny test model has a 256-token context (byte-level tokens): train on the version's
    // records whose prompt fits it. (SmolLM2's context is 8k tokens.)
    let fitting: Vec<&str> = exported
        .lines()
        .filter(|l| {
            serde_json::from_str::<Value>(l).expect("json")["instruction"]
                .as_str()
                .is_some_and(|i| i.len() < 120)
        })
        .collect();
    assert!(fitting.len() >= 5, "{} short records", fitting.len());
    let cfg = openledger_lora::train::TrainConfig {
        epochs: 1,
        batch_size: 8,
        rank: 4,
        max_len: 256,
        ..Default::default()
    };
    common::attribution::train_lora(&base, dir.path(), &fitting, &cfg);
    let adapter_dir = dir.path().join("vuln-explainer");

    // Register the base (deposit escrowed) and publish the adapter on version 1.
    let weights = base_dir.join("model.safetensors");
    ok(tx(
        &node,
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
    // A version that does not exist is refused.
    let why = refused(
        &node,
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
            "2",
        ],
        "dev",
    );
    assert!(why.contains("version 2 of datanet 1 not found"), "{why}");
    ok(tx(
        &node,
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
        ],
        "dev",
    ));
    let a = json(&node, &["query", "models", "adapter", "1"]);
    assert_eq!(a["name"], "vuln-explainer", "{a}");
    assert_eq!(a["versionRoot"], v["root"], "{a}");
    assert_eq!(num(&a["config"]["rank"]), 4, "{a}");

    // The weights come back byte for byte.
    let got = dir.path().join("weights.safetensors");
    json(
        &node,
        &["query", "models", "weights", "1", "--out", path_str(&got)],
    );
    assert_eq!(
        std::fs::read(&got).expect("got"),
        std::fs::read(adapter_dir.join("adapter.safetensors")).expect("saved")
    );

    // Provenance: adapter → version 1 (root, 30 records) → alice.
    let p = json(&node, &["query", "models", "provenance", "1"]);
    assert_eq!(num(&p["recordCount"]), 30, "{p}");
    assert_eq!(p["versionRoot"], v["root"], "{p}");
    assert_eq!(p["datanetName"], "smart-contract-vulns", "{p}");
    let contributors = p["contributors"].as_array().expect("contributors");
    assert_eq!(contributors.len(), 1, "{p}");
    assert_eq!(contributors[0]["address"], alice.as_str(), "{p}");
    assert_eq!(num(&contributors[0]["records"]), 30, "{p}");

    // CometBFT-RPC-only clients get the same answers through ABCI Query with the gRPC path.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let via_abci = rt.block_on(async {
        use prost::Message;
        use tendermint_rpc::Client;
        let rpc = tendermint_rpc::HttpClient::new(node.rpc_url().as_str()).expect("rpc");
        let req =
            openledger_proto::openledger::models::v1::QueryProvenanceRequest { adapter_id: 1 };
        let r = rpc
            .abci_query(
                Some("/openledger.models.v1.Query/Provenance".into()),
                req.encode_to_vec(),
                None,
                false,
            )
            .await
            .expect("abci_query");
        assert!(r.code.is_ok(), "{}", r.log);
        openledger_proto::openledger::models::v1::QueryProvenanceResponse::decode(
            r.value.as_slice(),
        )
        .expect("decode")
    });
    assert_eq!(via_abci.record_count, 30);
    assert_eq!(via_abci.contributors[0].address, alice);

    node.stop();
}
