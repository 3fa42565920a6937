//! A projection of a decoder layer: the frozen base weight plus, for one forward pass, an
//! optional low-rank delta `x·A·B`. This is the one place where adapters enter the model; the
//! model sees only low-rank pairs, never how adapters are stored, scaled or chosen.

use std::fmt;
use std::sync::Arc;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::quant::{self, QuantMatrix};

/// A projection of a decoder layer (what an adapter can target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Q,
    K,
    V,
    O,
    Gate,
    Up,
    Down,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Q,
        Target::K,
        Target::V,
        Target::O,
        Target::Gate,
        Target::Up,
        Target::Down,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Q => "q",
            Target::K => "k",
            Target::V => "v",
            Target::O => "o",
            Target::Gate => "gate",
            Target::Up => "up",
            Target::Down => "down",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A low-rank update of one projection, scale folded into `b`.
#[derive(Debug, Clone)]
pub enum LowRank {
    /// Every row uses `a` `[in, r]` and `b` `[r, out]`.
    Shared { a: Tensor<2>, b: Tensor<2> },
    /// Row `i` uses `a[i]` `[in, r]` and `b[i]` `[r, out]`; rows without an update hold zeros.
    PerRow { a: Tensor<3>, b: Tensor<3> },
}

/// The low-rank deltas of one forward pass, per layer and projection.
#[derive(Debug, Clone)]
pub struct Deltas {
    /// `layers[l][target.index()]`.
    pub layers: Vec<[Option<LowRank>; 7]>,
    /// Dropout probability on the delta's input, for training.
    pub dropout: Option<f64>,
}

impl Deltas {
    /// No delta on any of `num_layers` layers.
    pub fn empty(num_layers: usize) -> Self {
        Deltas {
            layers: vec![[(); 7].map(|_| None); num_layers],
            dropout: None,
        }
    }

    /// The delta of one projection, if any.
    pub fn get(&self, layer: usize, target: Target) -> Option<Delta<'_>> {
        let pair = self.layers.get(layer)?[target.index()].as_ref()?;
        Some(Delta {
            pair,
            dropout: self.dropout,
        })
    }
}

/// One projection's delta as a forward pass applies it.
#[derive(Debug, Clone, Copy)]
pub struct Delta<'a> {
    pub pair: &'a LowRank,
    pub dropout: Option<f64>,
}

impl Delta<'_> {
    /// `dropout(x)·A·B` for `x` `[b, t, in]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = match self.dropout {
            Some(p) if p > 0.0 => {
                let keep = x.random_like(burn::tensor::Distribution::Bernoulli(1.0 - p));
                x * keep / (1.0 - p)
            }
            _ => x,
        };
        match self.pair {
            LowRank::Shared { a, b } => x
                .matmul(a.clone().unsqueeze_dim(0))
                .matmul(b.clone().unsqueeze_dim(0)),
            LowRank::PerRow { a, b } => x.matmul(a.clone()).matmul(b.clone()),
        }
    }
}

/// A frozen base weight: dense `[in, out]` (contiguous: a strided weight makes every matmul
/// copy it), or quantised blocks `[out, in]` as in the GGUF file.
#[derive(Debug, Clone)]
pub enum Weight {
    Dense(Tensor<2>),
    Quantized {
        blocks: Arc<QuantMatrix>,
        device: Device,
    },
}

/// A projection of a decoder layer.
#[derive(Debug, Clone)]
pub struct Projection {
    weight: Weight,
}

impl Projection {
    /// A projection with the dense weight `w` `[in, out]`.
    pub fn dense(w: Tensor<2>) -> Self {
        Projection {
            weight: Weight::Dense(w),
        }
    }

    /// A projection reading quantised blocks `[out, in]` directly.
    pub fn quantized(blocks: QuantMatrix, device: &Device) -> Self {
        Projection {
            weight: Weight::Quantized {
                blocks: Arc::new(blocks),
                device: device.clone(),
            },
        }
    }

    /// (input, output) size.
    pub fn dims(&self) -> (usize, usize) {
        match &self.weight {
            Weight::Dense(w) => {
                let [i, o] = w.dims();
                (i, o)
            }
            Weight::Quantized { blocks, .. } => (blocks.cols, blocks.rows),
        }
    }

    /// How the weight is held.
    pub fn storage(&self) -> &Weight {
        &self.weight
    }

    /// The weight `[in, out]` as a dense tensor (dequantised if need be).
    pub fn weight(&self) -> Tensor<2> {
        match &self.weight {
            Weight::Dense(w) => w.clone(),
            Weight::Quantized { blocks, device } => Tensor::<2>::from_data(
                TensorData::new(blocks.dequantize(), [blocks.rows, blocks.cols]),
                device,
            )
            .transpose(),
        }
    }

    /// Replaces the weight with a dense one (e.g. with an adapter merged in).
    pub fn set_weight(&mut self, w: Tensor<2>) {
        self.weight = Weight::Dense(w);
    }

    /// `x·W (+ delta)` for `x` `[b, t, in]`.
    pub fn forward(&self, x: Tensor<3>, delta: Option<Delta<'_>>) -> Tensor<3> {
        let y = match &self.weight {
            Weight::Dense(w) => burn::tensor::module::linear(x.clone(), w.clone(), None),
            Weight::Quantized { blocks, .. } => quant::op::linear(x.clone(), blocks),
        };
        match delta {
            Some(d) => y + d.forward(x),
            None => y,
        }
    }
}
