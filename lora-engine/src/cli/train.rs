//! `train` and `index`: ModelFactory fine-tuning and the influence index of its records.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use openledger_lora::BaseModel;
use openledger_lora::data::{load_jsonl, tokenize};
use openledger_lora::influence::{self, INDEX_FILE, InfluenceIndex};
use openledger_lora::lora::{LoraAdapter, parse_targets};
use openledger_lora::train::{TrainConfig, train as train_adapter};

use super::{ModelArgs, bar, load_adapter, load_base};

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    data: PathBuf,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 8)]
    rank: usize,
    #[arg(long, default_value_t = 16.0)]
    alpha: f64,
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    /// Comma-separated projections: q,k,v,o,gate,up,down.
    #[arg(long, default_value = "q,v")]
    targets: String,
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fraction of records held out for the eval loss.
    #[arg(long, default_value_t = 0.1)]
    eval_fraction: f64,
    #[arg(long, default_value_t = 256)]
    max_len: usize,
    /// Skip building the influence index.
    #[arg(long)]
    no_index: bool,
    /// Dimensions of the projected gradients in the influence index.
    #[arg(long, default_value_t = 4096)]
    index_dims: usize,
}

/// Trains an adapter; writes it, its config, its loss curve, its report and its index.
pub fn train(a: TrainArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let records = load_jsonl(&a.data)?;
    let cfg = TrainConfig {
        rank: a.rank,
        alpha: a.alpha,
        dropout: a.dropout,
        targets: parse_targets(&a.targets)?,
        epochs: a.epochs,
        lr: a.lr,
        batch_size: a.batch_size,
        seed: a.seed,
        eval_fraction: a.eval_fraction,
        max_len: a.max_len,
        ..TrainConfig::default()
    };
    let pb = bar(0, "train {bar:30} step {pos}/{len} loss {msg} eta {eta}");
    let (mut adapter, report) = train_adapter(
        &base,
        &records,
        &a.data,
        &cfg,
        &mut |step, total, loss, rps| {
            pb.set_length(total as u64);
            pb.set_position(step as u64);
            pb.set_message(format!("{loss:.4} ({rps:.2} records/s)"));
        },
    )?;
    pb.finish_and_clear();
    let out = &a.out;
    adapter.save(out)?;
    openledger_lora::plot::loss_curve(
        &out.join("loss.png"),
        &report.train_loss,
        &report.eval_loss,
    )?;
    std::fs::write(
        out.join("train_report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    eprintln!(
        "trained {} steps in {:.1}s ({:.2} records/s); final loss {:.4}{}",
        report.steps,
        report.seconds,
        report.records_per_s,
        report.train_loss.last().map_or(f64::NAN, |x| x.1),
        report
            .eval_loss
            .last()
            .map_or(String::new(), |x| format!(", eval loss {:.4}", x.1)),
    );
    eprintln!("adapter written to {}", out.display());
    if !a.no_index {
        build_index(
            &base,
            &adapter,
            out,
            &a.data,
            a.max_len,
            a.index_dims,
            a.seed,
        )?;
    }
    Ok(())
}

#[derive(Args)]
pub struct IndexArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    adapter: PathBuf,
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value_t = 256)]
    max_len: usize,
    #[arg(long, default_value_t = 4096)]
    index_dims: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// (Re)builds the influence index of an adapter over its training records.
pub fn index(a: IndexArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let adapter = load_adapter(&base, &a.adapter)?;
    build_index(
        &base,
        &adapter,
        &a.adapter,
        &a.data,
        a.max_len,
        a.index_dims,
        a.seed,
    )?;
    Ok(())
}

fn build_index(
    base: &BaseModel,
    adapter: &LoraAdapter,
    adapter_dir: &Path,
    data: &Path,
    max_len: usize,
    dims: usize,
    seed: u64,
) -> Result<InfluenceIndex> {
    let records = load_jsonl(data)?;
    let examples = records
        .iter()
        .map(|r| tokenize(&base.tokenizer, r, max_len, data))
        .collect::<openledger_lora::Result<Vec<_>>>()?;
    let ids = records.iter().map(|r| r.id.clone()).collect();
    let pb = bar(
        examples.len() as u64,
        "index {bar:30} {pos}/{len} records {per_sec} eta {eta}",
    );
    let idx = influence::build_index(base, adapter, ids, &examples, seed, dims, &mut |d, _| {
        pb.set_position(d as u64)
    })?;
    pb.finish_and_clear();
    let path = adapter_dir.join(INDEX_FILE);
    idx.save(&path)?;
    eprintln!(
        "influence index: {} records x {} dims -> {}",
        idx.len(),
        idx.dims,
        path.display()
    );
    Ok(idx)
}
