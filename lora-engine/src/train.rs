//! ModelFactory fine-tuning: a LoRA adapter trained with burn's autodiff on a frozen base,
//! AdamW, linear warm-up then cosine decay, global-norm gradient clipping, padded batches, a
//! seeded shuffle and an eval split.

use std::path::Path;
use std::time::Instant;

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::base::BaseModel;
use crate::data::{Example, Record, tokenize};
use crate::error::{Error, Result};
use crate::lora::{LoraAdapter, LoraBatch, LoraConfig, LoraPair, Target};
use crate::model::Forward;

/// Training hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub rank: usize,
    pub alpha: f64,
    pub dropout: f64,
    pub targets: Vec<Target>,
    pub epochs: usize,
    pub lr: f64,
    pub batch_size: usize,
    pub seed: u64,
    pub weight_decay: f64,
    /// Fraction of the steps spent warming up.
    pub warmup: f64,
    pub max_grad_norm: f64,
    /// Fraction of records held out for the eval loss.
    pub eval_fraction: f64,
    pub max_len: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            rank: 8,
            alpha: 16.0,
            dropout: 0.0,
            targets: vec![Target::Q, Target::V],
            epochs: 3,
            lr: 2e-3,
            batch_size: 8,
            seed: 42,
            weight_decay: 0.0,
            warmup: 0.1,
            max_grad_norm: 1.0,
            eval_fraction: 0.0,
            max_len: 256,
        }
    }
}

/// What a training run reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainReport {
    /// (step, train loss).
    pub train_loss: Vec<(usize, f64)>,
    /// (step, eval loss), after every epoch.
    pub eval_loss: Vec<(usize, f64)>,
    pub steps: usize,
    pub records_per_s: f64,
    pub seconds: f64,
    pub train_records: usize,
    pub eval_records: usize,
}

/// Progress callback: (step, total steps, loss, records/s).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, f64, f64);

/// Learning rate at `step` of `total`: linear warm-up, then cosine decay to 10%.
pub fn lr_at(cfg: &TrainConfig, step: usize, total: usize) -> f64 {
    let warm = ((cfg.warmup * total as f64).round() as usize).max(1);
    if step < warm {
        return cfg.lr * (step + 1) as f64 / warm as f64;
    }
    let p = (step - warm) as f64 / (total - warm).max(1) as f64;
    cfg.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
}

/// Token ids `[b, t]`, targets `[b, t]` and target mask `[b, t]` of a right-padded batch (inputs
/// are `ids[..-1]`, targets `ids[1..]`).
pub(crate) fn batch_tensors(
    examples: &[&Example],
    pad_id: u32,
    device: &Device,
) -> (
    Tensor<2, Int>,
    Tensor<2, Int>,
    Tensor<2>,
    Vec<Vec<bool>>,
    usize,
) {
    let b = examples.len();
    let t = examples
        .iter()
        .map(|e| e.ids.len() - 1)
        .max()
        .unwrap_or(1)
        .max(1);
    let mut inp = Vec::with_capacity(b * t);
    let mut tgt = Vec::with_capacity(b * t);
    let mut mask = Vec::with_capacity(b * t);
    let mut pad = Vec::with_capacity(b);
    let mut n = 0;
    for e in examples {
        let len = e.ids.len() - 1;
        let mut row_pad = Vec::with_capacity(t);
        for i in 0..t {
            if i < len {
                inp.push(e.ids[i] as i64);
                tgt.push(e.ids[i + 1] as i64);
                let m = e.target[i + 1];
                n += m as usize;
                mask.push(if m { 1f32 } else { 0f32 });
                row_pad.push(false);
            } else {
                inp.push(pad_id as i64);
                tgt.push(0);
                mask.push(0.0);
                row_pad.push(true);
            }
        }
        pad.push(row_pad);
    }
    (
        Tensor::from_data(TensorData::new(inp, [b, t]), device),
        Tensor::from_data(TensorData::new(tgt, [b, t]), device),
        Tensor::from_data(TensorData::new(mask, [b, t]), device),
        pad,
        n,
    )
}

/// Per-row mean negative log-likelihood over target tokens, summed over rows, when
/// `per_row_mean`, else the mean over all target tokens. Returns a scalar tensor.
///
/// The output head runs only at target positions: for a chat record most positions are the
/// prompt, and the head (vocabulary × hidden) is the largest matrix of the model.
pub(crate) fn loss(
    base: &BaseModel,
    examples: &[&Example],
    lora: Option<&LoraBatch>,
    per_row_mean: bool,
) -> Tensor<1> {
    let pad_id = base.tokenizer.spec.pad.unwrap_or(base.tokenizer.spec.eos);
    let (inp, _, _, pad, n) = batch_tensors(examples, pad_id, &base.device);
    let [b, t] = inp.dims();
    let hidden = base.model.hidden(
        inp,
        &mut Forward {
            pad: Some(&pad),
            cache: None,
            lora,
        },
    );
    // Flat positions of the targets, their next tokens and their weights in the loss.
    let (mut at, mut next, mut weight) = (Vec::new(), Vec::new(), Vec::new());
    for (r, e) in examples.iter().enumerate() {
        let len = e.ids.len().saturating_sub(1).min(t);
        let count = (0..len).filter(|&i| e.target[i + 1]).count();
        for i in (0..len).filter(|&i| e.target[i + 1]) {
            at.push((r * t + i) as i64);
            next.push(e.ids[i + 1] as i64);
            weight.push(if per_row_mean {
                1.0 / count as f32
            } else {
                1.0 / n.max(1) as f32
            });
        }
    }
    let k = at.len();
    let device = &base.device;
    if k == 0 {
        return hidden.sum().reshape([1]) * 0.0;
    }
    let d = hidden.dims()[2];
    let rows = hidden.reshape([b * t, d]).select(
        0,
        Tensor::<1, Int>::from_data(TensorData::new(at, [k]), device),
    );
    let lp = log_softmax(base.model.logits(rows.unsqueeze_dim(0)), 2);
    let next = Tensor::<3, Int>::from_data(TensorData::new(next, [1, k, 1]), device);
    let picked = lp.gather(2, next).reshape([k]);
    let weight = Tensor::<1>::from_data(TensorData::new(weight, [k]), device);
    (picked.neg() * weight).sum().reshape([1])
}

/// The trainable view of an adapter on the autodiff device.
pub(crate) struct Trainable {
    /// `(a, b)` per layer and target, in adapter order, tracking gradients.
    pub params: Vec<Vec<(Tensor<2>, Tensor<2>)>>,
}

impl Trainable {
    pub fn new(adapter: &LoraAdapter) -> Self {
        let params = adapter
            .layers
            .iter()
            .map(|row| {
                row.iter()
                    .map(|m| {
                        (
                            m.a.val().autodiff().require_grad(),
                            m.b.val().autodiff().require_grad(),
                        )
                    })
                    .collect()
            })
            .collect();
        Trainable { params }
    }

    pub fn batch(&self, adapter: &LoraAdapter, dropout: Option<f64>) -> LoraBatch {
        let s = adapter.config.scale();
        let mut layers = vec![[(); 7].map(|_| None); self.params.len()];
        for (l, row) in self.params.iter().enumerate() {
            for (&t, (a, b)) in adapter.config.targets.iter().zip(row) {
                layers[l][t.index()] = Some(LoraPair::Shared {
                    a: a.clone(),
                    b: b.clone() * s,
                });
            }
        }
        LoraBatch { layers, dropout }
    }
}

struct AdamW {
    m: Vec<Tensor<2>>,
    v: Vec<Tensor<2>>,
    t: i32,
}

/// Splits records into (train, eval) deterministically from the seed.
pub fn split(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    idx.shuffle(&mut rng);
    let n_eval = ((n as f64 * fraction).round() as usize).min(n.saturating_sub(1));
    let eval = idx[..n_eval].to_vec();
    let mut train = idx[n_eval..].to_vec();
    train.sort();
    (train, eval)
}

/// Trains a new adapter on `records`.
pub fn train(
    base: &BaseModel,
    records: &[Record],
    data_path: &Path,
    cfg: &TrainConfig,
    progress: Progress<'_>,
) -> Result<(LoraAdapter, TrainReport)> {
    if cfg.rank == 0 || cfg.batch_size == 0 || cfg.epochs == 0 {
        return Err(Error::Invalid(
            "rank, batch size and epochs must be positive".into(),
        ));
    }
    let examples: Vec<Example> = records
        .iter()
        .map(|r| {
            tokenize(
                &base.tokenizer,
                r,
                cfg.max_len.min(base.config.max_seq_len),
                data_path,
            )
        })
        .collect::<Result<_>>()?;
    let (train_idx, eval_idx) = split(examples.len(), cfg.eval_fraction, cfg.seed);
    let lcfg = LoraConfig {
        rank: cfg.rank,
        alpha: cfg.alpha,
        dropout: cfg.dropout,
        targets: cfg.targets.clone(),
        base: base.fingerprint.clone(),
        adapter_sha256: String::new(),
        training: serde_json::to_value(cfg).unwrap_or_default(),
    };
    let mut adapter = LoraAdapter::init(lcfg, &base.config, cfg.seed, &base.device);
    base.device.seed(cfg.seed);
    let steps_per_epoch = train_idx.len().div_ceil(cfg.batch_size);
    let total = steps_per_epoch * cfg.epochs;
    let mut opt = AdamW {
        m: Vec::new(),
        v: Vec::new(),
        t: 0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut report = TrainReport {
        train_records: train_idx.len(),
        eval_records: eval_idx.len(),
        ..Default::default()
    };
    let start = Instant::now();
    let mut seen = 0usize;
    let mut step = 0usize;
    for _epoch in 0..cfg.epochs {
        let mut order = train_idx.clone();
        order.shuffle(&mut rng);
        for chunk in order.chunks(cfg.batch_size) {
            let batch: Vec<&Example> = chunk.iter().map(|&i| &examples[i]).collect();
            let tr = Trainable::new(&adapter);
            let lora = tr.batch(&adapter, (cfg.dropout > 0.0).then_some(cfg.dropout));
            let l = loss(base, &batch, Some(&lora), false);
            let grads = l.backward();
            let loss_value = l.clone().inner().into_scalar::<f32>() as f64;
            let mut gs = Vec::new();
            for row in &tr.params {
                for (a, b) in row {
                    for p in [a, b] {
                        let g = p.grad(&grads).ok_or_else(|| {
                            Error::Model("no gradient for a LoRA parameter".into())
                        })?;
                        gs.push(g);
                    }
                }
            }
            let norm = gs
                .iter()
                .map(|g| g.clone().square().sum().into_scalar::<f32>() as f64)
                .sum::<f64>()
                .sqrt();
            let clip = if norm > cfg.max_grad_norm && norm > 0.0 {
                cfg.max_grad_norm / norm
            } else {
                1.0
            };
            let lr = lr_at(cfg, step, total);
            step_adamw(&mut opt, &mut adapter, gs, clip, lr, cfg.weight_decay);
            step += 1;
            seen += batch.len();
            let rps = seen as f64 / start.elapsed().as_secs_f64().max(1e-9);
            report.train_loss.push((step, loss_value));
            progress(step, total, loss_value, rps);
        }
        if !eval_idx.is_empty() {
            let e = eval_loss(
                base,
                &adapter,
                &eval_idx.iter().map(|&i| &examples[i]).collect::<Vec<_>>(),
                cfg.batch_size,
            );
            report.eval_loss.push((step, e));
        }
    }
    report.steps = step;
    report.seconds = start.elapsed().as_secs_f64();
    report.records_per_s = seen as f64 / report.seconds.max(1e-9);
    adapter.config.training = serde_json::json!({
        "config": cfg,
        "steps": report.steps,
        "final_train_loss": report.train_loss.last().map(|x| x.1),
        "final_eval_loss": report.eval_loss.last().map(|x| x.1),
    });
    Ok((adapter, report))
}

fn step_adamw(
    opt: &mut AdamW,
    adapter: &mut LoraAdapter,
    grads: Vec<Tensor<2>>,
    clip: f64,
    lr: f64,
    wd: f64,
) {
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    opt.t += 1;
    if opt.m.is_empty() {
        opt.m = grads.iter().map(|g| g.zeros_like()).collect();
        opt.v = grads.iter().map(|g| g.zeros_like()).collect();
    }
    let bc1 = 1.0 - b1.powi(opt.t);
    let bc2 = 1.0 - b2.powi(opt.t);
    let mut i = 0;
    for row in adapter.layers.iter_mut() {
        for m in row.iter_mut() {
            for p in [&mut m.a, &mut m.b] {
                let g = grads[i].clone() * clip;
                let mm = opt.m[i].clone() * b1 + g.clone() * (1.0 - b1);
                let vv = opt.v[i].clone() * b2 + g.square() * (1.0 - b2);
                let w = p.val();
                let update =
                    (mm.clone() / bc1) / ((vv.clone() / bc2).sqrt() + eps) + w.clone() * wd;
                *p = burn::module::Param::from_tensor(w - update * lr);
                opt.m[i] = mm;
                opt.v[i] = vv;
                i += 1;
            }
        }
    }
}

/// Mean per-token loss of `examples` under `adapter` (no gradients).
pub fn eval_loss(
    base: &BaseModel,
    adapter: &LoraAdapter,
    examples: &[&Example],
    batch_size: usize,
) -> f64 {
    let lora = adapter.batch();
    let mut total = 0.0;
    let mut n = 0usize;
    for chunk in examples.chunks(batch_size.max(1)) {
        let k: usize = chunk.iter().map(|e| e.num_targets()).sum();
        let l = loss(base, chunk, Some(&lora), false).into_scalar::<f32>() as f64;
        total += l * k as f64;
        n += k;
    }
    total / n.max(1) as f64
}
