//! `info`, `merge` and `tiny-model`: inspecting and writing base models.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use openledger_lora::BaseModel;
use openledger_lora::backend::{Backend, device};
use openledger_lora::gguf::{GgmlType, GgufFile};
use openledger_lora::tokenizer::{Tokenizer, TokenizerSpec};

use super::{ModelArgs, load_adapter, load_base};

#[derive(Args)]
pub struct InfoArgs {
    file: PathBuf,
}

/// Architecture, sizes, tensor types and tokenizer of a GGUF file.
pub fn info(a: InfoArgs) -> Result<()> {
    let file = &a.file;
    let f = GgufFile::open(file)?;
    println!("file: {}", file.display());
    println!("GGUF version: {}", f.version);
    let mut kinds = BTreeMap::<String, (usize, u64)>::new();
    for t in &f.tensors {
        let e = kinds.entry(t.kind.name()).or_default();
        e.0 += 1;
        e.1 += t.n_elements();
    }
    let total: u64 = f.tensors.iter().map(|t| t.n_elements()).sum();
    println!("tensors: {} ({} parameters)", f.tensors.len(), total);
    for (k, (n, p)) in kinds {
        println!("  {k}: {n} tensors, {p} parameters");
    }
    println!("metadata:");
    for (k, v) in f.metadata_summary() {
        println!("  {k} = {v}");
    }
    match TokenizerSpec::from_gguf(&f).and_then(Tokenizer::new) {
        Ok(t) => println!(
            "tokenizer: byte-level BPE, {} tokens, {} merges, eos {}, chat template: {}",
            t.vocab_size(),
            t.spec.merges.len(),
            t.spec.eos,
            if t.chatml { "ChatML" } else { "none" }
        ),
        Err(e) => println!("tokenizer: {e}"),
    }
    Ok(())
}

#[derive(Args)]
pub struct MergeArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    adapter: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// f32, f16 or q8_0.
    #[arg(long, default_value = "f16")]
    dtype: String,
}

/// Folds an adapter into the base weights and writes GGUF or a safetensors directory.
pub fn merge(a: MergeArgs) -> Result<()> {
    let mut base = load_base(&a.model)?;
    let adapter = load_adapter(&base, &a.adapter)?;
    let kind = match a.dtype.as_str() {
        "f32" => GgmlType::F32,
        "f16" => GgmlType::F16,
        "q8_0" => GgmlType::Q8_0,
        other => bail!("unknown --dtype `{other}` (f32, f16, q8_0)"),
    };
    adapter.merge_into(&mut base.model);
    if a.out.extension().is_some_and(|e| e == "gguf") {
        base.save_gguf(&a.out, kind)?;
    } else {
        base.save_safetensors(&a.out)?;
    }
    eprintln!("merged model written to {}", a.out.display());
    Ok(())
}

#[derive(Args)]
pub struct TinyModelArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Writes the tiny random model of the same architecture (what the tests use) as GGUF.
pub fn tiny_model(a: TinyModelArgs) -> Result<()> {
    BaseModel::tiny(a.seed, &device(Backend::Cpu)?).save_gguf(&a.out, GgmlType::F32)?;
    eprintln!("tiny model written to {}", a.out.display());
    Ok(())
}
