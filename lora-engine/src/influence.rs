//! Influence of training records on an output, over the LoRA parameters (the scoring half of
//! Proof of Attribution).
//!
//! Every record's loss gradient with respect to each adapted projection's A and B is projected
//! with seeded Gaussian matrices, factorised per projection in the style of LoGra: `P_inᵀ·dA`
//! (`[k, r]`) and `dB·P_out` (`[r, k]`). The index holds these vectors plus, per projection
//! ("layer" in DataInf's sense), the matrix `M = Σ_j g_j g_jᵀ / (λ + ‖g_j‖²)` that makes the
//! DataInf closed-form inverse-Hessian product one dot product per record:
//! `H⁻¹ q ≈ (q − M q / n) / λ`.
//!
//! Scores are reported as `i64` fixed-point millionths of the score relative to the largest
//! absolute score of the query, so validators agree on integers and rewards split exactly.

use std::path::Path;

use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr_lite::standard_normal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::base::BaseModel;
use crate::data::Example;
use crate::error::{Error, Result};
use crate::lora::{LoraAdapter, tensor_to_vec};
use crate::train::{Trainable, loss};

pub const INDEX_FILE: &str = "influence_index.safetensors";

/// Scoring method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Inner products of projected gradients.
    Tracin,
    /// Inner products through DataInf's per-layer closed-form inverse Hessian.
    Datainf,
}

mod rand_distr_lite {
    use rand::Rng;
    /// A standard normal sample (Box–Muller).
    pub fn standard_normal(rng: &mut impl Rng) -> f32 {
        let u1: f64 = rng.r#gen::<f64>().max(1e-300);
        let u2: f64 = rng.r#gen::<f64>();
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
}

/// Seeded random projections, one pair per adapted projection.
pub struct Projector {
    pub seed: u64,
    pub k: usize,
    /// `(p_in [in, k_in], p_out [out, k_out])` per (layer, target), in adapter order.
    blocks: Vec<(Tensor<2>, Tensor<2>)>,
    /// Length of each block's projected vector.
    pub block_dims: Vec<usize>,
}

impl Projector {
    /// `k` per side chosen so the whole vector has about `target_dims` values.
    pub fn new(adapter: &LoraAdapter, base: &BaseModel, seed: u64, target_dims: usize) -> Self {
        let n_blocks = adapter.layers.len() * adapter.config.targets.len();
        let r = adapter.config.rank;
        let k = (target_dims / (n_blocks * 2 * r).max(1)).max(2);
        Self::with_k(adapter, base, seed, k)
    }

    pub fn with_k(adapter: &LoraAdapter, base: &BaseModel, seed: u64, k: usize) -> Self {
        let r = adapter.config.rank;
        let mut blocks = Vec::new();
        let mut block_dims = Vec::new();
        for l in 0..adapter.layers.len() {
            for (ti, &t) in adapter.config.targets.iter().enumerate() {
                let (i, o) = base.config.proj_dims(t);
                let (ki, ko) = (k.min(i), k.min(o));
                let mut rng = ChaCha8Rng::seed_from_u64(
                    seed ^ ((l as u64) << 32) ^ ((ti as u64) << 16) ^ 0x9e37_79b9,
                );
                let mut mat = |rows: usize, cols: usize| {
                    let s = 1.0 / (cols as f32).sqrt();
                    let v: Vec<f32> = (0..rows * cols)
                        .map(|_| standard_normal(&mut rng) * s)
                        .collect();
                    Tensor::<2>::from_data(TensorData::new(v, [rows, cols]), &base.device)
                };
                let p_in = mat(i, ki);
                let p_out = mat(o, ko);
                blocks.push((p_in, p_out));
                block_dims.push(ki * r + r * ko);
            }
        }
        Projector {
            seed,
            k,
            blocks,
            block_dims,
        }
    }

    /// A projector with only block sizes, for building synthetic indexes (benchmarks).
    pub fn synthetic(block_dims: Vec<usize>) -> Self {
        Projector {
            seed: 0,
            k: 0,
            blocks: Vec::new(),
            block_dims,
        }
    }

    pub fn dims(&self) -> usize {
        self.block_dims.iter().sum()
    }

    /// The projected gradient of `ex`'s mean response loss under `adapter`.
    pub fn gradient(
        &self,
        base: &BaseModel,
        adapter: &LoraAdapter,
        ex: &Example,
    ) -> Result<Vec<f32>> {
        let tr = Trainable::new(adapter);
        let lora = tr.batch(adapter, None);
        let l = loss(base, &[ex], Some(&lora), true);
        let grads = l.backward();
        let mut parts = Vec::with_capacity(self.blocks.len() * 2);
        let mut i = 0;
        for row in &tr.params {
            for (a, b) in row {
                let ga = a
                    .grad(&grads)
                    .ok_or_else(|| Error::Model("no gradient for A".into()))?;
                let gb = b
                    .grad(&grads)
                    .ok_or_else(|| Error::Model("no gradient for B".into()))?;
                let (p_in, p_out) = &self.blocks[i];
                parts.push(p_in.clone().transpose().matmul(ga).flatten::<1>(0, 1));
                parts.push(gb.matmul(p_out.clone()).flatten::<1>(0, 1));
                i += 1;
            }
        }
        tensor_to_vec(Tensor::cat(parts, 0))
    }
}

/// Metadata stored with the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub record_ids: Vec<String>,
    pub block_dims: Vec<usize>,
    /// DataInf damping per block.
    pub lambdas: Vec<f64>,
    pub seed: u64,
    pub k: usize,
    pub adapter_sha256: String,
}

/// Per-record projected gradients of one adapter.
pub struct InfluenceIndex {
    pub meta: IndexMeta,
    pub dims: usize,
    /// Row-major `[n, dims]`.
    pub grads: Vec<f32>,
    /// DataInf matrices `M_l` (`[d_l, d_l]` row-major) per block.
    pub datainf: Vec<Vec<f32>>,
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64) * (*y as f64))
        .sum()
}

impl InfluenceIndex {
    /// Builds the index from per-record projected gradients.
    pub fn build(
        meta_ids: Vec<String>,
        projector: &Projector,
        rows: Vec<Vec<f32>>,
        adapter_sha256: String,
    ) -> Self {
        let dims = projector.dims();
        let n = rows.len();
        let mut lambdas = Vec::new();
        let mut datainf = Vec::new();
        let mut off = 0;
        for &d in &projector.block_dims {
            let norms: Vec<f64> = rows
                .iter()
                .map(|g| dot(&g[off..off + d], &g[off..off + d]))
                .collect();
            let lambda = (0.1 * norms.iter().sum::<f64>() / n.max(1) as f64).max(1e-12);
            let mut m = vec![0f64; d * d];
            for (g, nn) in rows.iter().zip(&norms) {
                let g = &g[off..off + d];
                let w = 1.0 / (lambda + nn);
                for i in 0..d {
                    let gi = g[i] as f64 * w;
                    for j in 0..d {
                        m[i * d + j] += gi * g[j] as f64;
                    }
                }
            }
            lambdas.push(lambda);
            datainf.push(m.into_iter().map(|x| x as f32).collect());
            off += d;
        }
        InfluenceIndex {
            meta: IndexMeta {
                record_ids: meta_ids,
                block_dims: projector.block_dims.clone(),
                lambdas,
                seed: projector.seed,
                k: projector.k,
                adapter_sha256,
            },
            dims,
            grads: rows.into_iter().flatten().collect(),
            datainf,
        }
    }

    pub fn len(&self) -> usize {
        self.meta.record_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the index holds in memory (its gradients and DataInf matrices).
    pub fn byte_size(&self) -> usize {
        let floats = self.grads.len() + self.datainf.iter().map(Vec::len).sum::<usize>();
        floats * std::mem::size_of::<f32>()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.grads[i * self.dims..(i + 1) * self.dims]
    }

    /// The query vector that scores records by one dot product each.
    fn precondition(&self, q: &[f32], method: Method) -> Vec<f32> {
        match method {
            Method::Tracin => q.to_vec(),
            Method::Datainf => {
                let n = self.len().max(1) as f64;
                let mut out = Vec::with_capacity(q.len());
                let mut off = 0;
                for (b, &d) in self.meta.block_dims.iter().enumerate() {
                    let qb = &q[off..off + d];
                    let m = &self.datainf[b];
                    let lambda = self.meta.lambdas[b];
                    for i in 0..d {
                        let mq = dot(&m[i * d..(i + 1) * d], qb);
                        out.push(((qb[i] as f64 - mq / n) / lambda) as f32);
                    }
                    off += d;
                }
                out
            }
        }
    }

    /// Raw influence of every record on an output with projected gradient `q`.
    pub fn scores(&self, q: &[f32], method: Method) -> Result<Vec<f64>> {
        if q.len() != self.dims {
            return Err(Error::Invalid(format!(
                "query gradient has {} values, the index {}",
                q.len(),
                self.dims
            )));
        }
        let v = self.precondition(q, method);
        Ok(self
            .grads
            .par_chunks(self.dims)
            .map(|row| dot(row, &v))
            .collect())
    }

    /// Like [`scores`](Self::scores), but each record's gradient is unit-normalised (cosine
    /// similarity to the preconditioned query, as in TrackStar): records with large gradients,
    /// typically the hard or mislabelled ones, no longer dominate every query.
    pub fn scores_normalized(&self, q: &[f32], method: Method) -> Result<Vec<f64>> {
        let raw = self.scores(q, method)?;
        let v = self.precondition(q, method);
        let vn = dot(&v, &v).sqrt().max(1e-30);
        Ok(self
            .grads
            .par_chunks(self.dims)
            .zip(raw.par_iter())
            .map(|(row, s)| s / (dot(row, row).sqrt().max(1e-30) * vn))
            .collect())
    }

    /// Scores by method, normalised or not.
    pub fn score(&self, q: &[f32], method: Method, normalize: bool) -> Result<Vec<f64>> {
        if normalize {
            self.scores_normalized(q, method)
        } else {
            self.scores(q, method)
        }
    }

    /// Every record's self-influence `gᵢᵀ H⁻¹ gᵢ` (TracIn: `‖gᵢ‖²`).
    pub fn self_scores(&self, method: Method) -> Vec<f64> {
        (0..self.len())
            .into_par_iter()
            .map(|i| {
                let g = self.row(i);
                let v = self.precondition(g, method);
                dot(g, &v)
            })
            .collect()
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let grads: Vec<u8> = self.grads.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mats: Vec<Vec<u8>> = self
            .datainf
            .iter()
            .map(|m| m.iter().flat_map(|v| v.to_le_bytes()).collect())
            .collect();
        let st =
            |e: safetensors::SafeTensorError| Error::Invalid(format!("{}: {e}", path.display()));
        let mut views = vec![(
            "grads".to_string(),
            safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                vec![self.len(), self.dims],
                &grads,
            )
            .map_err(st)?,
        )];
        for (b, m) in mats.iter().enumerate() {
            let d = self.meta.block_dims[b];
            views.push((
                format!("datainf.{b}"),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![d, d], m)
                    .map_err(st)?,
            ));
        }
        let meta = serde_json::to_string(&self.meta).map_err(|e| Error::Invalid(e.to_string()))?;
        let mut md = std::collections::HashMap::new();
        md.insert("openledger.influence".to_string(), meta);
        let bytes = safetensors::serialize(views, Some(md)).map_err(st)?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let err = |reason: String| Error::Adapter {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let (_, header) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| err(e.to_string()))?;
        let meta: IndexMeta = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get("openledger.influence"))
            .ok_or_else(|| err("not an influence index (no metadata)".into()))
            .and_then(|s| serde_json::from_str(s).map_err(|e| err(e.to_string())))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| err(e.to_string()))?;
        let f32s = |name: &str, want: &[usize]| -> Result<Vec<f32>> {
            let t = st
                .tensor(name)
                .map_err(|_| err(format!("missing `{name}`")))?;
            if t.shape() != want || t.dtype() != safetensors::Dtype::F32 {
                return Err(err(format!(
                    "`{name}` has shape {:?}, expected {want:?}",
                    t.shape()
                )));
            }
            Ok(t.data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let dims: usize = meta.block_dims.iter().sum();
        let grads = f32s("grads", &[meta.record_ids.len(), dims])?;
        let datainf = meta
            .block_dims
            .iter()
            .enumerate()
            .map(|(b, &d)| f32s(&format!("datainf.{b}"), &[d, d]))
            .collect::<Result<_>>()?;
        if meta.lambdas.len() != meta.block_dims.len() {
            return Err(err("lambdas and blocks disagree".into()));
        }
        Ok(InfluenceIndex {
            meta,
            dims,
            grads,
            datainf,
        })
    }
}

/// One record's fixed-point score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordScore {
    pub record_id: String,
    pub score: i64,
}

/// Top-k records with fixed-point scores and the sum of the positive ones among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub scores: Vec<RecordScore>,
    pub positive_sum: i64,
}

/// Fixed-point (1e-6) scores relative to the largest absolute score, top `k` by score
/// (ties by record order), with the sum of the positive reported scores.
pub fn top_k(ids: &[String], raw: &[f64], k: usize) -> Attribution {
    let max = raw.iter().fold(0f64, |a, &b| a.max(b.abs()));
    let fixed: Vec<i64> = raw
        .iter()
        .map(|&s| {
            if max > 0.0 && s.is_finite() {
                (s / max * 1e6).round() as i64
            } else {
                0
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| fixed[b].cmp(&fixed[a]).then(a.cmp(&b)));
    order.truncate(k);
    let scores: Vec<RecordScore> = order
        .iter()
        .map(|&i| RecordScore {
            record_id: ids[i].clone(),
            score: fixed[i],
        })
        .collect();
    let positive_sum = scores.iter().map(|s| s.score.max(0)).sum();
    Attribution {
        scores,
        positive_sum,
    }
}

/// Builds the index of `examples` for `adapter`; `progress(done, total)`.
pub fn build_index(
    base: &BaseModel,
    adapter: &LoraAdapter,
    ids: Vec<String>,
    examples: &[Example],
    seed: u64,
    target_dims: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<InfluenceIndex> {
    let proj = Projector::new(adapter, base, seed, target_dims);
    let mut rows = Vec::with_capacity(examples.len());
    for (i, ex) in examples.iter().enumerate() {
        rows.push(proj.gradient(base, adapter, ex)?);
        progress(i + 1, examples.len());
    }
    Ok(InfluenceIndex::build(
        ids,
        &proj,
        rows,
        adapter.config.adapter_sha256.clone(),
    ))
}

/// The projector an index was built with.
pub fn projector_for(
    index: &InfluenceIndex,
    adapter: &LoraAdapter,
    base: &BaseModel,
) -> Result<Projector> {
    let p = Projector::with_k(adapter, base, index.meta.seed, index.meta.k);
    if p.block_dims != index.meta.block_dims {
        return Err(Error::Invalid(
            "the influence index does not match the adapter's shape; rebuild it with `index`"
                .into(),
        ));
    }
    Ok(p)
}

/// Area under the ROC curve of `scores` for telling `positive` items apart (ties count half).
pub fn auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut pos = 0f64;
    let mut total = 0f64;
    for (i, &si) in scores.iter().enumerate() {
        if !positive[i] {
            continue;
        }
        for (j, &sj) in scores.iter().enumerate() {
            if positive[j] {
                continue;
            }
            total += 1.0;
            if si > sj {
                pos += 1.0;
            } else if si == sj {
                pos += 0.5;
            }
        }
    }
    if total == 0.0 { 0.5 } else { pos / total }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_is_fixed_point_and_sums_positives() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let a = top_k(&ids, &[0.5, -2.0, 1.0, 0.25], 3);
        assert_eq!(
            a.scores[0],
            RecordScore {
                record_id: "c".into(),
                score: 500_000
            }
        );
        assert_eq!(a.scores[1].score, 250_000);
        assert_eq!(a.scores[2].score, 125_000);
        assert_eq!(a.positive_sum, 875_000);
        let z = top_k(&ids, &[0.0; 4], 2);
        assert_eq!(z.positive_sum, 0);
        assert_eq!(z.scores[0].record_id, "a");
    }

    #[test]
    fn datainf_matches_the_closed_form_written_out() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let blocks = vec![3usize, 5];
        let rows: Vec<Vec<f32>> = (0..7)
            .map(|_| (0..8).map(|_| rng.gen_range(-1.0f32..1.0)).collect())
            .collect();
        let q: Vec<f32> = (0..8).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
        let ids = (0..7).map(|i| i.to_string()).collect();
        let index = InfluenceIndex::build(
            ids,
            &Projector::synthetic(blocks.clone()),
            rows.clone(),
            String::new(),
        );
        let got = index.scores(&q, Method::Datainf).unwrap();
        let n = rows.len() as f64;
        let mut want = vec![0f64; rows.len()];
        let mut off = 0;
        for &d in &blocks {
            let b = |v: &[f32]| v[off..off + d].to_vec();
            let norms: Vec<f64> = rows.iter().map(|g| dot(&b(g), &b(g))).collect();
            let lambda = 0.1 * norms.iter().sum::<f64>() / n;
            for (i, gi) in rows.iter().enumerate() {
                let mut s = dot(&b(&q), &b(gi));
                for (j, gj) in rows.iter().enumerate() {
                    s -= dot(&b(&q), &b(gj)) * dot(&b(gj), &b(gi)) / (lambda + norms[j]) / n;
                }
                want[i] += s / lambda;
            }
            off += d;
        }
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() < 1e-3 * w.abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
        let tracin = index.scores(&q, Method::Tracin).unwrap();
        assert!((tracin[2] - dot(&q, &rows[2])).abs() < 1e-9);
        let cos = index.scores_normalized(&q, Method::Tracin).unwrap();
        assert!(cos.iter().all(|c| c.abs() <= 1.0 + 1e-9));
    }

    #[test]
    fn auc_of_perfect_and_random_rankings() {
        assert_eq!(auc(&[3.0, 2.0, 1.0, 0.0], &[true, true, false, false]), 1.0);
        assert_eq!(auc(&[0.0, 1.0], &[true, false]), 0.0);
        assert_eq!(auc(&[1.0, 1.0], &[true, false]), 0.5);
    }
}
