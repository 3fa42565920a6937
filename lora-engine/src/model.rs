//! A Llama-architecture decoder: RMSNorm, rotary position embeddings, grouped-query attention,
//! SwiGLU feed-forward, tied or separate output head. One code path for every burn backend.
//!
//! Weights are kept in Hugging Face order (rotary pairs are the two halves of a head, not
//! adjacent values); the GGUF loader undoes llama.cpp's permutation of the Q and K rows.

use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, RmsNorm, RmsNormConfig};
use burn::prelude::*;
use burn::tensor::activation::{silu, softmax};

use crate::lora::{LoraBatch, Target};

/// Hyper-parameters of a Llama-architecture model.
#[derive(Config, Debug, PartialEq)]
pub struct LlamaConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    #[config(default = 10000.0)]
    pub rope_theta: f64,
    #[config(default = 1e-5)]
    pub rms_eps: f64,
    #[config(default = 2048)]
    pub max_seq_len: usize,
    #[config(default = true)]
    pub tie_embeddings: bool,
}

impl LlamaConfig {
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_heads
    }

    /// (input, output) size of a projection.
    pub fn proj_dims(&self, t: Target) -> (usize, usize) {
        let h = self.hidden_size;
        let kv = self.num_kv_heads * self.head_dim();
        let f = self.intermediate_size;
        match t {
            Target::Q | Target::O => (h, h),
            Target::K | Target::V => (h, kv),
            Target::Gate | Target::Up => (h, f),
            Target::Down => (f, h),
        }
    }

    /// Number of base parameters.
    pub fn num_params(&self) -> usize {
        let per_layer: usize = Target::ALL
            .iter()
            .map(|&t| {
                let (i, o) = self.proj_dims(t);
                i * o
            })
            .sum::<usize>()
            + 2 * self.hidden_size;
        let head = if self.tie_embeddings {
            0
        } else {
            self.vocab_size * self.hidden_size
        };
        self.vocab_size * self.hidden_size + self.num_layers * per_layer + self.hidden_size + head
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.num_heads == 0
            || self.num_kv_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_heads)
            || !self.num_heads.is_multiple_of(self.num_kv_heads)
            || !self.head_dim().is_multiple_of(2)
        {
            return Err(format!(
                "inconsistent attention shape: hidden {} heads {} kv heads {}",
                self.hidden_size, self.num_heads, self.num_kv_heads
            ));
        }
        if self.vocab_size == 0 || self.num_layers == 0 || self.intermediate_size == 0 {
            return Err("empty model dimensions".into());
        }
        Ok(())
    }

    /// Initialises a model with small random weights (the tiny test model).
    pub fn init(&self, device: &Device) -> Llama {
        let lin = |i, o| {
            LinearConfig::new(i, o)
                .with_bias(false)
                .with_initializer(burn::nn::Initializer::Normal {
                    mean: 0.0,
                    std: 0.5 / (i as f64).sqrt(),
                })
                .init(device)
        };
        let norm = || {
            RmsNormConfig::new(self.hidden_size)
                .with_epsilon(self.rms_eps)
                .init(device)
        };
        let (kv_in, kv_out) = self.proj_dims(Target::K);
        let layers = (0..self.num_layers)
            .map(|_| Block {
                attn_norm: norm(),
                wq: lin(self.hidden_size, self.hidden_size),
                wk: lin(kv_in, kv_out),
                wv: lin(kv_in, kv_out),
                wo: lin(self.hidden_size, self.hidden_size),
                ffn_norm: norm(),
                gate: lin(self.hidden_size, self.intermediate_size),
                up: lin(self.hidden_size, self.intermediate_size),
                down: lin(self.intermediate_size, self.hidden_size),
            })
            .collect();
        Llama {
            embed: EmbeddingConfig::new(self.vocab_size, self.hidden_size)
                .with_initializer(burn::nn::Initializer::Normal {
                    mean: 0.0,
                    std: 1.0,
                })
                .init(device),
            layers,
            norm: norm(),
            lm_head: (!self.tie_embeddings).then(|| lin(self.hidden_size, self.vocab_size)),
            num_heads: self.num_heads,
            num_kv_heads: self.num_kv_heads,
            rope_theta: self.rope_theta,
        }
    }
}

/// One decoder layer.
#[derive(Module, Debug)]
pub struct Block {
    pub attn_norm: RmsNorm,
    pub wq: Linear,
    pub wk: Linear,
    pub wv: Linear,
    pub wo: Linear,
    pub ffn_norm: RmsNorm,
    pub gate: Linear,
    pub up: Linear,
    pub down: Linear,
}

/// The decoder.
#[derive(Module, Debug)]
pub struct Llama {
    pub embed: Embedding,
    pub layers: Vec<Block>,
    pub norm: RmsNorm,
    /// `None` when the output head is tied to the embeddings.
    pub lm_head: Option<Linear>,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub rope_theta: f64,
}

/// Per-layer key/value cache, plus which cached positions are padding.
#[derive(Debug, Clone)]
pub struct KvCache {
    layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    /// `[batch][position]`: true where the position is left padding.
    pad: Vec<Vec<bool>>,
}

impl KvCache {
    pub fn new(num_layers: usize, batch: usize) -> Self {
        KvCache {
            layers: vec![None; num_layers],
            pad: vec![Vec::new(); batch],
        }
    }

    pub fn len(&self) -> usize {
        self.pad.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Inputs of one forward pass besides the tokens.
#[derive(Default)]
pub struct Forward<'a> {
    /// `[batch][token]`: true for padding tokens (left padding for generation, right for training).
    pub pad: Option<&'a [Vec<bool>]>,
    pub cache: Option<&'a mut KvCache>,
    pub lora: Option<&'a LoraBatch>,
}

fn rotate_half(x: Tensor<4>) -> Tensor<4> {
    let d = x.dims()[3];
    let x1 = x.clone().narrow(3, 0, d / 2);
    let x2 = x.narrow(3, d / 2, d / 2);
    Tensor::cat(vec![x2.neg(), x1], 3)
}

impl Llama {
    pub fn head_dim(&self) -> usize {
        self.embed.weight.dims()[1] / self.num_heads
    }

    pub fn vocab_size(&self) -> usize {
        self.embed.weight.dims()[0]
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    fn device(&self) -> Device {
        self.embed.weight.val().device()
    }

    /// cos and sin tables `[1, 1, t, head_dim]` for positions `start..start + t`.
    fn rope(&self, start: usize, t: usize) -> (Tensor<4>, Tensor<4>) {
        let hd = self.head_dim();
        let half = hd / 2;
        let mut cos = Vec::with_capacity(t * hd);
        let mut sin = Vec::with_capacity(t * hd);
        for p in start..start + t {
            for _half in 0..2 {
                for i in 0..half {
                    let freq = self.rope_theta.powf(-2.0 * i as f64 / hd as f64);
                    let a = p as f64 * freq;
                    cos.push(a.cos() as f32);
                    sin.push(a.sin() as f32);
                }
            }
        }
        let dev = self.device();
        let mk = |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, [1, 1, t, hd]), &dev);
        (mk(cos), mk(sin))
    }

    /// Additive attention bias `[b, 1, t, past + t]`: causal, and masking padded keys.
    fn mask(&self, b: usize, t: usize, past: usize, pad: &[Vec<bool>]) -> Option<Tensor<4>> {
        let total = past + t;
        let any_pad = pad.iter().any(|r| r.iter().any(|&p| p));
        if t == 1 && !any_pad {
            return None;
        }
        let mut m = vec![0f32; b * t * total];
        for r in 0..b {
            for i in 0..t {
                for j in 0..total {
                    let masked =
                        j > past + i || pad.get(r).and_then(|p| p.get(j)).copied().unwrap_or(false);
                    if masked {
                        m[(r * t + i) * total + j] = -1e9;
                    }
                }
            }
        }
        Some(Tensor::<4>::from_data(
            TensorData::new(m, [b, 1, t, total]),
            &self.device(),
        ))
    }

    /// Logits `[b, t, vocab]` for `tokens` `[b, t]`.
    pub fn forward(&self, tokens: Tensor<2, Int>, mut ctx: Forward<'_>) -> Tensor<3> {
        let x = self.hidden(tokens, &mut ctx);
        self.logits(x)
    }

    /// Final hidden states `[b, t, hidden]`, after the last norm.
    pub fn hidden(&self, tokens: Tensor<2, Int>, ctx: &mut Forward<'_>) -> Tensor<3> {
        let [b, t] = tokens.dims();
        let past = ctx.cache.as_ref().map_or(0, |c| c.len());
        // Padding of every key position: cached positions, then these tokens.
        let mut pad: Vec<Vec<bool>> = match &ctx.cache {
            Some(c) => c.pad.clone(),
            None => vec![Vec::new(); b],
        };
        for (r, row) in pad.iter_mut().enumerate() {
            match ctx.pad.and_then(|p| p.get(r)) {
                Some(p) => row.extend(p.iter().copied().chain(std::iter::repeat(false)).take(t)),
                None => row.extend(std::iter::repeat_n(false, t)),
            }
        }
        let mask = self.mask(b, t, past, &pad);
        let (cos, sin) = self.rope(past, t);
        let mut x = self.embed.forward(tokens);
        for (l, block) in self.layers.iter().enumerate() {
            let cache = ctx.cache.as_mut().map(|c| &mut c.layers[l]);
            x = self.block(block, l, x, &cos, &sin, mask.clone(), cache, ctx.lora);
        }
        if let Some(c) = ctx.cache.as_mut() {
            c.pad = pad;
        }
        self.norm.forward(x)
    }

    /// Output head over hidden states.
    pub fn logits(&self, x: Tensor<3>) -> Tensor<3> {
        match &self.lm_head {
            Some(h) => h.forward(x),
            None => {
                // E·xᵀ keeps the large embedding matrix in its stored layout.
                let [b, t, d] = x.dims();
                let v = self.vocab_size();
                self.embed
                    .weight
                    .val()
                    .matmul(x.reshape([b * t, d]).transpose())
                    .transpose()
                    .reshape([b, t, v])
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn block(
        &self,
        blk: &Block,
        layer: usize,
        x: Tensor<3>,
        cos: &Tensor<4>,
        sin: &Tensor<4>,
        mask: Option<Tensor<4>>,
        cache: Option<&mut Option<(Tensor<4>, Tensor<4>)>>,
        lora: Option<&LoraBatch>,
    ) -> Tensor<3> {
        let [b, t, hidden] = x.dims();
        let hd = self.head_dim();
        let (h, kvh) = (self.num_heads, self.num_kv_heads);
        let proj = |lin: &Linear, target: Target, input: Tensor<3>| -> Tensor<3> {
            let y = lin.forward(input.clone());
            match lora {
                Some(l) => l.apply(layer, target, input, y),
                None => y,
            }
        };
        let hn = blk.attn_norm.forward(x.clone());
        let q = proj(&blk.wq, Target::Q, hn.clone())
            .reshape([b, t, h, hd])
            .swap_dims(1, 2);
        let k = proj(&blk.wk, Target::K, hn.clone())
            .reshape([b, t, kvh, hd])
            .swap_dims(1, 2);
        let v = proj(&blk.wv, Target::V, hn)
            .reshape([b, t, kvh, hd])
            .swap_dims(1, 2);
        let q = q.clone() * cos.clone() + rotate_half(q) * sin.clone();
        let k = k.clone() * cos.clone() + rotate_half(k) * sin.clone();
        let (k, v) = match cache {
            Some(slot) => {
                let (k, v) = match slot.take() {
                    Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
                    None => (k, v),
                };
                *slot = Some((k.clone(), v.clone()));
                (k, v)
            }
            None => (k, v),
        };
        let total = k.dims()[2];
        let rep = h / kvh;
        let (k, v) = if rep > 1 {
            (
                k.unsqueeze_dim::<5>(2)
                    .repeat_dim(2, rep)
                    .reshape([b, h, total, hd]),
                v.unsqueeze_dim::<5>(2)
                    .repeat_dim(2, rep)
                    .reshape([b, h, total, hd]),
            )
        } else {
            (k, v)
        };
        let mut scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt();
        if let Some(m) = mask {
            scores = scores + m;
        }
        let attn = softmax(scores, 3)
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([b, t, hidden]);
        let x = x + proj(&blk.wo, Target::O, attn);
        let hn = blk.ffn_norm.forward(x.clone());
        let g = silu(proj(&blk.gate, Target::Gate, hn.clone()));
        let u = proj(&blk.up, Target::Up, hn);
        x + proj(&blk.down, Target::Down, g * u)
    }

    /// The weight `[in, out]` of a projection.
    pub fn proj_weight(&self, layer: usize, t: Target) -> &Param<Tensor<2>> {
        let b = &self.layers[layer];
        match t {
            Target::Q => &b.wq.weight,
            Target::K => &b.wk.weight,
            Target::V => &b.wv.weight,
            Target::O => &b.wo.weight,
            Target::Gate => &b.gate.weight,
            Target::Up => &b.up.weight,
            Target::Down => &b.down.weight,
        }
    }

    pub fn proj_weight_mut(&mut self, layer: usize, t: Target) -> &mut Param<Tensor<2>> {
        let b = &mut self.layers[layer];
        match t {
            Target::Q => &mut b.wq.weight,
            Target::K => &mut b.wk.weight,
            Target::V => &mut b.wv.weight,
            Target::O => &mut b.wo.weight,
            Target::Gate => &mut b.gate.weight,
            Target::Up => &mut b.up.weight,
            Target::Down => &mut b.down.weight,
        }
    }
}
