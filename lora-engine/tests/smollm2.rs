//! Smoke test on the real SmolLM2-135M-Instruct (installed by `lora-engine/setup.sh`).
//! Skipped when the model is missing, except under `CI=true`, where a missing model fails.

use burn::prelude::Device;
use openledger_lora::BaseModel;
use openledger_lora::generate::{Sampling, generate};

#[test]
fn smollm2_names_the_capital_of_france() {
    let Some(path) = openledger_lora::models::default_model_path() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "SmolLM2 is not installed (looked in {:?}); run lora-engine/setup.sh",
                openledger_lora::models::candidates()
            );
        }
        eprintln!("SmolLM2 not installed; skipping (run lora-engine/setup.sh)");
        return;
    };
    let base = BaseModel::load(&path, &Device::flex()).unwrap();
    assert_eq!(base.config.num_layers, 30);
    assert_eq!(base.config.rope_theta, 100000.0);
    let g = generate(
        &base,
        "Name the capital of France.",
        16,
        &Sampling::default(),
        None,
    )
    .unwrap();
    assert!(g.text.contains("Paris"), "{:?}", g.text);
    let g = generate(
        &base,
        "Name the capital of Germany.",
        16,
        &Sampling::default(),
        None,
    )
    .unwrap();
    assert!(g.text.contains("Berlin"), "{:?}", g.text);
}

#[test]
fn smollm2_quantized_kernels_match_the_f32_path() {
    use openledger_lora::WeightFormat;
    let Some(path) = openledger_lora::models::default_model_path() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("SmolLM2 is not installed; run lora-engine/setup.sh");
        }
        eprintln!("SmolLM2 not installed; skipping (run lora-engine/setup.sh)");
        return;
    };
    let dev = Device::flex();
    let blocks = BaseModel::load_with(&path, &dev, WeightFormat::AsStored).unwrap();
    let dense = BaseModel::load_with(&path, &dev, WeightFormat::F32).unwrap();
    let text = blocks
        .tokenizer
        .instruction_prompt("Name the capital of France.")
        + "The capital";
    let ids = blocks.tokenizer.encode(&text).unwrap();
    let a = openledger_lora::generate::last_logits(&blocks, &ids).unwrap();
    let b = openledger_lora::generate::last_logits(&dense, &ids).unwrap();
    let top = b.iter().fold(0f32, |m, x| m.max(x.abs()));
    let d = a
        .iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(d <= 1e-3 * top, "logits differ by {d} (largest {top})");
    for p in [
        "Name the capital of France.",
        "Name the capital of Germany.",
    ] {
        let ga = generate(&blocks, p, 16, &Sampling::default(), None).unwrap();
        let gb = generate(&dense, p, 16, &Sampling::default(), None).unwrap();
        assert_eq!(ga.text, gb.text);
    }
}
