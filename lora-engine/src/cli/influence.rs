//! `influence`: the training records behind an output, or every record's self-influence.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use openledger_lora::data::output_example;
use openledger_lora::generate::{Sampling, generate};
use openledger_lora::influence::{self, Attribution, INDEX_FILE, InfluenceIndex, Method};

use super::{ModelArgs, load_adapter, load_base};

#[derive(Args)]
pub struct InfluenceArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    adapter: PathBuf,
    #[arg(long, default_value_t = 10)]
    top_k: usize,
    #[arg(long, value_enum, default_value = "datainf")]
    method: Method,
    /// `json` for machine-readable output.
    #[arg(long)]
    output: Option<String>,
    #[arg(long = "self")]
    self_influence: bool,
    /// Raw inner products instead of unit-normalised record gradients (cosine scores,
    /// TrackStar-style, the default for queries).
    #[arg(long)]
    raw: bool,
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
    prompt: Option<String>,
}

/// Generates an answer and names the records behind it (or, with `--self`, ranks every record by
/// self-influence).
pub fn influence(a: InfluenceArgs) -> Result<()> {
    let json = match a.output.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => bail!("unknown --output `{other}` (json or text)"),
    };
    let base = load_base(&a.model)?;
    let adapter = load_adapter(&base, &a.adapter)?;
    let index = InfluenceIndex::load(&a.adapter.join(INDEX_FILE)).with_context(|| {
        format!(
            "no usable influence index; build it with `openledger-lora index --adapter {} --data FILE`",
            a.adapter.display()
        )
    })?;
    if a.self_influence {
        let raw = index.self_scores(a.method);
        let att = influence::top_k(&index.meta.record_ids, &raw, raw.len());
        if json {
            let v = serde_json::json!({"scores": att.scores, "positive_sum": att.positive_sum});
            println!("{}", serde_json::to_string(&v)?);
        } else {
            for s in &att.scores {
                println!("{}\t{}", s.record_id, s.score);
            }
        }
        return Ok(());
    }
    let Some(prompt) = a.prompt else {
        bail!("give a prompt, or --self for self-influence");
    };
    let g = generate(
        &base,
        &prompt,
        a.max_tokens,
        &Sampling::default(),
        Some(&adapter.batch()),
    )?;
    let ex = output_example(&base.tokenizer, &prompt, &g.text, base.config.max_seq_len)?;
    let proj = influence::projector_for(&index, &adapter, &base)?;
    let q = proj.gradient(&base, &adapter, &ex)?;
    let raw = index.score(&q, a.method, !a.raw)?;
    let att = influence::top_k(&index.meta.record_ids, &raw, a.top_k);
    if json {
        let v = serde_json::json!({"output": g.text, "scores": att.scores, "positive_sum": att.positive_sum});
        println!("{}", serde_json::to_string(&v)?);
    } else {
        print_attribution(&g.text, a.method, &att);
    }
    Ok(())
}

fn print_attribution(output: &str, method: Method, att: &Attribution) {
    println!("{output}\n");
    println!("top {} records ({method:?}):", att.scores.len());
    for s in &att.scores {
        println!("  {}\t{}", s.record_id, s.score);
    }
    println!("positive_sum {}", att.positive_sum);
}
