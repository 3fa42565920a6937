//! What a validator's engine computes for one paid inference request (Proof of Attribution):
//! the adapter's greedy output for the prompt, and the top-k training records of the adapter's
//! Datanet version by influence on that output, as fixed-point integers.
//!
//! The chain hands over everything from its state ([`AttributionJob`]): the adapter's weights
//! and hyper-parameters, and the records of the version it was trained on. The influence index
//! of an (adapter, version) is built once and cached on disk under the attributor's directory,
//! keyed by adapter id, weights hash and version root, so it survives restarts. Every validator
//! uses the same projection seed, dimensions and method, so honest validators report the same
//! integers (the chain takes the stake-weighted median anyway).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::base::BaseModel;
use crate::data::{self, Example, output_example, tokenize};
use crate::error::{Error, Result};
use crate::generate::{Sampling, generate};
use crate::influence::{self, InfluenceIndex, Method};
use crate::lora::{LoraAdapter, LoraConfig, Target};

/// Projection seed of every attribution index (all validators must use the same).
pub const INDEX_SEED: u64 = 0x0a77_1b07;
/// Dimensions of the projected gradients.
pub const INDEX_DIMS: usize = 4096;

/// An adapter as the chain stores it.
#[derive(Debug, Clone)]
pub struct AdapterSpec {
    /// The chain's adapter id.
    pub id: u64,
    pub rank: usize,
    pub alpha: f64,
    pub targets: Vec<Target>,
    /// The safetensors weights and their sha256 (lowercase hex).
    pub weights: Vec<u8>,
    pub weights_sha256: String,
}

/// One request with the chain data it needs.
#[derive(Debug, Clone)]
pub struct AttributionJob {
    pub adapter: AdapterSpec,
    /// Merkle root of the Datanet version the adapter was trained on (the index's cache key).
    pub version_root: Vec<u8>,
    /// `(record id, JSON content)` of the version.
    pub records: Vec<(u64, String)>,
    pub prompt: String,
    pub max_tokens: usize,
    pub top_k: usize,
}

/// What the engine reports for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionResult {
    pub output: String,
    /// `(record id, fixed-point score)`, top-k, highest first.
    pub top: Vec<(u64, i64)>,
    /// Sum of the positive fixed-point scores over every scored record.
    pub positive_sum: i64,
}

/// Where one request's time went (milliseconds): the adapter and its cached index loaded, the
/// greedy output generated, the output's loss gradient through the LoRA parameters projected,
/// and every indexed record scored against it (with the top-k taken).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    pub load_ms: f64,
    pub generate_ms: f64,
    pub gradient_ms: f64,
    pub score_ms: f64,
}

/// Milliseconds since `t`, and `t` moved to now.
fn lap(t: &mut Instant) -> f64 {
    let ms = t.elapsed().as_secs_f64() * 1e3;
    *t = Instant::now();
    ms
}

/// Runs attribution jobs on a base model, with a disk cache of influence indexes.
pub struct Attributor<'a> {
    pub base: &'a BaseModel,
    cache_dir: &'a Path,
}

impl<'a> Attributor<'a> {
    pub fn new(base: &'a BaseModel, cache_dir: &'a Path) -> Self {
        Self { base, cache_dir }
    }

    /// The adapter of a job on this base model (weights hash and tensor shapes checked).
    pub fn adapter(&self, spec: &AdapterSpec) -> Result<LoraAdapter> {
        let config = LoraConfig {
            rank: spec.rank,
            alpha: spec.alpha,
            dropout: 0.0,
            targets: spec.targets.clone(),
            base: self.base.fingerprint.clone(),
            adapter_sha256: spec.weights_sha256.clone(),
            training: Value::Null,
        };
        let origin = PathBuf::from(format!("<adapter {}>", spec.id));
        LoraAdapter::from_bytes(config, &spec.weights, &origin, &self.base.device)
    }

    /// Where the index of an (adapter, version) is cached.
    pub fn index_path(&self, job: &AttributionJob) -> PathBuf {
        let weights = &job.adapter.weights_sha256;
        self.cache_dir.join(format!(
            "adapter-{}-{}-{}.index",
            job.adapter.id,
            &weights[..weights.len().min(16)],
            hex::encode(&job.version_root)
        ))
    }

    /// The influence index of the job's adapter over its records: from the cache, or built and
    /// cached. `progress(done, total)` while building.
    pub fn index(
        &self,
        job: &AttributionJob,
        adapter: &LoraAdapter,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<InfluenceIndex> {
        let path = self.index_path(job);
        if path.is_file() {
            match InfluenceIndex::load(&path) {
                Ok(index) if index.meta.adapter_sha256 == job.adapter.weights_sha256 => {
                    return Ok(index);
                }
                // A stale or damaged cache file is rebuilt.
                _ => tracing::warn!(path = %path.display(), "rebuilding the influence index"),
            }
        }
        let (ids, examples) = self.examples(&job.records);
        let index = influence::build_index(
            self.base, adapter, ids, &examples, INDEX_SEED, INDEX_DIMS, progress,
        )?;
        std::fs::create_dir_all(self.cache_dir).map_err(|e| Error::io(self.cache_dir, e))?;
        // Written beside, then renamed: a crash never leaves a half index under the real name.
        let tmp = path.with_extension("index.tmp");
        index.save(&tmp)?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        Ok(index)
    }

    /// The records that are training examples for this model (`{"instruction","response"}` or
    /// `{"text"}` that fit its context); the others cannot have influenced it and are left out.
    fn examples(&self, records: &[(u64, String)]) -> (Vec<String>, Vec<Example>) {
        let origin = Path::new("<datanet version>");
        let max_len = self.base.config.max_seq_len;
        let mut ids = Vec::new();
        let mut examples = Vec::new();
        for (id, content) in records {
            let Ok(parsed) = data::parse_jsonl(origin, content.lines().next().unwrap_or("")) else {
                continue;
            };
            let Some(record) = parsed.first() else {
                continue;
            };
            if let Ok(ex) = tokenize(&self.base.tokenizer, record, max_len, origin) {
                ids.push(id.to_string());
                examples.push(ex);
            }
        }
        (ids, examples)
    }

    /// Runs one job: greedy output, its loss gradient, and the records' scores.
    pub fn attribute(&self, job: &AttributionJob) -> Result<AttributionResult> {
        self.attribute_timed(job).map(|(r, _)| r)
    }

    /// [`attribute`](Self::attribute), with where the time went (the timing is not part of the
    /// result: validators agree on outputs and scores, not on how long they took).
    pub fn attribute_timed(&self, job: &AttributionJob) -> Result<(AttributionResult, StageTimes)> {
        let mut times = StageTimes::default();
        let mut t = Instant::now();
        let adapter = self.adapter(&job.adapter)?;
        let index = self.index(job, &adapter, &mut |_, _| {})?;
        times.load_ms = lap(&mut t);
        let output = generate(
            self.base,
            &job.prompt,
            job.max_tokens,
            &Sampling::default(),
            Some(&adapter.batch()),
        )?
        .text;
        times.generate_ms = lap(&mut t);
        let unscored = |output| {
            let r = AttributionResult {
                output,
                top: Vec::new(),
                positive_sum: 0,
            };
            Ok((r, times))
        };
        if index.is_empty() {
            return unscored(output);
        }
        let ex = output_example(
            &self.base.tokenizer,
            &job.prompt,
            &output,
            self.base.config.max_seq_len,
        );
        // An empty output has no response token to take a gradient of: no record influenced it.
        let Ok(ex) = ex else {
            return unscored(output);
        };
        let proj = influence::projector_for(&index, &adapter, self.base)?;
        let q = proj.gradient(self.base, &adapter, &ex)?;
        times.gradient_ms = lap(&mut t);
        let raw = index.score(&q, Method::Datainf, true)?;
        let all = influence::top_k(&index.meta.record_ids, &raw, raw.len());
        let positive_sum = all.positive_sum;
        let top = all
            .scores
            .into_iter()
            .take(job.top_k)
            .map(|s| {
                s.record_id
                    .parse::<u64>()
                    .map(|id| (id, s.score))
                    .map_err(|_| Error::Invalid(format!("record id {}", s.record_id)))
            })
            .collect::<Result<Vec<_>>>()?;
        times.score_ms = lap(&mut t);
        let r = AttributionResult {
            output,
            top,
            positive_sum,
        };
        Ok((r, times))
    }
}

/// sha256 of a byte string, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Parses LoRA targets as the chain's training config names them (`q`, `v`, … or `q_proj`).
pub fn parse_target(name: &str) -> Result<Target> {
    name.trim().trim_end_matches("_proj").parse()
}
