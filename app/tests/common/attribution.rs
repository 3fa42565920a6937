//! What the Proof of Attribution tests share: a tiny LoRA adapter trained on two contributors'
//! Datanet records and published on chain, and paid requests through the CLI.

use std::path::{Path, PathBuf};

use openledger_lora::BaseModel;
use openledger_lora::train::TrainConfig;
use serde_json::{Value, json};

use super::{TestNode, demo, json_at, num, path_str, run_ok, tx_flags};

/// The chain's attribution params for the tests (proto3 JSON names, as the genesis has them): a
/// price worth splitting, a short timeout.
pub fn params(price: u128, timeout_blocks: u64) -> Value {
    json!({
        "defaultPrice": {"denom": "uopen", "amount": price.to_string()},
        "maxPromptBytes": 256,
        "maxTokens": 16,
        "timeoutBlocks": timeout_blocks.to_string(),
        "contributorsBps": 7000,
        "ownerBps": 2000,
        "validatorsBps": 1000,
        "topK": 5,
        "maxExtensionBytes": 65536,
        "maxResultsPerExtension": 16,
        "maxOutputBytes": 4096
    })
}

/// Demo records cut to fit the tiny model's 256-token (byte) context: short instructions, the
/// response's first sentence or 100 bytes, as JSON lines.
pub fn short_records(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(demo("smart_contract_vulns.jsonl")).expect("demo data");
    let v: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["instruction"].as_str().is_some_and(|i| i.len() < 80))
        .map(|mut v| {
            let response = v["response"].as_str().unwrap_or("").to_string();
            let mut cut = response.split(". ").next().unwrap_or("").to_string();
            if cut.len() > 100 {
                let end = (0..=100)
                    .rev()
                    .find(|&i| cut.is_char_boundary(i))
                    .unwrap_or(0);
                cut.truncate(end);
            }
            v["response"] = Value::String(cut);
            v.to_string()
        })
        .take(n)
        .collect();
    assert_eq!(v.len(), n, "the demo Datanet has {n} short records");
    v
}

/// Trains a LoRA adapter on `lines` (JSON records) into `dir/vuln-explainer`, laid out as
/// `openledger-lora train` writes it (weights, config, `train_report.json`).
pub fn train_lora<S: AsRef<str>>(base: &BaseModel, dir: &Path, lines: &[S], cfg: &TrainConfig) {
    let train_file = dir.join("train.jsonl");
    let text: Vec<&str> = lines.iter().map(AsRef::as_ref).collect();
    std::fs::write(&train_file, text.join("\n") + "\n").expect("write");
    let records = openledger_lora::data::load_jsonl(&train_file).expect("records");
    let (mut adapter, report) =
        openledger_lora::train::train(base, &records, &train_file, cfg, &mut |_, _, _, _| {})
            .expect("train");
    let adapter_dir = dir.join("vuln-explainer");
    adapter.save(&adapter_dir).expect("save adapter");
    std::fs::write(
        adapter_dir.join("train_report.json"),
        serde_json::to_string(&report).expect("report"),
    )
    .expect("write report");
}

/// The tiny adapter (rank 4, two epochs) trained on `lines` into `dir/vuln-explainer`; returns
/// the tiny base model's weights file (what the validators load, matched by its sha256).
pub fn train_adapter(dir: &Path, lines: &[String]) -> PathBuf {
    let base = BaseModel::tiny(11, &burn::prelude::Device::flex());
    let base_dir = dir.join("base");
    base.save_safetensors(&base_dir).expect("save base");
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 4,
        rank: 4,
        max_len: 256,
        ..Default::default()
    };
    train_lora(&base, dir, lines, &cfg);
    base_dir.join("model.safetensors")
}

/// A node's CLI: its home (keyring) and gRPC address, on a chain.
pub struct Cli {
    pub home: String,
    pub grpc: String,
    pub chain_id: &'static str,
}

impl Cli {
    /// The CLI of a single test node (chain `openledger-local-1`).
    pub fn of(node: &TestNode) -> Self {
        Self {
            home: node.h().to_string(),
            grpc: node.grpc_url(),
            chain_id: "openledger-local-1",
        }
    }

    pub fn json(&self, args: &[&str]) -> Value {
        json_at(&self.home, &self.grpc, args)
    }

    /// A tx with simulated gas; asserts it was committed with code 0.
    pub fn tx(&self, args: &[&str], from: &str) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--from", from]);
        all.extend(tx_flags(self.chain_id));
        let v = self.json(&all);
        assert_eq!(v["code"], 0, "{args:?}: {v}");
        v
    }

    pub fn add_key(&self, name: &str) -> String {
        run_ok(&["keys", "add", name, "--home", &self.home]);
        self.address(name)
    }

    pub fn address(&self, name: &str) -> String {
        run_ok(&["keys", "show", name, "-a", "--home", &self.home])
            .trim()
            .to_string()
    }

    pub fn balance(&self, addr: &str) -> u128 {
        let v = self.json(&["query", "bank", "balances", addr]);
        v["balances"]
            .as_array()
            .and_then(|b| b.iter().find(|c| c["denom"] == "uopen"))
            .map_or(0, |c| num(&c["amount"]))
    }

    /// `tx attribution infer`, waiting for the committed answer; returns what it printed.
    pub fn infer(&self, adapter: &str, prompt: &str, from: &str) -> Value {
        let mut all = vec![
            "tx",
            "attribution",
            "infer",
            adapter,
            prompt,
            "--max-fee",
            "2000000uopen",
            "--max-tokens",
            "8",
            "--wait-timeout",
            "180",
            "--from",
            from,
        ];
        all.extend(tx_flags(self.chain_id));
        self.json(&all)
    }
}

/// The two contributors of the published adapter's Datanet.
pub struct Published {
    pub alice: String,
    pub carol: String,
}

/// From `funder`'s funds: a Datanet with a one-curator quorum, alice's and carol's records
/// (6 each) accepted, version 1 cut, the tiny base registered and the adapter in `dir`
/// published on it (owned by `owner`).
pub fn publish(
    cli: &Cli,
    dir: &Path,
    weights: &Path,
    records: &[String],
    owner: &str,
) -> Published {
    let curator = cli.add_key("curator");
    let alice = cli.add_key("alice");
    let carol = cli.add_key("carol");
    let user = cli.add_key("user");
    for a in [&curator, &alice, &carol, &user] {
        let v = cli.json(&[
            "tx",
            "bank",
            "send",
            owner,
            a,
            "20000000000uopen",
            "--fees",
            "5000uopen",
            "--chain-id",
            cli.chain_id,
            "-y",
        ]);
        assert_eq!(v["code"], 0, "{v}");
    }
    cli.tx(
        &[
            "tx",
            "datanet",
            "create",
            "vulns",
            "--schema",
            path_str(&demo("schema.json")),
            "--curators",
            &curator,
            "--review-quorum",
            "1",
            "--bond",
            "1000uopen",
        ],
        owner,
    );
    let half = records.len() / 2;
    for (who, lines) in [("alice", &records[..half]), ("carol", &records[half..])] {
        let file = dir.join(format!("{who}.jsonl"));
        std::fs::write(&file, lines.join("\n") + "\n").expect("write");
        let mut all = vec![
            "tx",
            "datanet",
            "contribute",
            "1",
            path_str(&file),
            "--from",
            who,
        ];
        all.extend(tx_flags(cli.chain_id));
        let r = cli.json(&all);
        assert_eq!(num(&r["contributed"]), lines.len() as u128, "{r}");
    }
    let ids: Vec<String> = (1..=records.len()).map(|i| i.to_string()).collect();
    let mut review = vec!["tx", "datanet", "review", "1"];
    review.extend(ids.iter().map(String::as_str));
    review.extend(["--verdict", "accept"]);
    cli.tx(&review, "curator");
    cli.tx(&["tx", "datanet", "cut-version", "1"], owner);
    cli.tx(
        &[
            "tx",
            "models",
            "register-base",
            "tiny-llama",
            "--weights",
            path_str(weights),
            "--tokenizer",
            path_str(weights),
            "--source",
            "openledger-lora:tiny(11)",
        ],
        owner,
    );
    cli.tx(
        &[
            "tx",
            "models",
            "publish-adapter",
            path_str(&dir.join("vuln-explainer")),
            "--base",
            "1",
            "--datanet",
            "1",
            "--version",
            "1",
        ],
        owner,
    );
    Published { alice, carol }
}

/// The record ids and scores of an answer, in order.
pub fn scores(answer: &Value) -> Vec<(String, String)> {
    answer["top_records"]
        .as_array()
        .expect("top records")
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().unwrap_or("").to_string(),
                r["score"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A uopen amount printed as a string.
pub fn amount(v: &Value) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount: {v}"))
}
