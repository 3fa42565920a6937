//! Hyper-parameters of a Llama-architecture model, and the tiny random model built from them.

use burn::module::Param;
use burn::nn::{EmbeddingConfig, RmsNorm, RmsNormConfig};
use burn::prelude::*;

use super::Llama;
use super::attention::Attention;
use super::block::Block;
use super::embedding::Embedding;
use super::mlp::Mlp;
use super::projection::{Projection, Target};

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

    /// An RMSNorm of the hidden size with this model's epsilon and the given gain.
    pub fn norm(&self, gamma: Tensor<1>) -> RmsNorm {
        RmsNorm {
            gamma: Param::from_tensor(gamma),
            epsilon: self.rms_eps,
        }
    }

    /// Initialises a model with small random weights (the tiny test model).
    pub fn init(&self, device: &Device) -> Llama {
        // Drawn as `[in, out]` in the order burn's `Linear` draws them, so a given seed gives the
        // same model as before projections had their own type.
        let lin = |i: usize, o: usize| {
            let w = burn::nn::LinearConfig::new(i, o)
                .with_bias(false)
                .with_initializer(burn::nn::Initializer::Normal {
                    mean: 0.0,
                    std: 0.5 / (i as f64).sqrt(),
                })
                .init(device)
                .weight
                .val();
            Projection::dense(w)
        };
        let norm = || {
            RmsNormConfig::new(self.hidden_size)
                .with_epsilon(self.rms_eps)
                .init(device)
        };
        let (h, f) = (self.hidden_size, self.intermediate_size);
        let (kv_in, kv_out) = self.proj_dims(Target::K);
        let layers = (0..self.num_layers)
            .map(|_| {
                let attn_norm = norm();
                let (wq, wk, wv, wo) =
                    (lin(h, h), lin(kv_in, kv_out), lin(kv_in, kv_out), lin(h, h));
                let ffn_norm = norm();
                let (gate, up, down) = (lin(h, f), lin(h, f), lin(f, h));
                Block {
                    attn_norm,
                    attn: Attention::new(wq, wk, wv, wo, self.num_heads, self.num_kv_heads),
                    ffn_norm,
                    mlp: Mlp { gate, up, down },
                }
            })
            .collect();
        let embed = Embedding::Dense(
            EmbeddingConfig::new(self.vocab_size, self.hidden_size)
                .with_initializer(burn::nn::Initializer::Normal {
                    mean: 0.0,
                    std: 1.0,
                })
                .init(device)
                .weight
                .val(),
        );
        let norm = norm();
        let lm_head = (!self.tie_embeddings).then(|| lin(h, self.vocab_size));
        Llama::new(self, embed, layers, norm, lm_head, device)
    }
}
