//! One decoder layer: pre-norm attention and pre-norm feed-forward, each with a residual.

use burn::nn::RmsNorm;
use burn::prelude::*;

use super::attention::Attention;
use super::mlp::Mlp;
use super::projection::{Projection, Target};
use super::{Layer, Position};

/// One decoder layer.
#[derive(Debug, Clone)]
pub struct Block {
    pub attn_norm: RmsNorm,
    pub attn: Attention,
    pub ffn_norm: RmsNorm,
    pub mlp: Mlp,
}

impl Block {
    pub fn forward(
        &self,
        x: Tensor<3>,
        at: &Position,
        layer: Layer<'_>,
        cache: Option<&mut Option<(Tensor<4>, Tensor<4>)>>,
    ) -> Tensor<3> {
        let x = x.clone()
            + self
                .attn
                .forward(self.attn_norm.forward(x), at, layer, cache);
        x.clone() + self.mlp.forward(self.ffn_norm.forward(x), layer)
    }

    /// The projection `t` of this layer.
    pub fn projection(&self, t: Target) -> &Projection {
        match t {
            Target::Q => &self.attn.wq,
            Target::K => &self.attn.wk,
            Target::V => &self.attn.wv,
            Target::O => &self.attn.wo,
            Target::Gate => &self.mlp.gate,
            Target::Up => &self.mlp.up,
            Target::Down => &self.mlp.down,
        }
    }

    pub fn projection_mut(&mut self, t: Target) -> &mut Projection {
        match t {
            Target::Q => &mut self.attn.wq,
            Target::K => &mut self.attn.wk,
            Target::V => &mut self.attn.wv,
            Target::O => &mut self.attn.wo,
            Target::Gate => &mut self.mlp.gate,
            Target::Up => &mut self.mlp.up,
            Target::Down => &mut self.mlp.down,
        }
    }
}
