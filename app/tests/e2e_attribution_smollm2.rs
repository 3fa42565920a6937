//! Proof of Attribution on the real model: a LoRA adapter trained on SmolLM2-135M-Instruct (the
//! GGUF `make setup` installs) over a few demo records, a paid request answered by the node's
//! in-process engine on that same file (found by its sha256), committed with a top record of
//! that Datanet version.

mod common;

use common::attribution::{Cli, publish, short_records, train_lora};
use common::{TestNode, num};

#[test]
fn a_smollm2_adapter_is_attributed_to_its_datanet_records() {
    if common::cometbft().is_none() {
        return;
    }
    let Some(model) = openledger_lora::models::default_model_path() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI requires SmolLM2 (make setup installs it)");
        }
        eprintln!("SKIPPED: SmolLM2 is not installed (make setup)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let records = short_records(6);

    // Train on SmolLM2: one epoch over the six records, rank 4 on q and v.
    let device = burn::prelude::Device::flex();
    let base = openledger_lora::BaseModel::load(&model, &device).expect("SmolLM2");
    let cfg = openledger_lora::train::TrainConfig {
        epochs: 1,
        batch_size: 3,
        rank: 4,
        ..Default::default()
    };
    train_lora(&base, dir.path(), &records, &cfg);
    drop(base);

    let mut node = TestNode::init();
    node.start();
    let cli = Cli::of(&node);
    let published = publish(&cli, dir.path(), &model, &records, "dev");
    let answer = cli.infer("1", "Explain what a reentrancy vulnerability is.", "user");
    assert_eq!(answer["status"], "REQUEST_STATUS_ATTRIBUTED", "{answer}");
    eprintln!("SmolLM2's committed answer: {answer:#}");
    assert!(
        !answer["output"].as_str().unwrap_or("").trim().is_empty(),
        "{answer}"
    );
    let top = answer["top_records"].as_array().expect("top records");
    assert!(!top.is_empty(), "{answer}");
    for r in top {
        let id = num(&r["record_id"]);
        assert!(
            (1..=6).contains(&id),
            "record {id} is not of the version: {answer}"
        );
        let who = r["contributor"].as_str().unwrap_or("");
        assert!(
            who == published.alice || who == published.carol,
            "{who} contributed no record: {answer}"
        );
    }
    node.stop_cleanly();
}
