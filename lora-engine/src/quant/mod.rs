//! Weights kept quantised in memory, in the blocks of the GGUF file (Q4_0, Q4_1, Q8_0), and the
//! kernels that multiply by them without materialising an f32 copy.
//!
//! A [`QuantMatrix`] is `[rows, cols]` (GGUF row-major: a row is one output of a projection or
//! one token of the embedding), stored structure-of-arrays: one f32 scale and one f32 offset per
//! block of 32 values (converted from the file's f16 once, at load), and the packed values. Q4_0
//! is stored as Q4_1 with offset `-8·scale`, so two kernels (4-bit and 8-bit) cover all three.

pub mod kernels;
pub mod op;

use half::f16;

use crate::gguf::GgmlType;

/// Values per block in every supported format.
pub const BLOCK: usize = 32;

/// How a matrix's values are packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// 4-bit values `q ∈ 0..16`, value `scale·q + offset`; byte `j` of a block holds values `j`
    /// (low nibble) and `j + 16` (high nibble), as in the file.
    Nibbles,
    /// 8-bit signed values, value `scale·q`.
    Bytes,
}

impl Packing {
    /// Packed bytes per block.
    pub fn block_bytes(self) -> usize {
        match self {
            Packing::Nibbles => BLOCK / 2,
            Packing::Bytes => BLOCK,
        }
    }
}

/// A quantised matrix `[rows, cols]`.
#[derive(Debug, Clone)]
pub struct QuantMatrix {
    pub rows: usize,
    pub cols: usize,
    pub packing: Packing,
    /// Per block, row-major.
    pub scales: Vec<f32>,
    /// Per block, row-major (all zero for [`Packing::Bytes`]).
    pub offsets: Vec<f32>,
    /// `block_bytes` per block, row-major.
    pub packed: Vec<u8>,
}

impl QuantMatrix {
    /// Whether `kind` can be held quantised, with rows of `cols` values.
    pub fn supports(kind: GgmlType, cols: usize) -> bool {
        matches!(kind, GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q8_0)
            && cols.is_multiple_of(BLOCK)
    }

    /// Repacks the raw bytes of a GGUF tensor of `kind` with `rows` rows of `cols` values. The
    /// caller has checked `raw` holds exactly that many blocks; `None` for an unsupported kind.
    pub fn from_gguf(kind: GgmlType, raw: &[u8], rows: usize, cols: usize) -> Option<Self> {
        if !Self::supports(kind, cols) {
            return None;
        }
        let n = rows * cols / BLOCK;
        let h = |b: &[u8]| f16::from_le_bytes([b[0], b[1]]).to_f32();
        let (packing, file_block) = match kind {
            GgmlType::Q4_0 => (Packing::Nibbles, 18),
            GgmlType::Q4_1 => (Packing::Nibbles, 20),
            _ => (Packing::Bytes, 34),
        };
        if raw.len() != n * file_block {
            return None;
        }
        let mut scales = Vec::with_capacity(n);
        let mut offsets = Vec::with_capacity(n);
        let mut packed = Vec::with_capacity(n * packing.block_bytes());
        for b in raw.chunks_exact(file_block) {
            let d = h(&b[0..2]);
            scales.push(d);
            match kind {
                GgmlType::Q4_0 => {
                    offsets.push(-8.0 * d);
                    packed.extend_from_slice(&b[2..18]);
                }
                GgmlType::Q4_1 => {
                    offsets.push(h(&b[2..4]));
                    packed.extend_from_slice(&b[4..20]);
                }
                _ => {
                    offsets.push(0.0);
                    packed.extend_from_slice(&b[2..34]);
                }
            }
        }
        Some(QuantMatrix {
            rows,
            cols,
            packing,
            scales,
            offsets,
            packed,
        })
    }

    pub fn blocks_per_row(&self) -> usize {
        self.cols / BLOCK
    }

    /// Bytes held in memory.
    pub fn byte_size(&self) -> usize {
        self.packed.len() + 4 * (self.scales.len() + self.offsets.len())
    }

    /// Permutes rows: row `r` of the result is row `from(r)` of `self`.
    pub fn permute_rows(&self, from: impl Fn(usize) -> usize) -> Self {
        let nb = self.blocks_per_row();
        let bb = self.packing.block_bytes();
        let mut out = QuantMatrix {
            scales: Vec::with_capacity(self.scales.len()),
            offsets: Vec::with_capacity(self.offsets.len()),
            packed: Vec::with_capacity(self.packed.len()),
            ..*self
        };
        for r in 0..self.rows {
            let s = from(r);
            out.scales
                .extend_from_slice(&self.scales[s * nb..(s + 1) * nb]);
            out.offsets
                .extend_from_slice(&self.offsets[s * nb..(s + 1) * nb]);
            out.packed
                .extend_from_slice(&self.packed[s * nb * bb..(s + 1) * nb * bb]);
        }
        out
    }

    /// Dequantises row `r` into `out` (`cols` values).
    pub fn row_into(&self, r: usize, out: &mut [f32]) {
        let nb = self.blocks_per_row();
        for j in 0..nb {
            let blk = r * nb + j;
            let (d, m) = (self.scales[blk], self.offsets[blk]);
            let dst = &mut out[j * BLOCK..(j + 1) * BLOCK];
            match self.packing {
                Packing::Nibbles => {
                    let qs = &self.packed[blk * 16..(blk + 1) * 16];
                    for (i, &q) in qs.iter().enumerate() {
                        dst[i] = (q & 0x0f) as f32 * d + m;
                        dst[i + 16] = (q >> 4) as f32 * d + m;
                    }
                }
                Packing::Bytes => {
                    let qs = &self.packed[blk * 32..(blk + 1) * 32];
                    for (x, &q) in dst.iter_mut().zip(qs) {
                        *x = q as i8 as f32 * d;
                    }
                }
            }
        }
    }

    /// The whole matrix as row-major f32 (for the dense paths and tests).
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        kernels::dequantize_into(self, &mut out);
        out
    }
}
