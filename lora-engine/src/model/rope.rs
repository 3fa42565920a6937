//! Rotary position embeddings, with the cos/sin tables built once per model.
//!
//! Rotary pairs are the two halves of a head (Hugging Face order); the GGUF loader undoes
//! llama.cpp's interleaving of the Q and K rows.

use burn::prelude::*;

/// cos and sin tables `[max_len, head_dim]` for every position the model can see.
#[derive(Debug, Clone)]
pub struct Rope {
    cos: Tensor<2>,
    sin: Tensor<2>,
}

impl Rope {
    /// Tables for positions `0..max_len` (computed in f64, stored as f32).
    pub fn new(head_dim: usize, theta: f64, max_len: usize, device: &Device) -> Self {
        let half = head_dim / 2;
        let freqs: Vec<f64> = (0..half)
            .map(|i| theta.powf(-2.0 * i as f64 / head_dim as f64))
            .collect();
        let mut cos = Vec::with_capacity(max_len * head_dim);
        let mut sin = Vec::with_capacity(max_len * head_dim);
        for p in 0..max_len {
            for _half in 0..2 {
                for f in &freqs {
                    let a = p as f64 * f;
                    cos.push(a.cos() as f32);
                    sin.push(a.sin() as f32);
                }
            }
        }
        let mk =
            |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [max_len, head_dim]), device);
        Rope {
            cos: mk(cos),
            sin: mk(sin),
        }
    }

    /// Number of positions the tables cover.
    pub fn max_len(&self) -> usize {
        self.cos.dims()[0]
    }

    /// cos and sin `[1, 1, t, head_dim]` for positions `start..start + t`.
    pub fn tables(&self, start: usize, t: usize) -> (Tensor<4>, Tensor<4>) {
        let take = |m: &Tensor<2>| m.clone().narrow(0, start, t).unsqueeze::<4>();
        (take(&self.cos), take(&self.sin))
    }
}

/// Rotates `x` `[b, heads, t, head_dim]` by the tables of [`Rope::tables`].
pub fn apply(x: Tensor<4>, cos: &Tensor<4>, sin: &Tensor<4>) -> Tensor<4> {
    x.clone() * cos.clone() + rotate_half(x) * sin.clone()
}

fn rotate_half(x: Tensor<4>) -> Tensor<4> {
    let d = x.dims()[3];
    let x1 = x.clone().narrow(3, 0, d / 2);
    let x2 = x.narrow(3, d / 2, d / 2);
    Tensor::cat(vec![x2.neg(), x1], 3)
}
