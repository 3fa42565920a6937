//! Grouped-query self-attention with rotary positions and a key/value cache.

use burn::backend::DispatchDevice;
use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::ops::AttentionModuleOptions;

use super::cache;
use super::projection::{Projection, Target};
use super::rope;
use super::{Layer, Position};

/// Self-attention of one decoder layer.
#[derive(Debug, Clone)]
pub struct Attention {
    pub wq: Projection,
    pub wk: Projection,
    pub wv: Projection,
    pub wo: Projection,
    pub num_heads: usize,
    pub num_kv_heads: usize,
}

impl Attention {
    pub fn new(
        wq: Projection,
        wk: Projection,
        wv: Projection,
        wo: Projection,
        num_heads: usize,
        num_kv_heads: usize,
    ) -> Self {
        Attention {
            wq,
            wk,
            wv,
            wo,
            num_heads,
            num_kv_heads,
        }
    }

    fn head_dim(&self) -> usize {
        self.wq.dims().1 / self.num_heads
    }

    /// Attention output `[b, t, hidden]` for the normalised input `x` `[b, t, hidden]`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        at: &Position,
        layer: Layer<'_>,
        cache: Option<&mut Option<(Tensor<4>, Tensor<4>)>>,
    ) -> Tensor<3> {
        let [b, t, hidden] = x.dims();
        let hd = self.head_dim();
        let (h, kvh) = (self.num_heads, self.num_kv_heads);
        let heads = |y: Tensor<3>, n: usize| y.reshape([b, t, n, hd]).swap_dims(1, 2);
        let q = heads(self.wq.forward(x.clone(), layer.delta(Target::Q)), h);
        let k = heads(self.wk.forward(x.clone(), layer.delta(Target::K)), kvh);
        let v = heads(self.wv.forward(x, layer.delta(Target::V)), kvh);
        let q = rope::apply(q, &at.cos, &at.sin);
        let k = rope::apply(k, &at.cos, &at.sin);
        let (k, v) = match cache {
            Some(slot) => cache::append(slot, k, v),
            None => (k, v),
        };
        if matches!(q.device().as_dispatch(), DispatchDevice::Flex(_)) {
            // The CPU backend's fused kernel shares each key/value head across its query heads
            // and never materialises repeated heads or the score tensor of the whole batch.
            let attn = burn::tensor::module::attention(
                q,
                k,
                v,
                None,
                at.bias.clone(),
                AttentionModuleOptions::default(),
            );
            return self.wo.forward(
                attn.swap_dims(1, 2).reshape([b, t, hidden]),
                layer.delta(Target::O),
            );
        }
        // Elsewhere (autodiff included) in plain tensor ops, with repeated key/value heads.
        let total = k.dims()[2];
        let rep = h / kvh;
        let repeat = |x: Tensor<4>| {
            if rep > 1 {
                x.unsqueeze_dim::<5>(2)
                    .repeat_dim(2, rep)
                    .reshape([b, h, total, hd])
            } else {
                x
            }
        };
        let (k, v) = (repeat(k), repeat(v));
        let mut scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt();
        if let Some(m) = &at.bias {
            scores = scores + m.clone();
        }
        let attn = softmax(scores, 3)
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([b, t, hidden]);
        self.wo.forward(attn, layer.delta(Target::O))
    }
}
