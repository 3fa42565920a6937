//! The quantised kernels against the f32 product on random blocks, the repacking of GGUF blocks,
//! and GGUF files whose blocks do not fit their rows.

use std::path::Path;

use openledger_lora::gguf::{GgmlType, GgufFile, GgufWriter, dequantize, quantize};
use openledger_lora::quant::QuantMatrix;
use openledger_lora::quant::kernels::{STREAM_MAX_ROWS, matmul_t, matmul_t_portable};
use rand::{Rng, SeedableRng};

fn sample(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

const KINDS: [GgmlType; 3] = [GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q8_0];

#[test]
fn repacked_blocks_dequantise_like_the_file() {
    for kind in KINDS {
        let (rows, cols) = (5, 96);
        let x = sample(rows * cols, 3);
        let raw = quantize(kind, &x).unwrap();
        let m = QuantMatrix::from_gguf(kind, &raw, rows, cols).unwrap();
        let want = dequantize(kind, &raw, rows * cols);
        let got = m.dequantize();
        let err = want
            .iter()
            .zip(&got)
            .fold(0f32, |a, (p, q)| a.max((p - q).abs()));
        assert!(err <= 1e-6, "{kind:?}: {err}");
        let mut row = vec![0f32; cols];
        m.row_into(3, &mut row);
        assert_eq!(&row[..], &got[3 * cols..4 * cols]);
        let p = m.permute_rows(|r| rows - 1 - r);
        p.row_into(0, &mut row);
        assert_eq!(&row[..], &got[4 * cols..5 * cols]);
    }
    // A byte count that does not match the shape, or a type without blocks, is refused.
    let raw = quantize(GgmlType::Q4_1, &sample(64, 1)).unwrap();
    assert!(QuantMatrix::from_gguf(GgmlType::Q4_1, &raw[..30], 1, 64).is_none());
    assert!(QuantMatrix::from_gguf(GgmlType::F32, &raw, 1, 64).is_none());
}

#[test]
fn kernels_match_the_f32_product_on_random_blocks() {
    for kind in KINDS {
        let (rows, cols) = (150, 96);
        let w = sample(rows * cols, 1);
        let q = QuantMatrix::from_gguf(kind, &quantize(kind, &w).unwrap(), rows, cols).unwrap();
        let dense = q.dequantize();
        for m in [1, 3, STREAM_MAX_ROWS] {
            let x = sample(m * cols, 2 + m as u64);
            let mut want = vec![0f32; m * rows];
            for k in 0..m {
                for r in 0..rows {
                    want[k * rows + r] = (0..cols)
                        .map(|c| x[k * cols + c] as f64 * dense[r * cols + c] as f64)
                        .sum::<f64>() as f32;
                }
            }
            let mut fast = vec![0f32; m * rows];
            matmul_t(&q, &x, m, &mut fast);
            let mut portable = vec![0f32; m * rows];
            matmul_t_portable(&q, &x, m, &mut portable);
            for (name, v) in [("selected", &fast), ("portable", &portable)] {
                let err = want
                    .iter()
                    .zip(v.iter())
                    .fold(0f32, |a, (p, q)| a.max((p - q).abs()));
                assert!(err < 1e-4, "{kind:?} m={m} {name}: {err}");
            }
        }
    }
}

#[test]
fn blocks_that_do_not_fit_the_rows_are_an_error() {
    // 64 values as 4 rows of 16: Q8_0 blocks of 32 would straddle rows.
    let mut w = GgufWriter::new();
    w.tensor("t", &[4, 16], GgmlType::Q8_0, &sample(64, 4))
        .unwrap();
    let e = GgufFile::parse(Path::new("rows.gguf"), w.to_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rows.gguf") && e.contains("block size 32"),
        "{e}"
    );
}
