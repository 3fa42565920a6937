//! The engine a validator runs paid requests on, behind one trait: in this process (the
//! default: lora-engine as a library, the base model loaded from the files the node knows) or a
//! remote `openledger-lora serve` over gRPC (`openledgerd start --lora-engine http://…`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use openledger_attribution::request::InferenceJob;
use openledger_lora::BaseModel;
use openledger_lora::attribution::{
    AdapterSpec, AttributionJob, AttributionResult, Attributor, DEFAULT_INDEX_MEMORY, IndexCache,
    parse_target,
};
use openledger_proto::openledger::attribution::v1::{InferenceResult, RecordScore};
use openledger_proto::openledger::lora::v1 as lpb;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// Runs one job to the result this validator reports. Blocking; called off the consensus path.
pub trait InferenceEngine: Send + Sync {
    fn run(&self, job: &InferenceJob, top_k: usize) -> anyhow::Result<InferenceResult>;
    /// One line for the logs.
    fn describe(&self) -> String;
}

/// The engine's view of a chain job.
pub fn attribution_job(job: &InferenceJob, top_k: usize) -> anyhow::Result<AttributionJob> {
    let config = job
        .adapter
        .config
        .as_ref()
        .ok_or_else(|| anyhow!("adapter {} has no training config", job.adapter.id))?;
    let alpha: f64 = config
        .alpha
        .parse()
        .with_context(|| format!("adapter {}: alpha {:?}", job.adapter.id, config.alpha))?;
    let targets = config
        .target_modules
        .iter()
        .map(|t| parse_target(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AttributionJob {
        adapter: AdapterSpec {
            id: job.adapter.id,
            rank: config.rank as usize,
            alpha,
            targets,
            weights: job.weights.clone(),
            weights_sha256: job.adapter.weights_sha256.clone(),
        },
        version_root: job.adapter.version_root.clone(),
        records: job.records.clone(),
        prompt: job.request.prompt.clone(),
        max_tokens: job.request.max_tokens as usize,
        top_k,
    })
}

/// The result as a vote extension carries it.
pub fn to_result(request_id: u64, r: AttributionResult) -> InferenceResult {
    InferenceResult {
        request_id,
        output_sha256: Sha256::digest(r.output.as_bytes()).to_vec(),
        output: r.output,
        top: r
            .top
            .into_iter()
            .map(|(record_id, score)| RecordScore { record_id, score })
            .collect(),
        positive_sum: r.positive_sum,
    }
}

/// lora-engine in this process. Base models are matched by the sha256 of their weights file
/// against the chain's registration; each is loaded on first use and kept.
pub struct InProcessEngine {
    /// Candidate model files (GGUF, or safetensors in Hugging Face layout).
    candidates: Vec<PathBuf>,
    /// sha256 → path, filled lazily.
    hashes: Mutex<BTreeMap<PathBuf, String>>,
    loaded: Mutex<BTreeMap<String, Arc<BaseModel>>>,
    indexes: IndexCache,
    device: burn::prelude::Device,
}

impl InProcessEngine {
    /// `models`: model files or directories (each file in a directory is a candidate);
    /// `cache_dir`: where influence indexes are kept (`<home>/data/attribution`).
    pub fn new(models: &[PathBuf], cache_dir: PathBuf) -> Self {
        let mut candidates = Vec::new();
        for m in models {
            if m.is_dir() {
                if let Ok(entries) = std::fs::read_dir(m) {
                    let mut files: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| {
                            p.extension()
                                .is_some_and(|e| e == "gguf" || e == "safetensors")
                        })
                        .collect();
                    files.sort();
                    candidates.extend(files);
                }
            } else {
                candidates.push(m.clone());
            }
        }
        Self {
            candidates,
            hashes: Mutex::new(BTreeMap::new()),
            loaded: Mutex::new(BTreeMap::new()),
            indexes: IndexCache::new(cache_dir, DEFAULT_INDEX_MEMORY),
            device: burn::prelude::Device::flex(),
        }
    }

    fn sha256_of(path: &Path) -> anyhow::Result<String> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(hex::encode(Sha256::digest(&bytes)))
    }

    /// The base model whose weights hash to `sha256`, loading it if needed.
    pub fn base(&self, sha256: &str) -> anyhow::Result<Arc<BaseModel>> {
        if let Some(b) = self.loaded.lock().get(sha256) {
            return Ok(b.clone());
        }
        let mut found = None;
        for path in &self.candidates {
            let hash = {
                let known = self.hashes.lock().get(path).cloned();
                match known {
                    Some(h) => h,
                    None => {
                        let h = Self::sha256_of(path)?;
                        self.hashes.lock().insert(path.clone(), h.clone());
                        h
                    }
                }
            };
            if hash == sha256 {
                found = Some(path.clone());
                break;
            }
        }
        let Some(path) = found else {
            bail!(
                "no base model with weights sha256 {sha256} among {} candidate files (add it with --lora-models)",
                self.candidates.len()
            );
        };
        tracing::info!(path = %path.display(), "loading base model for attribution");
        let base = Arc::new(BaseModel::load(&path, &self.device)?);
        self.loaded.lock().insert(sha256.to_string(), base.clone());
        Ok(base)
    }
}

impl InferenceEngine for InProcessEngine {
    fn run(&self, job: &InferenceJob, top_k: usize) -> anyhow::Result<InferenceResult> {
        let base = self.base(&job.base_model.weights_sha256)?;
        let aj = attribution_job(job, top_k)?;
        let out = Attributor::new(&base, &self.indexes).attribute(&aj)?;
        Ok(to_result(job.request.id, out))
    }

    fn describe(&self) -> String {
        format!(
            "in-process lora-engine ({} candidate model files, indexes in {})",
            self.candidates.len(),
            self.indexes.dir().display()
        )
    }
}

/// A remote `openledger-lora serve`.
pub struct GrpcEngine {
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl GrpcEngine {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            url: url.to_string(),
            runtime,
        })
    }
}

impl InferenceEngine for GrpcEngine {
    fn run(&self, job: &InferenceJob, top_k: usize) -> anyhow::Result<InferenceResult> {
        let aj = attribution_job(job, top_k)?;
        let req = lpb::AttributeRequest {
            base_model_sha256: job.base_model.weights_sha256.clone(),
            adapter: Some(lpb::ChainAdapter {
                id: aj.adapter.id,
                rank: aj.adapter.rank as u32,
                alpha: aj.adapter.alpha,
                targets: aj.adapter.targets.iter().map(|t| t.to_string()).collect(),
                weights: aj.adapter.weights,
                weights_sha256: aj.adapter.weights_sha256,
            }),
            version_root: aj.version_root,
            records: aj
                .records
                .into_iter()
                .map(|(id, content)| lpb::ChainRecord { id, content })
                .collect(),
            prompt: aj.prompt,
            max_tokens: aj.max_tokens as u32,
            top_k: top_k as u32,
        };
        let url = self.url.clone();
        let resp = self.runtime.block_on(async move {
            let mut client = lpb::engine_client::EngineClient::connect(url.clone())
                .await
                .with_context(|| format!("connecting to the lora-engine at {url}"))?
                .max_decoding_message_size(64 << 20)
                .max_encoding_message_size(64 << 20);
            client
                .attribute(req)
                .await
                .map(|r| r.into_inner())
                .map_err(|s| anyhow!("lora-engine at {url}: {}", s.message()))
        })?;
        Ok(to_result(
            job.request.id,
            AttributionResult {
                output: resp.output,
                top: resp
                    .top
                    .into_iter()
                    .map(|s| (s.record_id, s.score))
                    .collect(),
                positive_sum: resp.positive_sum,
            },
        ))
    }

    fn describe(&self) -> String {
        format!("remote lora-engine at {}", self.url)
    }
}

/// A test-only wrapper that perturbs the inner engine's scores (`noise` or `garbage`), to show
/// the committed medians stay within the honest validators' range.
pub struct PerturbedEngine {
    pub inner: Box<dyn InferenceEngine>,
    pub garbage: bool,
}

impl InferenceEngine for PerturbedEngine {
    fn run(&self, job: &InferenceJob, top_k: usize) -> anyhow::Result<InferenceResult> {
        let mut r = self.inner.run(job, top_k)?;
        // Deterministic "noise" from the request id, so runs are reproducible.
        let seed = job.request.id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for (i, s) in r.top.iter_mut().enumerate() {
            let k = seed.rotate_left(i as u32 * 7) % 400_001;
            s.score = if self.garbage {
                1_000_000 - s.score
            } else {
                s.score + k as i64 - 200_000
            };
        }
        if self.garbage {
            // Claim the records nobody else found most influential.
            r.top.reverse();
        }
        r.positive_sum = r.top.iter().map(|s| s.score.max(0)).sum();
        Ok(r)
    }

    fn describe(&self) -> String {
        format!(
            "{} with perturbed scores (TEST ONLY: {})",
            self.inner.describe(),
            if self.garbage { "garbage" } else { "noise" }
        )
    }
}
