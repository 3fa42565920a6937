//! The SwiGLU feed-forward network of a decoder layer.

use burn::prelude::*;
use burn::tensor::activation::silu;

use super::Layer;
use super::projection::{Projection, Target};

/// `down(silu(gate(x)) · up(x))`.
#[derive(Debug, Clone)]
pub struct Mlp {
    pub gate: Projection,
    pub up: Projection,
    pub down: Projection,
}

impl Mlp {
    pub fn forward(&self, x: Tensor<3>, layer: Layer<'_>) -> Tensor<3> {
        let g = silu(self.gate.forward(x.clone(), layer.delta(Target::Gate)));
        let u = self.up.forward(x, layer.delta(Target::Up));
        self.down.forward(g * u, layer.delta(Target::Down))
    }
}
