//! The subcommands of `openledger-lora`, one function each, and what they share: choosing the
//! base model and backend, loading adapters, progress bars.

pub mod bench;
pub mod generate;
pub mod influence;
pub mod model;
pub mod serve;
pub mod train;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use openledger_lora::backend::{Backend, device};
use openledger_lora::generate::Sampling;
use openledger_lora::lora::LoraAdapter;
use openledger_lora::{BaseModel, WeightFormat, models};

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Base model (.gguf, or a Hugging Face safetensors directory). Defaults to the installed SmolLM2-135M-Instruct.
    #[arg(long, env = "OPENLEDGER_LORA_MODEL")]
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: Backend,
    /// Dequantise every weight to f32 at load (the reference path) instead of keeping the
    /// GGUF blocks.
    #[arg(long)]
    pub f32_weights: bool,
}

#[derive(Args, Clone)]
pub struct SampleArgs {
    #[arg(long, default_value_t = 128)]
    pub max_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    #[arg(long, default_value_t = 0.9)]
    pub top_p: f32,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl SampleArgs {
    pub fn sampling(&self) -> Sampling {
        Sampling {
            temperature: self.temperature,
            top_p: self.top_p,
            seed: self.seed,
        }
    }
}

pub fn load_base(m: &ModelArgs) -> Result<BaseModel> {
    let path = match &m.model {
        Some(p) => p.clone(),
        None => models::default_model_path().context(
            "no --model given and SmolLM2 is not installed: run lora-engine/setup.sh (or set OPENLEDGER_LORA_MODEL)",
        )?,
    };
    let dev = device(m.backend)?;
    let format = if m.f32_weights {
        WeightFormat::F32
    } else {
        WeightFormat::AsStored
    };
    Ok(BaseModel::load_with(&path, &dev, format)?)
}

pub fn load_adapter(base: &BaseModel, dir: &Path) -> Result<LoraAdapter> {
    let a = LoraAdapter::load(dir, &base.device)?;
    a.check_base(&base.fingerprint, dir)?;
    Ok(a)
}

pub fn bar(total: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb
}
