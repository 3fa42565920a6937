//! The token embedding, which is also the output head when the two are tied.

use burn::prelude::*;

/// The embedding matrix `[vocab, hidden]`.
#[derive(Debug, Clone)]
pub enum Embedding {
    Dense(Tensor<2>),
}

impl Embedding {
    /// (vocabulary, hidden) size.
    pub fn dims(&self) -> (usize, usize) {
        match self {
            Embedding::Dense(w) => {
                let [v, h] = w.dims();
                (v, h)
            }
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Embedding::Dense(w) => w.device(),
        }
    }

    /// The rows of `tokens` `[b, t]`: `[b, t, hidden]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        match self {
            Embedding::Dense(w) => burn::tensor::module::embedding(w.clone(), tokens),
        }
    }

    /// The tied output head: logits `x·Eᵀ` `[b, t, vocab]` for hidden states `x` `[b, t, hidden]`.
    pub fn head(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            Embedding::Dense(w) => {
                // E·xᵀ keeps the large embedding matrix in its stored layout.
                let [b, t, d] = x.dims();
                let v = w.dims()[0];
                w.clone()
                    .matmul(x.reshape([b * t, d]).transpose())
                    .transpose()
                    .reshape([b, t, v])
            }
        }
    }

    /// The matrix `[vocab, hidden]` as a dense tensor (dequantised if need be).
    pub fn weight(&self) -> Tensor<2> {
        match self {
            Embedding::Dense(w) => w.clone(),
        }
    }
}
