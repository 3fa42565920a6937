//! The engine side of Proof of Attribution on the tiny model: an adapter trained on a Datanet's
//! records, given as the chain stores it (safetensors bytes, rank, alpha, targets), answers a
//! prompt and names training records; the influence index is cached on disk and reused; the
//! result is the same integers every time.

use burn::prelude::*;
use openledger_lora::BaseModel;
use openledger_lora::attribution::{
    AdapterSpec, AttributionJob, Attributor, DEFAULT_INDEX_MEMORY, IndexCache, sha256_hex,
};
use openledger_lora::data::{Content, Record};
use openledger_lora::lora::Target;
use openledger_lora::train::{TrainConfig, train};

#[test]
fn a_trained_adapter_attributes_its_output_to_its_records_with_a_cached_index() {
    let base = BaseModel::tiny(11, &Device::flex());
    let records: Vec<(u64, String)> = (1..=8u64)
        .map(|i| {
            let response = if i % 2 == 0 { "even an" } else { "odd in" };
            (
                i,
                format!(r#"{{"instruction":"number {i}","response":"{response}"}}"#),
            )
        })
        // A record that is no training example (wrong shape) is left out, not an error.
        .chain(std::iter::once((9, r#"{"label":"spam"}"#.to_string())))
        .collect();
    let train_records: Vec<Record> = records[..8]
        .iter()
        .enumerate()
        .map(|(line, (id, c))| {
            let v: serde_json::Value = serde_json::from_str(c).expect("json");
            Record {
                id: id.to_string(),
                line,
                content: Content::Chat {
                    instruction: v["instruction"].as_str().expect("s").into(),
                    response: v["response"].as_str().expect("s").into(),
                },
            }
        })
        .collect();
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 4,
        rank: 4,
        targets: vec![Target::Q, Target::V],
        max_len: 128,
        ..Default::default()
    };
    let (mut adapter, _) = train(
        &base,
        &train_records,
        std::path::Path::new("<test>"),
        &cfg,
        &mut |_, _, _, _| {},
    )
    .expect("train");
    let dir = tempfile::tempdir().expect("tmp");
    adapter.save(&dir.path().join("adapter")).expect("save");
    let weights = std::fs::read(dir.path().join("adapter/adapter.safetensors")).expect("weights");
    let job = AttributionJob {
        adapter: AdapterSpec {
            id: 3,
            rank: 4,
            alpha: adapter.config.alpha,
            targets: vec![Target::Q, Target::V],
            weights_sha256: sha256_hex(&weights),
            weights,
        },
        version_root: vec![7; 32],
        records,
        prompt: "number 4".into(),
        max_tokens: 6,
        top_k: 3,
    };
    let cache = IndexCache::new(dir.path().join("cache"), DEFAULT_INDEX_MEMORY);
    let attributor = Attributor::new(&base, &cache);
    let first = attributor.attribute(&job).expect("attribute");
    assert_eq!(first.top.len(), 3);
    assert!(
        first.top.iter().all(|(id, _)| (1..=8).contains(id)),
        "{first:?}"
    );
    // Scores are fixed point relative to the largest absolute score, highest first.
    assert!(first.top.windows(2).all(|w| w[0].1 >= w[1].1), "{first:?}");
    assert!(first.top[0].1.abs() <= 1_000_000);
    assert!(first.positive_sum >= first.top.iter().map(|s| s.1.max(0)).sum::<i64>());
    let index = attributor.index_path(&job);
    assert!(
        index.is_file(),
        "the index is cached at {}",
        index.display()
    );
    let built = std::fs::metadata(&index)
        .expect("meta")
        .modified()
        .expect("mtime");

    assert_eq!(cache.in_memory(), 1, "the built index stays in memory");
    // The same engine again: the index from memory, the same integers.
    assert_eq!(attributor.attribute(&job).expect("again"), first);
    // A restart (an empty memory) reuses the index on disk and gives the same integers.
    let restarted = IndexCache::new(dir.path().join("cache"), DEFAULT_INDEX_MEMORY);
    let again = Attributor::new(&base, &restarted)
        .attribute(&job)
        .expect("again");
    assert_eq!(again, first);
    // An engine with no memory to spare keeps its indexes only on disk.
    let tight = IndexCache::new(dir.path().join("cache"), 1024);
    assert_eq!(
        Attributor::new(&base, &tight)
            .attribute(&job)
            .expect("tight"),
        first
    );
    assert_eq!(tight.in_memory(), 0);
    assert_eq!(
        std::fs::metadata(&index)
            .expect("meta")
            .modified()
            .expect("mtime"),
        built
    );

    // Weights that do not match their hash are refused.
    let mut bad = job.clone();
    bad.adapter.weights[100] ^= 1;
    assert!(attributor.attribute(&bad).is_err());
}
