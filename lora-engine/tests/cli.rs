//! The `openledger-lora` command line end to end on the tiny model written as a GGUF file:
//! info, generate, train, index, influence (JSON shape), --self, merge, and clear errors.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

use burn::prelude::Device;
use openledger_lora::BaseModel;
use openledger_lora::gguf::GgmlType;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_openledger-lora"))
        .args(args)
        .env_remove("OPENLEDGER_LORA_MODEL")
        .output()
        .expect("the binary runs")
}

fn ok(args: &[&str]) -> String {
    let o = cli(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn err(args: &[&str]) -> String {
    let o = cli(args);
    assert_eq!(o.status.code(), Some(1), "{args:?} should fail cleanly");
    String::from_utf8(o.stderr).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn train_index_influence_and_merge_on_the_tiny_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    BaseModel::tiny(3, &Device::flex())
        .save_gguf(&model, GgmlType::F32)
        .unwrap();
    let info = ok(&["info", s(&model)]);
    assert!(
        info.contains("llama.block_count = 2") && info.contains("chat template: ChatML"),
        "{info}"
    );
    ok(&[
        "generate",
        "--model",
        s(&model),
        "--max-tokens",
        "4",
        "the cat",
    ]);

    let data = dir.path().join("d.jsonl");
    let lines: String = (0..8)
        .map(|i| {
            format!(
                "{{\"id\":\"rec-{i}\",\"instruction\":\"the {i}\",\"response\":\"an {}\"}}\n",
                i % 3
            )
        })
        .collect();
    std::fs::write(&data, lines).unwrap();
    let out = dir.path().join("adapter");
    ok(&[
        "train",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--out",
        s(&out),
        "--rank",
        "2",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--targets",
        "q,k,v,o,gate,up,down",
        "--index-dims",
        "256",
    ]);
    for f in [
        "adapter.safetensors",
        "adapter_config.json",
        "influence_index.safetensors",
        "loss.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    ok(&[
        "index",
        "--model",
        s(&model),
        "--adapter",
        s(&out),
        "--data",
        s(&data),
        "--index-dims",
        "256",
    ]);
    let j: serde_json::Value = serde_json::from_str(&ok(&[
        "influence",
        "--model",
        s(&model),
        "--adapter",
        s(&out),
        "--top-k",
        "3",
        "--output",
        "json",
        "--max-tokens",
        "4",
        "the 1",
    ]))
    .unwrap();
    assert!(j["output"].is_string());
    let scores = j["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 3);
    assert!(scores[0]["record_id"].as_str().unwrap().starts_with("rec-"));
    assert!(scores.iter().all(|x| x["score"].is_i64()));
    let pos: i64 = scores
        .iter()
        .map(|x| x["score"].as_i64().unwrap().max(0))
        .sum();
    assert_eq!(j["positive_sum"].as_i64().unwrap(), pos);
    let selfs: serde_json::Value = serde_json::from_str(&ok(&[
        "influence",
        "--self",
        "--model",
        s(&model),
        "--adapter",
        s(&out),
        "--output",
        "json",
        "--method",
        "tracin",
    ]))
    .unwrap();
    assert_eq!(selfs["scores"].as_array().unwrap().len(), 8);
    let merged = dir.path().join("merged.gguf");
    ok(&[
        "merge",
        "--model",
        s(&model),
        "--adapter",
        s(&out),
        "--out",
        s(&merged),
        "--dtype",
        "f32",
    ]);
    assert!(ok(&["info", s(&merged)]).contains("tensors: "));

    // Bad input: clear errors naming the file or line, exit code 1, no panic.
    let e = err(&["info", "/nonexistent/x.gguf"]);
    assert!(e.contains("/nonexistent/x.gguf"), "{e}");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\":\"ok\"}\n{broken\n").unwrap();
    let e = err(&[
        "train",
        "--model",
        s(&model),
        "--data",
        s(&bad),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("bad.jsonl: line 2: malformed JSON"), "{e}");
    let trunc = dir.path().join("trunc.gguf");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&trunc, &bytes[..bytes.len() / 3]).unwrap();
    let e = err(&["generate", "--model", s(&trunc), "x"]);
    assert!(e.contains("trunc.gguf") && e.contains("truncated"), "{e}");
    let long = "the ".repeat(400);
    let e = err(&["generate", "--model", s(&model), &long]);
    assert!(e.contains("context length"), "{e}");
    let e = err(&[
        "influence",
        "--model",
        s(&model),
        "--adapter",
        s(&dir.path().join("none")),
        "x",
    ]);
    assert!(e.contains("adapter_config.json"), "{e}");
    let e = err(&[
        "train",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--out",
        s(&out),
        "--targets",
        "q,zz",
    ]);
    assert!(e.contains("unknown LoRA target `zz`"), "{e}");
}
