//! A Llama-architecture decoder: RMSNorm, rotary position embeddings, grouped-query attention,
//! SwiGLU feed-forward, tied or separate output head. One code path for every burn backend.
//!
//! Layout, as in llama-burn and candle: [`config`] (hyper-parameters), [`projection`] (a base
//! weight plus an optional low-rank delta, the only way adapters enter), [`attention`], [`mlp`],
//! [`block`] (one decoder layer), [`rope`] (tables built once), [`cache`] (key/value cache and the
//! causal mask built once). The model knows nothing of how adapters are stored.

pub mod attention;
pub mod block;
pub mod cache;
pub mod config;
pub mod embedding;
pub mod mlp;
pub mod projection;
pub mod rope;

use burn::nn::RmsNorm;
use burn::prelude::*;

pub use block::Block;
pub use cache::KvCache;
pub use config::LlamaConfig;
pub use embedding::Embedding;
pub use projection::{Delta, Deltas, LowRank, Projection, Target, Weight};

use cache::CausalMask;
use rope::Rope;

/// The decoder.
#[derive(Debug)]
pub struct Llama {
    pub embed: Embedding,
    pub layers: Vec<Block>,
    pub norm: RmsNorm,
    /// `None` when the output head is tied to the embeddings.
    pub lm_head: Option<Projection>,
    rope: Rope,
    causal: CausalMask,
}

/// Inputs of one forward pass besides the tokens.
#[derive(Default)]
pub struct Forward<'a> {
    /// `[batch][token]`: true for padding tokens (left padding for generation, right for training).
    pub pad: Option<&'a [Vec<bool>]>,
    pub cache: Option<&'a mut KvCache>,
    /// Low-rank deltas on the projections (LoRA adapters, one for the batch or one per row).
    pub lora: Option<&'a Deltas>,
}

/// Where the tokens of one forward pass sit: rotary tables of their positions and the attention
/// bias (causal and padding), shared by every layer.
pub struct Position {
    pub cos: Tensor<4>,
    pub sin: Tensor<4>,
    pub bias: Option<Tensor<4>>,
}

/// Which layer a block runs as, and the deltas of the forward pass.
#[derive(Clone, Copy)]
pub struct Layer<'a> {
    pub index: usize,
    pub deltas: Option<&'a Deltas>,
}

impl<'a> Layer<'a> {
    /// The delta on projection `t` of this layer, if any.
    pub fn delta(&self, t: Target) -> Option<Delta<'a>> {
        self.deltas.and_then(|d| d.get(self.index, t))
    }
}

impl Llama {
    /// Assembles a model; the rotary tables are built here, once.
    pub fn new(
        cfg: &LlamaConfig,
        embed: Embedding,
        layers: Vec<Block>,
        norm: RmsNorm,
        lm_head: Option<Projection>,
        device: &Device,
    ) -> Self {
        Llama {
            embed,
            layers,
            norm,
            lm_head,
            rope: Rope::new(cfg.head_dim(), cfg.rope_theta, cfg.max_seq_len, device),
            causal: CausalMask::default(),
        }
    }

    pub fn vocab_size(&self) -> usize {
        self.embed.dims().0
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    fn device(&self) -> Device {
        self.embed.device()
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
        let device = self.device();
        let (cos, sin) = self.rope.tables(past, t);
        let at = Position {
            cos,
            sin,
            bias: cache::attention_bias(&self.causal, t, past, &pad, &device),
        };
        let mut x = self.embed.forward(tokens);
        for (l, block) in self.layers.iter().enumerate() {
            let cache = ctx.cache.as_mut().map(|c| &mut c.layers[l]);
            let layer = Layer {
                index: l,
                deltas: ctx.lora,
            };
            x = block.forward(x, &at, layer, cache);
        }
        if let Some(c) = ctx.cache.as_mut() {
            c.pad = pad;
        }
        self.norm.forward(x)
    }

    /// Output head over hidden states.
    pub fn logits(&self, x: Tensor<3>) -> Tensor<3> {
        match &self.lm_head {
            Some(h) => h.forward(x, None),
            None => self.embed.head(x),
        }
    }

    /// Projection `t` of layer `layer`.
    pub fn projection(&self, layer: usize, t: Target) -> &Projection {
        self.layers[layer].projection(t)
    }

    pub fn projection_mut(&mut self, layer: usize, t: Target) -> &mut Projection {
        self.layers[layer].projection_mut(t)
    }
}
