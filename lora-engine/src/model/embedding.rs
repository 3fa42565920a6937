//! The token embedding, which is also the output head when the two are tied.

use std::sync::Arc;

use burn::prelude::*;

use crate::quant::{self, QuantMatrix};

/// The embedding matrix `[vocab, hidden]`: dense, or quantised blocks as in the GGUF file.
#[derive(Debug, Clone)]
pub enum Embedding {
    Dense(Tensor<2>),
    Quantized {
        blocks: Arc<QuantMatrix>,
        device: Device,
    },
}

impl Embedding {
    /// (vocabulary, hidden) size.
    pub fn dims(&self) -> (usize, usize) {
        match self {
            Embedding::Dense(w) => {
                let [v, h] = w.dims();
                (v, h)
            }
            Embedding::Quantized { blocks, .. } => (blocks.rows, blocks.cols),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Embedding::Dense(w) => w.device(),
            Embedding::Quantized { device, .. } => device.clone(),
        }
    }

    /// The rows of `tokens` `[b, t]`: `[b, t, hidden]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        match self {
            Embedding::Dense(w) => burn::tensor::module::embedding(w.clone(), tokens),
            Embedding::Quantized { blocks, .. } => quant::op::embed(blocks, tokens),
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
            Embedding::Quantized { blocks, .. } => quant::op::linear(x, blocks),
        }
    }

    /// The matrix `[vocab, hidden]` as a dense tensor (dequantised if need be).
    pub fn weight(&self) -> Tensor<2> {
        match self {
            Embedding::Dense(w) => w.clone(),
            Embedding::Quantized { blocks, device } => Tensor::from_data(
                TensorData::new(blocks.dequantize(), [blocks.rows, blocks.cols]),
                device,
            ),
        }
    }
}
