//! Host kernels over [`QuantMatrix`] blocks: `y = x·Wᵀ` for a few rows of `x` reading the packed
//! values directly (decoding is memory-bound, so reading 4-bit values instead of f32 is the
//! speed-up), and dequantisation into f32 for the many-row products that a dense GEMM serves
//! better. Activations stay f32 throughout, so results match the f32 path up to summation order.
//!
//! Each output row is `Σ_blocks scale·Σ q·x + offset·Σ x`; the block sums of `x` are computed
//! once per call. The AVX2+FMA kernels are chosen at run time; a portable kernel computes the
//! same sums elsewhere.

use rayon::prelude::*;

use super::{BLOCK, Packing, QuantMatrix};

/// Rows of `x` up to which [`matmul_t`] streams the packed values; above it, a dense GEMM on a
/// dequantised copy is faster.
pub const STREAM_MAX_ROWS: usize = 16;

/// Output rows per parallel task: large enough to amortise scheduling, small enough to balance.
const ROWS_PER_TASK: usize = 64;

/// `out[m, r] = Σ_c x[m, c]·W[r, c]` for `x` `[m, cols]`; `out` is `[m, rows]`.
pub fn matmul_t(w: &QuantMatrix, x: &[f32], m: usize, out: &mut [f32]) {
    let (rows, cols) = (w.rows, w.cols);
    debug_assert_eq!(x.len(), m * cols);
    debug_assert_eq!(out.len(), m * rows);
    let nb = w.blocks_per_row();
    // Block sums of x, for the offsets.
    let sx: Vec<f32> = x.chunks_exact(BLOCK).map(|b| b.iter().sum()).collect();
    // Row-major over output rows (`[rows, m]`), transposed into `out` at the end when m > 1.
    let mut tmp = vec![0f32; rows * m];
    let kernel = select();
    tmp.par_chunks_mut(ROWS_PER_TASK * m)
        .enumerate()
        .for_each(|(task, chunk)| {
            let r0 = task * ROWS_PER_TASK;
            for (i, y) in chunk.chunks_exact_mut(m).enumerate() {
                let r = r0 + i;
                let blocks = r * nb..(r + 1) * nb;
                let bb = w.packing.block_bytes();
                let row = RowBlocks {
                    packing: w.packing,
                    scales: &w.scales[blocks.clone()],
                    offsets: &w.offsets[blocks.clone()],
                    packed: &w.packed[blocks.start * bb..blocks.end * bb],
                };
                kernel(&row, x, &sx, cols, y);
            }
        });
    if m == 1 {
        out.copy_from_slice(&tmp);
    } else {
        for (r, ys) in tmp.chunks_exact(m).enumerate() {
            for (k, &y) in ys.iter().enumerate() {
                out[k * rows + r] = y;
            }
        }
    }
}

/// [`matmul_t`] with the portable kernel on one thread: the reference the SIMD kernel is tested
/// against on machines that have both.
pub fn matmul_t_portable(w: &QuantMatrix, x: &[f32], m: usize, out: &mut [f32]) {
    let nb = w.blocks_per_row();
    let bb = w.packing.block_bytes();
    let sx: Vec<f32> = x.chunks_exact(BLOCK).map(|b| b.iter().sum()).collect();
    let mut y = vec![0f32; m];
    for r in 0..w.rows {
        let row = RowBlocks {
            packing: w.packing,
            scales: &w.scales[r * nb..(r + 1) * nb],
            offsets: &w.offsets[r * nb..(r + 1) * nb],
            packed: &w.packed[r * nb * bb..(r + 1) * nb * bb],
        };
        portable_row(&row, x, &sx, w.cols, &mut y);
        for (k, &v) in y.iter().enumerate() {
            out[k * w.rows + r] = v;
        }
    }
}

/// Dequantises the whole matrix into `out` (`rows·cols`, row-major), in parallel.
pub fn dequantize_into(w: &QuantMatrix, out: &mut [f32]) {
    out.par_chunks_mut(w.cols * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(task, chunk)| {
            for (i, row) in chunk.chunks_exact_mut(w.cols).enumerate() {
                w.row_into(task * ROWS_PER_TASK + i, row);
            }
        });
}

/// The blocks of one row of W.
struct RowBlocks<'a> {
    packing: Packing,
    scales: &'a [f32],
    offsets: &'a [f32],
    packed: &'a [u8],
}

/// `y[k] = row · x[k]` for every row `k` of `x`; `sx` holds the block sums of `x`.
type RowKernel = fn(&RowBlocks<'_>, &[f32], &[f32], usize, &mut [f32]);

fn select() -> RowKernel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return avx2::row;
        }
    }
    portable_row
}

fn portable_row(w: &RowBlocks<'_>, x: &[f32], sx: &[f32], cols: usize, y: &mut [f32]) {
    let nb = cols / BLOCK;
    for (k, yk) in y.iter_mut().enumerate() {
        let xk = &x[k * cols..(k + 1) * cols];
        let sxk = &sx[k * nb..(k + 1) * nb];
        let mut acc = 0f32;
        for j in 0..nb {
            let xb = &xk[j * BLOCK..(j + 1) * BLOCK];
            let mut lanes = [0f32; 8];
            match w.packing {
                Packing::Nibbles => {
                    let qs = &w.packed[j * 16..(j + 1) * 16];
                    for i in 0..16 {
                        lanes[i % 8] += (qs[i] & 0x0f) as f32 * xb[i];
                        lanes[i % 8] += (qs[i] >> 4) as f32 * xb[i + 16];
                    }
                }
                Packing::Bytes => {
                    let qs = &w.packed[j * 32..(j + 1) * 32];
                    for i in 0..32 {
                        lanes[i % 8] += qs[i] as i8 as f32 * xb[i];
                    }
                }
            }
            acc += w.scales[j] * lanes.iter().sum::<f32>() + w.offsets[j] * sxk[j];
        }
        *yk = acc;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BLOCK, Packing, RowBlocks};

    pub(super) fn row(w: &RowBlocks<'_>, x: &[f32], sx: &[f32], cols: usize, y: &mut [f32]) {
        let nb = cols / BLOCK;
        assert!(
            x.len() >= y.len() * cols
                && sx.len() >= y.len() * nb
                && w.packed.len() >= nb * w.packing.block_bytes()
                && w.scales.len() >= nb
                && w.offsets.len() >= nb
        );
        // SAFETY: `select` chose this kernel only after detecting AVX2 and FMA; the assert above
        // bounds every load below (blocks `0..nb` of the row and of each row of `x`).
        unsafe {
            match w.packing {
                Packing::Nibbles => nibbles(w, x, sx, nb, y),
                Packing::Bytes => bytes(w, x, nb, y),
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    }

    /// 8 bytes (the low half of `v`) as 8 f32, unsigned.
    #[target_feature(enable = "avx2,fma")]
    fn u8x8(v: __m128i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))
    }

    /// 8 bytes at `p` as 8 f32, signed.
    ///
    /// SAFETY: `p..p + 8` must be readable.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn i8x8(p: *const u8) -> __m256 {
        // SAFETY: the caller guarantees 8 readable bytes.
        let v = unsafe { _mm_loadl_epi64(p as *const __m128i) };
        _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v))
    }

    /// SAFETY: AVX2+FMA present; `w` has `nb` blocks, `x` and `sx` `y.len()` rows.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn nibbles(w: &RowBlocks<'_>, x: &[f32], sx: &[f32], nb: usize, y: &mut [f32]) {
        let cols = nb * BLOCK;
        let low = _mm_set1_epi8(0x0f);
        for (k, yk) in y.iter_mut().enumerate() {
            let mut acc = _mm256_setzero_ps();
            let mut off = 0f32;
            for j in 0..nb {
                // SAFETY: block j of the row is bytes 16j..16j+16 and values 32j..32j+32 of
                // row k of x, in bounds by the caller's contract.
                let (raw, x0, x1, x2, x3) = unsafe {
                    let xb = x.as_ptr().add(k * cols + j * BLOCK);
                    (
                        _mm_loadu_si128(w.packed.as_ptr().add(j * 16) as *const __m128i),
                        _mm256_loadu_ps(xb),
                        _mm256_loadu_ps(xb.add(8)),
                        _mm256_loadu_ps(xb.add(16)),
                        _mm256_loadu_ps(xb.add(24)),
                    )
                };
                let lo = _mm_and_si128(raw, low);
                let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low);
                let mut s = _mm256_mul_ps(u8x8(lo), x0);
                s = _mm256_fmadd_ps(u8x8(_mm_srli_si128(lo, 8)), x1, s);
                s = _mm256_fmadd_ps(u8x8(hi), x2, s);
                s = _mm256_fmadd_ps(u8x8(_mm_srli_si128(hi, 8)), x3, s);
                acc = _mm256_fmadd_ps(_mm256_set1_ps(w.scales[j]), s, acc);
                off += w.offsets[j] * sx[k * nb + j];
            }
            *yk = hsum(acc) + off;
        }
    }

    /// SAFETY: AVX2+FMA present; `w` has `nb` blocks, `x` `y.len()` rows.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn bytes(w: &RowBlocks<'_>, x: &[f32], nb: usize, y: &mut [f32]) {
        let cols = nb * BLOCK;
        for (k, yk) in y.iter_mut().enumerate() {
            let mut acc = _mm256_setzero_ps();
            for j in 0..nb {
                // SAFETY: block j of the row is bytes 32j..32j+32 and values 32j..32j+32 of
                // row k of x, in bounds by the caller's contract.
                let s = unsafe {
                    let q = w.packed.as_ptr().add(j * 32);
                    let xb = x.as_ptr().add(k * cols + j * BLOCK);
                    let mut s = _mm256_mul_ps(i8x8(q), _mm256_loadu_ps(xb));
                    s = _mm256_fmadd_ps(i8x8(q.add(8)), _mm256_loadu_ps(xb.add(8)), s);
                    s = _mm256_fmadd_ps(i8x8(q.add(16)), _mm256_loadu_ps(xb.add(16)), s);
                    _mm256_fmadd_ps(i8x8(q.add(24)), _mm256_loadu_ps(xb.add(24)), s)
                };
                acc = _mm256_fmadd_ps(_mm256_set1_ps(w.scales[j]), s, acc);
            }
            *yk = hsum(acc);
        }
    }
}
