//! `bench`, `attribution` and `demo-data`: measurements and the experiment behind BENCHMARKS.md.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use indicatif::ProgressBar;
use openledger_lora::bench::{self, Figure};
use openledger_lora::experiment;
use openledger_lora::influence::Method;
use openledger_lora::train::TrainConfig;

use super::{ModelArgs, load_base};

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Comma-separated: gen,train,serve,load,influence (default: all).
    #[arg(long, default_value = "gen,train,serve,load,influence")]
    only: String,
    #[arg(long, default_value_t = 32)]
    tokens: usize,
    /// Largest index size for the influence query timing.
    #[arg(long, default_value_t = 100_000)]
    max_records: usize,
    /// Records of the Datanet version in the `attribution` figure (one paid request as a
    /// validator runs it; not in the default set: its index costs ~1 s per record on SmolLM2).
    #[arg(long, default_value_t = 1_000)]
    attribution_records: usize,
}

#[derive(Args)]
pub struct SpeedArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Tokens generated for the decode figure.
    #[arg(long, default_value_t = 64)]
    tokens: usize,
    /// Length of the prefill prompt.
    #[arg(long, default_value_t = 256)]
    prefill: usize,
    /// Prompts whose greedy completions are printed (chat template applied).
    #[arg(long = "prompt")]
    prompts: Vec<String>,
}

/// Batch-1 decode and prefill speed, memory, and greedy completions, as one JSON object with
/// the token ids used (so another engine can be run on the very same ids).
pub fn speed(a: SpeedArgs) -> Result<()> {
    let file_bytes = a
        .model
        .model
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    let base = load_base(&a.model)?;
    let rss_loaded = bench::rss_bytes();
    let long = bench::long_prompt(&base, a.prefill)?;
    // Warm-up (first-touch allocations, thread pool start).
    bench::decode_speed(&base, &long[..16.min(long.len())], 2)?;
    let prefill = bench::decode_speed(&base, &long, 1)?;
    let chat = base
        .tokenizer
        .encode(&base.tokenizer.instruction_prompt("Tell me about Paris."))?;
    let decode = bench::decode_speed(&base, &chat, a.tokens)?;
    let mut completions = Vec::new();
    for p in &a.prompts {
        let ids = base
            .tokenizer
            .encode(&base.tokenizer.instruction_prompt(p))?;
        let g = openledger_lora::generate::generate(&base, p, 32, &Default::default(), None)?;
        completions.push(serde_json::json!({"prompt": p, "ids": ids, "text": g.text}));
    }
    let v = serde_json::json!({
        "threads": rayon::current_num_threads(),
        "f32_weights": a.model.f32_weights,
        "file_bytes": file_bytes,
        "rss_loaded_bytes": rss_loaded,
        "rss_end_bytes": bench::rss_bytes(),
        "prefill": {"ids": long, "tokens_per_s": prefill.prefill_tokens_per_s},
        "decode": {
            "prompt_ids": chat,
            "tokens": decode.decode_tokens,
            "tokens_per_s": decode.decode_tokens_per_s,
            "generated": decode.generated,
        },
        "completions": completions,
    });
    println!("{}", serde_json::to_string(&v)?);
    Ok(())
}

/// Prints one line per measured figure.
pub fn bench(a: BenchArgs) -> Result<()> {
    let want = |k: &str| a.only.split(',').any(|p| p.trim() == k);
    let needs_model = ["gen", "train", "serve", "load", "attribution"]
        .iter()
        .any(|k| want(k));
    let base = if needs_model {
        Some(load_base(&a.model)?)
    } else {
        None
    };
    let show = |f: Figure| println!("{:<48} {:>12.3} {}", f.name, f.value, f.unit);
    if let Some(base) = &base {
        if want("gen") {
            for b in [1, 8] {
                let tps = bench::generation(base, b, a.tokens, None)?;
                show(bench::figure(
                    format!("generate tokens/s, batch {b}"),
                    tps,
                    "tokens/s",
                ));
            }
        }
        if want("train") {
            let rps = bench::training(base, 16, 8)?;
            show(bench::figure(
                "train records/s (batch 8, rank 8, q+v)",
                rps,
                "records/s",
            ));
        }
        if want("load") {
            let (ms, bytes) = bench::adapter_load(base)?;
            show(bench::figure("adapter load time (rank 8, q+v)", ms, "ms"));
            show(bench::figure(
                "adapter bytes (rank 8, q+v, f32)",
                bytes as f64,
                "bytes",
            ));
        }
        if want("attribution") {
            let n = a.attribution_records;
            let dir = tempfile_dir()?;
            let t = bench::attribution_request(base, n, a.tokens, &dir)?;
            let _ = std::fs::remove_dir_all(&dir);
            show(bench::figure(
                format!("attribution index build, {n} records (once per version)"),
                t.index_s,
                "s",
            ));
            for (when, ms, st, load) in [
                ("index in memory", t.request_ms, t.stages, "adapter loaded"),
                (
                    "after a restart, index from disk",
                    t.restart_request_ms,
                    t.restart_stages,
                    "adapter loaded, index read from disk",
                ),
            ] {
                show(bench::figure(
                    format!(
                        "attribution request, {n} records, {} tokens ({when})",
                        a.tokens
                    ),
                    ms,
                    "ms",
                ));
                for (stage, ms) in [
                    (load, st.load_ms),
                    ("greedy output generated", st.generate_ms),
                    ("output gradient (LoRA, projected)", st.gradient_ms),
                    ("records scored, top-k", st.score_ms),
                ] {
                    show(bench::figure(format!("  of which {stage}"), ms, "ms"));
                }
            }
        }
        if want("serve") {
            let adapters: Vec<_> = (0..1000)
                .map(|i| bench::random_adapter(base, 8, i as u64))
                .collect();
            let one = bench::served(base, &adapters[..1], 8, a.tokens, 1)?;
            show(bench::figure(
                "served tokens/s, batch 8, 1 adapter",
                one,
                "tokens/s",
            ));
            for n in [10, 100, 1000] {
                let tps = bench::served(base, &adapters[..n], 8, a.tokens, n as u64)?;
                show(bench::figure(
                    format!("served tokens/s, batch 8, {n} adapters (relative)"),
                    100.0 * tps / one,
                    "%",
                ));
            }
        }
    }
    if want("influence") {
        for n in [1_000usize, 10_000, 100_000] {
            if n > a.max_records {
                break;
            }
            for m in [Method::Tracin, Method::Datainf] {
                let ms = bench::influence_query(n, 4096, 64, m)?;
                show(bench::figure(
                    format!("influence query, {n} records x 4096 dims, {m:?}"),
                    ms,
                    "ms",
                ));
            }
        }
    }
    Ok(())
}

/// A fresh directory for a figure's files under the system's temporary directory.
fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("openledger-lora-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[derive(Args)]
pub struct AttributionArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long, default_value_t = 64)]
    records: usize,
    #[arg(long, default_value_t = 0.1)]
    planted: f64,
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    #[arg(long, default_value_t = 8)]
    rank: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 16)]
    queries: usize,
    /// Save the adapter and index here; reuse them when present.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The planted-bad-records experiment; prints its report as JSON.
pub fn attribution(a: AttributionArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let cfg = TrainConfig {
        rank: a.rank,
        alpha: 2.0 * a.rank as f64,
        epochs: a.epochs,
        lr: a.lr,
        seed: a.seed,
        ..TrainConfig::default()
    };
    let pb = ProgressBar::new_spinner();
    let r = experiment::run(
        &base,
        a.records,
        a.planted,
        &cfg,
        a.queries,
        a.out.as_deref(),
        &mut |m: &str| pb.set_message(m.to_string()),
    )?;
    pb.finish_and_clear();
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}

#[derive(Args)]
pub struct DemoDataArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 64)]
    records: usize,
    #[arg(long, default_value_t = 0.0)]
    planted: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Writes the demo Datanet (capital cities), optionally with planted wrong answers.
pub fn demo_data(a: DemoDataArgs) -> Result<()> {
    let (recs, _) = experiment::planted_datanet(a.records, a.planted, a.seed);
    std::fs::write(&a.out, experiment::to_jsonl(&recs))?;
    eprintln!("{} records written to {}", recs.len(), a.out.display());
    Ok(())
}
