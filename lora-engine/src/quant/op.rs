//! The quantised product as one tensor op, `y = x·Wᵀ`, for every kind of tensor the model meets:
//!
//! - on the CPU backend, the host kernels of [`kernels`](super::kernels) on the tensor's values
//!   (moving a flex tensor's values in and out copies nothing when it is contiguous and unshared);
//! - anywhere else, autodiff included, a dense product with the dequantised weight as a constant,
//!   so gradients flow to `x` through burn's own matmul (the loader keeps weights dense on other
//!   backends, so there this is a fallback, not the fast path).
//!
//! The model calls [`linear`] and [`embed`] and never sees which of these ran.

use burn::backend::DispatchDevice;
use burn::prelude::*;

use super::QuantMatrix;
use super::kernels::{self, STREAM_MAX_ROWS};

/// `x·Wᵀ` for `x` `[.., cols]`: `[.., rows]`.
pub fn linear<const D: usize>(x: Tensor<D>, w: &QuantMatrix) -> Tensor<D> {
    let dims = x.dims();
    let m: usize = dims[..D - 1].iter().product();
    let device = x.device();
    let x2 = x.reshape([m, w.cols]);
    let host = matches!(device.as_dispatch(), DispatchDevice::Flex(_));
    let y = if host && m <= STREAM_MAX_ROWS {
        let xs = values(x2);
        let mut y = vec![0f32; m * w.rows];
        kernels::matmul_t(w, &xs, m, &mut y);
        Tensor::<2>::from_data(TensorData::new(y, [m, w.rows]), &device)
    } else {
        // Many rows (or not the CPU backend): one GEMM with the dequantised matrix beats
        // streaming the blocks once per row.
        x2.matmul(dense(w, &device).transpose())
    };
    let mut out = dims;
    out[D - 1] = w.rows;
    y.reshape(out)
}

/// Rows `ids` `[b, t]` of the matrix (an embedding lookup): `[b, t, cols]`. Ids past the last row
/// read the last row (the tokenizer never produces them).
pub fn embed(w: &QuantMatrix, ids: Tensor<2, Int>) -> Tensor<3> {
    let [b, t] = ids.dims();
    let device = ids.device();
    let ids: Vec<i64> = ids
        .into_data()
        .convert::<i64>()
        .try_into_vec::<i64>()
        .unwrap_or_default();
    let mut out = vec![0f32; b * t * w.cols];
    for (row, &id) in out.chunks_exact_mut(w.cols).zip(&ids) {
        let r = usize::try_from(id).unwrap_or(0).min(w.rows - 1);
        w.row_into(r, row);
    }
    Tensor::from_data(TensorData::new(out, [b, t, w.cols]), &device)
}

/// The dequantised matrix `[rows, cols]` on `device` (a constant: no gradient).
fn dense(w: &QuantMatrix, device: &Device) -> Tensor<2> {
    let inner = match device.as_dispatch() {
        DispatchDevice::Autodiff(d) => Device::new((**d).clone()),
        _ => device.clone(),
    };
    Tensor::<2>::from_data(TensorData::new(w.dequantize(), [w.rows, w.cols]), &inner)
}

fn values(x: Tensor<2>) -> Vec<f32> {
    x.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}
