//! Speed measurements behind `openledger-lora bench`.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::base::BaseModel;
use crate::error::Result;
use crate::experiment::planted_datanet;
use crate::generate::{Sampling, generate_tokens};
use crate::influence::{InfluenceIndex, Method, Projector};
use crate::lora::{LoraAdapter, LoraBatch, LoraConfig, Target};
use crate::train::{TrainConfig, train};

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

pub fn fig(name: impl Into<String>, value: f64, unit: &str) -> Figure {
    Figure {
        name: name.into(),
        value,
        unit: unit.into(),
    }
}

fn prompts(base: &BaseModel, n: usize) -> Result<Vec<Vec<u32>>> {
    (0..n)
        .map(|i| {
            let (c, _) = crate::experiment::CAPITALS[i % crate::experiment::CAPITALS.len()];
            base.tokenizer.encode(
                &base
                    .tokenizer
                    .instruction_prompt(&format!("Tell me about {c}.")),
            )
        })
        .collect()
}

/// Decode tokens/s with a batch of `batch` prompts (prefill excluded from the count, included in
/// the time), generating exactly `tokens` per row.
pub fn generation(
    base: &BaseModel,
    batch: usize,
    tokens: usize,
    lora: Option<&LoraBatch>,
) -> Result<f64> {
    let ps = prompts(base, batch)?;
    // No stop: count the tokens actually produced.
    let t = Instant::now();
    let out = generate_tokens(base, &ps, tokens, &Sampling::default(), lora, |_, _| {})?;
    let n: usize = out.iter().map(Vec::len).sum();
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// A rank-`r` adapter on q and v with random non-zero weights.
pub fn random_adapter(base: &BaseModel, rank: usize, seed: u64) -> LoraAdapter {
    let cfg = LoraConfig {
        rank,
        alpha: 2.0 * rank as f64,
        dropout: 0.0,
        targets: vec![Target::Q, Target::V],
        base: base.fingerprint.clone(),
        adapter_sha256: String::new(),
        training: serde_json::Value::Null,
    };
    let mut a = LoraAdapter::init(cfg, &base.config, seed, &base.device);
    for row in a.layers.iter_mut() {
        for m in row.iter_mut() {
            m.b = burn::module::Param::from_tensor(m.b.val().ones_like() * 1e-3);
        }
    }
    a
}

/// Served tokens/s at batch 8 when the requests' adapters are drawn from `n` cached adapters,
/// through the same per-row path the server uses.
pub fn served(
    base: &BaseModel,
    adapters: &[LoraAdapter],
    batch: usize,
    tokens: usize,
    seed: u64,
) -> Result<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rows: Vec<Option<&LoraAdapter>> = (0..batch)
        .map(|_| Some(&adapters[rng.gen_range(0..adapters.len())]))
        .collect();
    let t = Instant::now();
    let lora = LoraBatch::per_row(&rows, &base.config, &base.device);
    let ps = prompts(base, batch)?;
    let out = generate_tokens(
        base,
        &ps,
        tokens,
        &Sampling::default(),
        Some(&lora),
        |_, _| {},
    )?;
    let n: usize = out.iter().map(Vec::len).sum();
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// Training records/s on the capital records.
pub fn training(base: &BaseModel, records: usize, batch: usize) -> Result<f64> {
    let (recs, _) = planted_datanet(records, 0.0, 1);
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: batch,
        ..TrainConfig::default()
    };
    let (_, r) = train(
        base,
        &recs,
        std::path::Path::new("<bench>"),
        &cfg,
        &mut |_, _, _, _| {},
    )?;
    Ok(r.records_per_s)
}

/// (load ms, bytes on disk) of a rank-8 q,v adapter.
pub fn adapter_load(base: &BaseModel) -> Result<(f64, u64)> {
    let dir = std::env::temp_dir().join(format!("ol-lora-bench-{}", std::process::id()));
    let mut a = random_adapter(base, 8, 3);
    a.save(&dir)?;
    let bytes = std::fs::metadata(dir.join(crate::lora::ADAPTER_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    let n = 5;
    let t = Instant::now();
    for _ in 0..n {
        let b = LoraAdapter::load(&dir, &base.device)?;
        b.check_base(&base.fingerprint, &dir)?;
    }
    let ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    let _ = std::fs::remove_dir_all(&dir);
    Ok((ms, bytes))
}

/// Query time (ms) against a synthetic index of `n` records of `dims` values.
pub fn influence_query(n: usize, dims: usize, blocks: usize, method: Method) -> Result<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let d = dims / blocks;
    let rows: Vec<Vec<f32>> = (0..n.min(2000))
        .map(|_| {
            (0..d * blocks)
                .map(|_| rng.gen_range(-1.0f32..1.0))
                .collect()
        })
        .collect();
    let proj = Projector::synthetic(vec![d; blocks]);
    let mut index = InfluenceIndex::build(
        (0..rows.len()).map(|i| i.to_string()).collect(),
        &proj,
        rows,
        String::new(),
    );
    // Grow to n rows by repeating (scoring cost does not depend on the values).
    let base_rows = index.grads.clone();
    while index.grads.len() < n * index.dims {
        let take = (n * index.dims - index.grads.len()).min(base_rows.len());
        index.grads.extend_from_slice(&base_rows[..take]);
    }
    index.meta.record_ids = (0..n).map(|i| i.to_string()).collect();
    let q: Vec<f32> = (0..index.dims)
        .map(|_| rng.gen_range(-1.0f32..1.0))
        .collect();
    let reps = 3;
    let t = Instant::now();
    for _ in 0..reps {
        let s = index.scores(&q, method)?;
        let _ = crate::influence::top_k(&index.meta.record_ids, &s, 10);
    }
    Ok(t.elapsed().as_secs_f64() * 1e3 / reps as f64)
}

/// Prefill and decode speed of one prompt at batch 1 (greedy, stop tokens ignored so exactly
/// `tokens` are generated), as llama.cpp's timings count them.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeSpeed {
    pub prompt_tokens: usize,
    pub prefill_tokens_per_s: f64,
    pub decode_tokens: usize,
    pub decode_tokens_per_s: f64,
    pub generated: Vec<u32>,
}

/// Measures [`DecodeSpeed`] for `prompt`.
pub fn decode_speed(base: &BaseModel, prompt: &[u32], tokens: usize) -> Result<DecodeSpeed> {
    use burn::prelude::*;

    use crate::model::{Forward, KvCache};
    if prompt.is_empty() || prompt.len() + tokens > base.config.max_seq_len {
        return Err(crate::Error::ContextOverflow {
            tokens: prompt.len() + tokens,
            context: base.config.max_seq_len,
        });
    }
    let device = &base.device;
    let ids = |v: &[u32]| {
        Tensor::<2, Int>::from_data(
            TensorData::new(
                v.iter().map(|&t| t as i64).collect::<Vec<_>>(),
                [1, v.len()],
            ),
            device,
        )
    };
    let mut cache = KvCache::new(base.config.num_layers, 1);
    let mut step = |input: &[u32]| -> Result<u32> {
        let t = input.len();
        let h = base.model.hidden(
            ids(input),
            &mut Forward {
                cache: Some(&mut cache),
                ..Default::default()
            },
        );
        let logits = crate::lora::tensor_to_vec(base.model.logits(h.narrow(1, t - 1, 1)))?;
        Ok(crate::generate::argmax(&logits))
    };
    let t0 = Instant::now();
    let mut next = step(prompt)?;
    let prefill = t0.elapsed().as_secs_f64();
    let mut generated = vec![next];
    let t1 = Instant::now();
    for _ in 1..tokens {
        next = step(&[next])?;
        generated.push(next);
    }
    let decode = t1.elapsed().as_secs_f64();
    Ok(DecodeSpeed {
        prompt_tokens: prompt.len(),
        prefill_tokens_per_s: prompt.len() as f64 / prefill.max(1e-9),
        decode_tokens: tokens.saturating_sub(1),
        decode_tokens_per_s: tokens.saturating_sub(1) as f64 / decode.max(1e-9),
        generated,
    })
}

/// A deterministic prompt of exactly `n` tokens (the demo questions, repeated).
pub fn long_prompt(base: &BaseModel, n: usize) -> Result<Vec<u32>> {
    let mut text = String::new();
    let mut ids = Vec::new();
    for (c, _) in crate::experiment::CAPITALS.iter().cycle().take(4096) {
        text.push_str(&format!("What is the capital of {c}? "));
        ids = base.tokenizer.encode(&text)?;
        if ids.len() >= n {
            break;
        }
    }
    ids.truncate(n);
    Ok(ids)
}

/// Resident memory of this process, from `/proc/self/status` (Linux).
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub use fig as figure;

/// What one paid request costs a validator's engine (Proof of Attribution), over `n` records.
#[derive(Debug, Clone, Copy)]
pub struct AttributionTiming {
    /// Building the influence index of the (adapter, version), once per version: seconds.
    pub index_s: f64,
    /// One request with the index in memory (every request after a version's first): greedy
    /// output, its gradient, scoring, top-k: ms.
    pub request_ms: f64,
    /// Where that request's time went.
    pub stages: crate::attribution::StageTimes,
    /// The first request after a restart, its index read back from the disk cache: ms.
    pub restart_request_ms: f64,
    /// Where that request's time went.
    pub restart_stages: crate::attribution::StageTimes,
}

/// Runs [`Attributor`](crate::attribution::Attributor) as the node does on `n` short chat
/// records and a random rank-8 q+v adapter, with the index cache in `dir`.
pub fn attribution_request(
    base: &BaseModel,
    n: usize,
    tokens: usize,
    dir: &std::path::Path,
) -> Result<AttributionTiming> {
    use crate::attribution::{
        AdapterSpec, AttributionJob, Attributor, DEFAULT_INDEX_MEMORY, IndexCache, sha256_hex,
    };
    let mut adapter = random_adapter(base, 8, 7);
    let adapter_dir = dir.join("adapter");
    adapter.save(&adapter_dir)?;
    let (weights_path, _) = crate::lora::adapter_paths(&adapter_dir);
    let weights =
        std::fs::read(&weights_path).map_err(|e| crate::error::Error::io(&weights_path, e))?;
    let records = (1..=n as u64)
        .map(|i| {
            (
                i,
                format!(
                    r#"{{"instruction":"Question {i}: what comes after {i}?","response":"{} comes after {i}."}}"#,
                    i + 1
                ),
            )
        })
        .collect();
    let job = AttributionJob {
        adapter: AdapterSpec {
            id: 1,
            rank: 8,
            alpha: 16.0,
            targets: vec![Target::Q, Target::V],
            weights_sha256: sha256_hex(&weights),
            weights,
        },
        version_root: (n as u64).to_be_bytes().to_vec(),
        records,
        prompt: "What comes after 41?".into(),
        max_tokens: tokens,
        top_k: 10,
    };
    let cache = IndexCache::new(dir.to_path_buf(), DEFAULT_INDEX_MEMORY);
    let attributor = Attributor::new(base, &cache);
    let lora = attributor.adapter(&job.adapter)?;
    let t = Instant::now();
    attributor.index(&job, &lora, &mut |_, _| {})?;
    let index_s = t.elapsed().as_secs_f64();
    // Warm, then the figure: the index now comes from memory, as for every later request.
    attributor.attribute(&job)?;
    let t = Instant::now();
    let (_, stages) = attributor.attribute_timed(&job)?;
    let request_ms = t.elapsed().as_secs_f64() * 1e3;
    // A restarted engine: an empty memory, the index on disk.
    let restarted = IndexCache::new(dir.to_path_buf(), DEFAULT_INDEX_MEMORY);
    let t = Instant::now();
    let (_, restart_stages) = Attributor::new(base, &restarted).attribute_timed(&job)?;
    Ok(AttributionTiming {
        index_s,
        request_ms,
        stages,
        restart_request_ms: t.elapsed().as_secs_f64() * 1e3,
        restart_stages,
    })
}
