//! What a validator's engine computes for one paid inference request (Proof of Attribution):
//! the adapter's greedy output for the prompt, and the top-k training records of the adapter's
//! Datanet version by influence on that output, as fixed-point integers.
//!
//! The chain hands over everything from its state ([`AttributionJob`]): the adapter's weights
//! and hyper-parameters, and the records of the version it was trained on. The influence index
//! of an (adapter, version) is built once and cached on disk under the [`IndexCache`]'s directory,
//! keyed by adapter id, weights hash and version root, so it survives restarts; the most recently
//! used indexes also stay in memory, so a request does not read its index back from disk (at 100k
//! records that read was three quarters of a request's time). Every validator
//! uses the same projection seed, dimensions and method, so honest validators report the same
//! integers (the chain takes the stake-weighted median anyway).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

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

/// Bytes of built indexes an [`IndexCache`] keeps in memory by default (a 100k-record index of
/// 4096 dimensions is 1.6 GiB).
pub const DEFAULT_INDEX_MEMORY: usize = 2 << 30;

/// Influence indexes by (adapter id, weights hash, version root): every one on disk under a
/// directory, and the most recently used in memory up to a byte budget (least recently used
/// evicted first; an index larger than the budget is only on disk). Shared by the requests of
/// one engine.
pub struct IndexCache {
    dir: PathBuf,
    budget_bytes: usize,
    /// Most recently used last.
    memory: Mutex<Vec<(PathBuf, Arc<InfluenceIndex>)>>,
}

impl IndexCache {
    pub fn new(dir: PathBuf, budget_bytes: usize) -> Self {
        Self {
            dir,
            budget_bytes,
            memory: Mutex::new(Vec::new()),
        }
    }

    /// The directory of the cached index files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index cached in memory under `path`, now the most recently used.
    fn recall(&self, path: &Path) -> Option<Arc<InfluenceIndex>> {
        let mut memory = self.memory.lock();
        let at = memory.iter().position(|(p, _)| p == path)?;
        let entry = memory.remove(at);
        let index = entry.1.clone();
        memory.push(entry);
        Some(index)
    }

    /// Keeps `index` in memory, evicting the least recently used until it fits the budget.
    fn keep(&self, path: PathBuf, index: Arc<InfluenceIndex>) {
        let size = index.byte_size();
        if size > self.budget_bytes {
            return;
        }
        let mut memory = self.memory.lock();
        memory.retain(|(p, _)| *p != path);
        let mut held: usize = memory.iter().map(|(_, i)| i.byte_size()).sum();
        while held + size > self.budget_bytes && !memory.is_empty() {
            let (_, evicted) = memory.remove(0);
            held -= evicted.byte_size();
        }
        memory.push((path, index));
    }

    /// How many indexes are in memory.
    pub fn in_memory(&self) -> usize {
        self.memory.lock().len()
    }
}

/// Runs attribution jobs on a base model, with a cache of influence indexes.
pub struct Attributor<'a> {
    pub base: &'a BaseModel,
    cache: &'a IndexCache,
}

impl<'a> Attributor<'a> {
    pub fn new(base: &'a BaseModel, cache: &'a IndexCache) -> Self {
        Self { base, cache }
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
        self.cache.dir.join(format!(
            "adapter-{}-{}-{}.index",
            job.adapter.id,
            &weights[..weights.len().min(16)],
            hex::encode(&job.version_root)
        ))
    }

    /// The influence index of the job's adapter over its records: from memory, from the disk
    /// cache, or built and cached. `progress(done, total)` while building.
    pub fn index(
        &self,
        job: &AttributionJob,
        adapter: &LoraAdapter,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Arc<InfluenceIndex>> {
        let path = self.index_path(job);
        if let Some(index) = self.cache.recall(&path) {
            return Ok(index);
        }
        let index = Arc::new(self.index_from_disk(job, adapter, &path, progress)?);
        self.cache.keep(path, index.clone());
        Ok(index)
    }

    fn index_from_disk(
        &self,
        job: &AttributionJob,
        adapter: &LoraAdapter,
        path: &Path,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<InfluenceIndex> {
        if path.is_file() {
            match InfluenceIndex::load(path) {
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
        let dir = &self.cache.dir;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        // Written beside, then renamed: a crash never leaves a half index under the real name.
        let tmp = path.with_extension("index.tmp");
        index.save(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::influence::IndexMeta;

    fn index(floats: usize) -> Arc<InfluenceIndex> {
        Arc::new(InfluenceIndex {
            meta: IndexMeta {
                record_ids: Vec::new(),
                block_dims: Vec::new(),
                lambdas: Vec::new(),
                seed: INDEX_SEED,
                k: 0,
                adapter_sha256: String::new(),
            },
            dims: 1,
            grads: vec![0.0; floats],
            datainf: Vec::new(),
        })
    }

    #[test]
    fn the_least_recently_used_index_leaves_memory_first() {
        let cache = IndexCache::new(PathBuf::from("unused"), 3 * 400);
        let (a, b, c) = (PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c"));
        cache.keep(a.clone(), index(100));
        cache.keep(b.clone(), index(100));
        cache.keep(c.clone(), index(100));
        assert_eq!(cache.in_memory(), 3);
        // `a` used again, so `b` is now the least recently used.
        assert!(cache.recall(&a).is_some());
        cache.keep(PathBuf::from("d"), index(150));
        assert!(cache.recall(&b).is_none(), "b evicted");
        assert!(
            cache.recall(&c).is_none(),
            "c evicted to make room for 600 bytes"
        );
        assert!(cache.recall(&a).is_some());
        assert_eq!(cache.in_memory(), 2);
        // Kept again under the same key: replaced, not held twice.
        cache.keep(a.clone(), index(100));
        assert_eq!(cache.in_memory(), 2);
        // Larger than the whole budget: never held, nothing evicted for it.
        cache.keep(PathBuf::from("huge"), index(1000));
        assert_eq!(cache.in_memory(), 2);
    }
}
