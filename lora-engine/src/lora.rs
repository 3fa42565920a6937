//! LoRA adapters: configuration, weights, saving and loading (safetensors + JSON config with the
//! weights' sha256), merging into the base, and the per-forward view that applies one adapter to
//! a whole batch or a different adapter to each row.
//!
//! The model takes adapters only as low-rank deltas on its projections ([`Deltas`]); this module
//! turns stored adapters into them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use burn::module::Param;
use burn::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{Deltas, Llama, LlamaConfig, LowRank};

pub use crate::model::Target;

/// The adapters applied in one forward pass: low-rank deltas on the projections.
pub type LoraBatch = Deltas;
/// The adapter weights of one projection for one forward pass.
pub type LoraPair = LowRank;

impl FromStr for Target {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s.trim())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown LoRA target `{s}` (expected q, k, v, o, gate, up, down)"
                ))
            })
    }
}

/// Parses `q,v,gate`.
pub fn parse_targets(s: &str) -> Result<Vec<Target>> {
    let mut v: Vec<Target> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(Target::from_str)
        .collect::<Result<_>>()?;
    v.sort();
    v.dedup();
    if v.is_empty() {
        return Err(Error::Invalid("no LoRA targets given".into()));
    }
    Ok(v)
}

/// Which base model an adapter belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseFingerprint {
    pub name: String,
    /// sha256 of the base weights file.
    pub sha256: String,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub vocab_size: usize,
}

impl BaseFingerprint {
    /// The model dimensions this fingerprint describes.
    pub fn dims(&self) -> LlamaConfig {
        LlamaConfig::new(
            self.vocab_size,
            self.hidden_size,
            self.intermediate_size,
            self.num_layers,
            self.num_heads,
            self.num_kv_heads,
        )
    }
}

/// An adapter's hyper-parameters, saved as `adapter_config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f64,
    #[serde(default)]
    pub dropout: f64,
    pub targets: Vec<Target>,
    pub base: BaseFingerprint,
    /// sha256 of `adapter.safetensors`, filled in when saved.
    #[serde(default)]
    pub adapter_sha256: String,
    /// Free-form record of how the adapter was trained.
    #[serde(default)]
    pub training: serde_json::Value,
}

impl LoraConfig {
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// One adapted projection: `y += scale * x A B`, with `a` `[in, r]` and `b` `[r, out]`.
#[derive(Module, Debug)]
pub struct LoraLayer {
    pub a: Param<Tensor<2>>,
    pub b: Param<Tensor<2>>,
}

/// A LoRA adapter: for every layer, one [`LoraLayer`] per target, in `config.targets` order.
#[derive(Debug, Clone)]
pub struct LoraAdapter {
    pub config: LoraConfig,
    /// `layers[l][i]` adapts `config.targets[i]` of layer `l`.
    pub layers: Vec<Vec<LoraLayer>>,
}

pub const ADAPTER_FILE: &str = "adapter.safetensors";
pub const CONFIG_FILE: &str = "adapter_config.json";

impl LoraAdapter {
    /// A fresh adapter: A random (Kaiming-uniform like PEFT), B zero, so it starts as a no-op.
    pub fn init(config: LoraConfig, model: &LlamaConfig, seed: u64, device: &Device) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let r = config.rank;
        let layers = (0..model.num_layers)
            .map(|_| {
                config
                    .targets
                    .iter()
                    .map(|&t| {
                        let (i, o) = model.proj_dims(t);
                        let bound = 1.0 / (i as f32).sqrt();
                        let a: Vec<f32> =
                            (0..i * r).map(|_| rng.gen_range(-bound..bound)).collect();
                        LoraLayer {
                            a: Param::from_tensor(Tensor::from_data(
                                TensorData::new(a, [i, r]),
                                device,
                            )),
                            b: Param::from_tensor(Tensor::zeros([r, o], device)),
                        }
                    })
                    .collect()
            })
            .collect();
        LoraAdapter { config, layers }
    }

    /// Number of trainable values.
    pub fn num_params(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .map(|l| l.a.dims().iter().product::<usize>() + l.b.dims().iter().product::<usize>())
            .sum()
    }

    pub fn byte_size(&self) -> usize {
        self.num_params() * 4
    }

    /// Checks that this adapter fits `model`, naming `origin` in the error.
    pub fn check_base(&self, base: &BaseFingerprint, origin: &Path) -> Result<()> {
        let mine = &self.config.base;
        let err = |reason: String| Error::Adapter {
            path: origin.to_path_buf(),
            reason,
        };
        if mine.hidden_size != base.hidden_size
            || mine.num_layers != base.num_layers
            || mine.intermediate_size != base.intermediate_size
            || mine.num_kv_heads != base.num_kv_heads
            || mine.num_heads != base.num_heads
        {
            return Err(err(format!(
                "made for base `{}` ({} layers, hidden {}), not for `{}` ({} layers, hidden {})",
                mine.name,
                mine.num_layers,
                mine.hidden_size,
                base.name,
                base.num_layers,
                base.hidden_size
            )));
        }
        if !mine.sha256.is_empty() && !base.sha256.is_empty() && mine.sha256 != base.sha256 {
            return Err(err(format!(
                "made for base weights {} but the loaded base is {}",
                &mine.sha256[..mine.sha256.len().min(12)],
                &base.sha256[..base.sha256.len().min(12)]
            )));
        }
        Ok(())
    }

    /// Writes `adapter.safetensors` (PEFT layout: A `[r, in]`, B `[out, r]`) and the config with
    /// the weights' sha256 into `dir`.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut tensors: BTreeMap<String, (Vec<u8>, Vec<usize>)> = BTreeMap::new();
        for (l, layer) in self.layers.iter().enumerate() {
            for (t, m) in self.config.targets.iter().zip(layer) {
                for (name, p) in [("lora_A", &m.a), ("lora_B", &m.b)] {
                    let tt = p.val().transpose();
                    let dims = tt.dims().to_vec();
                    let data = tensor_to_vec(tt)?;
                    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
                    tensors.insert(format!("layers.{l}.{t}.{name}.weight"), (bytes, dims));
                }
            }
        }
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
            .iter()
            .map(|(k, (bytes, dims))| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, dims.clone(), bytes)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| Error::Invalid(format!("safetensors: {e}")))
            })
            .collect::<Result<_>>()?;
        let bytes = safetensors::serialize(views, None)
            .map_err(|e| Error::Invalid(format!("safetensors: {e}")))?;
        let path = dir.join(ADAPTER_FILE);
        std::fs::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
        self.config.adapter_sha256 = hex::encode(Sha256::digest(&bytes));
        let cfg = serde_json::to_string_pretty(&self.config)
            .map_err(|e| Error::Invalid(format!("adapter config: {e}")))?;
        let cpath = dir.join(CONFIG_FILE);
        std::fs::write(&cpath, cfg).map_err(|e| Error::io(&cpath, e))?;
        Ok(())
    }

    /// Loads an adapter directory, checking its sha256 and every tensor's shape.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let cpath = dir.join(CONFIG_FILE);
        let cfg = std::fs::read_to_string(&cpath).map_err(|e| Error::io(&cpath, e))?;
        let config: LoraConfig = serde_json::from_str(&cfg).map_err(|e| Error::Adapter {
            path: cpath.clone(),
            reason: format!("bad config: {e}"),
        })?;
        let path = dir.join(ADAPTER_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        Self::from_bytes(config, &bytes, &path, device)
    }

    /// Builds an adapter from its config and safetensors bytes; `origin` names it in errors.
    pub fn from_bytes(
        config: LoraConfig,
        bytes: &[u8],
        origin: &Path,
        device: &Device,
    ) -> Result<Self> {
        let err = |reason: String| Error::Adapter {
            path: origin.to_path_buf(),
            reason,
        };
        if !config.adapter_sha256.is_empty() {
            let got = hex::encode(Sha256::digest(bytes));
            if got != config.adapter_sha256 {
                return Err(err(format!(
                    "sha256 {got} does not match the config's {}",
                    config.adapter_sha256
                )));
            }
        }
        if config.rank == 0 || config.targets.is_empty() {
            return Err(err("rank 0 or no targets".into()));
        }
        let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| err(format!("{e}")))?;
        let base = &config.base;
        let dims = base.dims();
        if dims.validate().is_err() {
            return Err(err("config describes an impossible base model".into()));
        }
        let r = config.rank;
        let mut layers = Vec::with_capacity(base.num_layers);
        for l in 0..base.num_layers {
            let mut row = Vec::new();
            for &t in &config.targets {
                let get = |name: &str| -> Result<(Vec<f32>, Vec<usize>)> {
                    let key = format!("layers.{l}.{t}.{name}.weight");
                    let v = st
                        .tensor(&key)
                        .map_err(|_| err(format!("missing tensor `{key}`")))?;
                    if v.dtype() != safetensors::Dtype::F32 {
                        return Err(err(format!(
                            "tensor `{key}` is {:?}, expected F32",
                            v.dtype()
                        )));
                    }
                    let data = v
                        .data()
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    Ok((data, v.shape().to_vec()))
                };
                let (a, ashape) = get("lora_A")?;
                let (b, bshape) = get("lora_B")?;
                let (i, o) = dims.proj_dims(t);
                if ashape != [r, i] || bshape != [o, r] {
                    return Err(err(format!(
                        "layer {l} target {t}: shapes A {ashape:?} B {bshape:?} do not fit rank {r}, input {i}, output {o}"
                    )));
                }
                let a =
                    Tensor::<2>::from_data(TensorData::new(transpose(&a, r, i), [i, r]), device);
                let b =
                    Tensor::<2>::from_data(TensorData::new(transpose(&b, o, r), [r, o]), device);
                row.push(LoraLayer {
                    a: Param::from_tensor(a),
                    b: Param::from_tensor(b),
                });
            }
            layers.push(row);
        }
        Ok(LoraAdapter { config, layers })
    }

    /// Folds the adapter into the base weights: `W += scale * A B`.
    pub fn merge_into(&self, model: &mut Llama) {
        let s = self.config.scale();
        for (l, layer) in self.layers.iter().enumerate() {
            for (&t, m) in self.config.targets.iter().zip(layer) {
                let p = model.projection_mut(l, t);
                let delta = m.a.val().matmul(m.b.val()) * s;
                p.set_weight(p.weight() + delta);
            }
        }
    }

    /// A view for a forward pass where every row uses this adapter.
    pub fn batch(&self) -> LoraBatch {
        let s = self.config.scale();
        let mut deltas = Deltas::empty(self.layers.len());
        for (slots, layer) in deltas.layers.iter_mut().zip(&self.layers) {
            for (&t, m) in self.config.targets.iter().zip(layer) {
                slots[t.index()] = Some(LowRank::Shared {
                    a: m.a.val(),
                    b: m.b.val() * s,
                });
            }
        }
        deltas
    }
}

/// Row-major `[rows, cols]` to row-major `[cols, rows]`.
fn transpose(v: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0f32; v.len()];
    for (r, row) in v.chunks_exact(cols).enumerate() {
        for (c, &x) in row.iter().enumerate() {
            t[c * rows + r] = x;
        }
    }
    t
}

/// Reads a tensor back to the host as f32 values.
pub fn tensor_to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    let data = t.into_data();
    let data = data.convert::<f32>();
    data.as_slice::<f32>()
        .map(|s| s.to_vec())
        .map_err(|e| Error::Model(format!("reading tensor: {e:?}")))
}

impl Deltas {
    /// Per-row adapters: `rows[i]` is the adapter of row `i` (or none). Ranks are padded with
    /// zeros to the largest rank, so one batched matmul serves every row.
    pub fn per_row(rows: &[Option<&LoraAdapter>], model: &LlamaConfig, device: &Device) -> Self {
        let n = rows.len();
        let r = rows
            .iter()
            .flatten()
            .map(|a| a.config.rank)
            .max()
            .unwrap_or(0);
        let mut deltas = Deltas::empty(model.num_layers);
        if r == 0 {
            return deltas;
        }
        for (l, slots) in deltas.layers.iter_mut().enumerate() {
            for t in Target::ALL {
                if !rows.iter().flatten().any(|a| a.config.targets.contains(&t)) {
                    continue;
                }
                let (i, o) = model.proj_dims(t);
                let mut aa = Vec::with_capacity(n);
                let mut bb = Vec::with_capacity(n);
                for row in rows {
                    let found = row.and_then(|ad| {
                        ad.config
                            .targets
                            .iter()
                            .position(|&x| x == t)
                            .map(|p| (ad, &ad.layers[l][p]))
                    });
                    match found {
                        Some((ad, m)) => {
                            let pad = r - ad.config.rank;
                            let mut a = m.a.val();
                            let mut b = m.b.val() * ad.config.scale();
                            if pad > 0 {
                                a = Tensor::cat(vec![a, Tensor::zeros([i, pad], device)], 1);
                                b = Tensor::cat(vec![b, Tensor::zeros([pad, o], device)], 0);
                            }
                            aa.push(a);
                            bb.push(b);
                        }
                        None => {
                            aa.push(Tensor::zeros([i, r], device));
                            bb.push(Tensor::zeros([r, o], device));
                        }
                    }
                }
                slots[t.index()] = Some(LowRank::PerRow {
                    a: Tensor::stack(aa, 0),
                    b: Tensor::stack(bb, 0),
                });
            }
        }
        deltas
    }
}

/// Where an adapter lives on disk.
pub fn adapter_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join(ADAPTER_FILE), dir.join(CONFIG_FILE))
}
