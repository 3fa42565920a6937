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
