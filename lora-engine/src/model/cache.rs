//! What a forward pass keeps or reuses: the per-layer key/value cache, and the causal mask built
//! once and sliced for every length.

use burn::prelude::*;
use parking_lot::Mutex;

/// Per-layer key/value cache, plus which cached positions are padding.
#[derive(Debug, Clone)]
pub struct KvCache {
    pub(crate) layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    /// `[batch][position]`: true where the position is left padding.
    pub(crate) pad: Vec<Vec<bool>>,
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

/// Appends `k`, `v` `[b, kv_heads, t, head_dim]` to a layer's cache slot and returns the keys and
/// values of every position so far.
pub(crate) fn append(
    slot: &mut Option<(Tensor<4>, Tensor<4>)>,
    k: Tensor<4>,
    v: Tensor<4>,
) -> (Tensor<4>, Tensor<4>) {
    let (k, v) = match slot.take() {
        Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
        None => (k, v),
    };
    *slot = Some((k.clone(), v.clone()));
    (k, v)
}

/// The additive causal mask (`0` on and below the diagonal, `-1e9` above), built once for the
/// longest length asked so far and sliced for each forward pass.
#[derive(Debug, Default)]
pub struct CausalMask {
    built: Mutex<Option<Tensor<2>>>,
}

/// Large enough that `exp` of it is 0 in f32, small enough that a row of it stays finite.
pub(crate) const MASKED: f32 = -1e9;

impl CausalMask {
    /// `[t, past + t]`: query `i` (position `past + i`) may see keys `0..=past + i`.
    pub fn get(&self, past: usize, t: usize, device: &Device) -> Tensor<2> {
        let total = past + t;
        let mut built = self.built.lock();
        let m = match built.as_ref() {
            Some(m) if m.dims()[0] >= total => m.clone(),
            _ => {
                let n = total.next_power_of_two().max(64);
                let mut v = vec![0f32; n * n];
                for i in 0..n {
                    for x in &mut v[i * n + i + 1..(i + 1) * n] {
                        *x = MASKED;
                    }
                }
                let m = Tensor::<2>::from_data(TensorData::new(v, [n, n]), device);
                *built = Some(m.clone());
                m
            }
        };
        m.narrow(0, past, t).narrow(1, 0, total)
    }
}

/// Additive attention bias `[b, 1, t, past + t]`: causal, and masking padded keys; `None` when
/// nothing is masked (one new token, no padding).
pub(crate) fn attention_bias(
    causal: &CausalMask,
    t: usize,
    past: usize,
    pad: &[Vec<bool>],
    device: &Device,
) -> Option<Tensor<4>> {
    let b = pad.len();
    let total = past + t;
    let any_pad = pad.iter().any(|r| r.iter().any(|&p| p));
    if t == 1 && !any_pad {
        return None;
    }
    let mut bias = causal
        .get(past, t, device)
        .unsqueeze_dim::<3>(0)
        .unsqueeze_dim::<4>(0);
    if any_pad {
        let keys: Vec<f32> = pad
            .iter()
            .flat_map(|row| {
                (0..total).map(|j| {
                    if row.get(j).copied().unwrap_or(false) {
                        MASKED
                    } else {
                        0.0
                    }
                })
            })
            .collect();
        let keys = Tensor::<4>::from_data(TensorData::new(keys, [b, 1, 1, total]), device);
        // A key both future and padding stays at MASKED, as a key that is either.
        bias = (bias + keys).clamp_min(MASKED);
    }
    Some(bias)
}
