//! The base model: weights (GGUF or Hugging Face safetensors), tokenizer, fingerprint; export of
//! (merged) weights back to GGUF; the tiny random model the tests use.

use std::path::{Path, PathBuf};

use burn::backend::DispatchDevice;
use burn::module::Param;
use burn::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::gguf::{GgmlType, GgufFile, GgufWriter, Value};
use crate::lora::{BaseFingerprint, tensor_to_vec};
use crate::model::attention::Attention;
use crate::model::mlp::Mlp;
use crate::model::{Block, Embedding, Llama, LlamaConfig, Projection, Target};
use crate::quant::QuantMatrix;
use crate::tokenizer::{Tokenizer, TokenizerSpec};

/// How a loaded model holds its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightFormat {
    /// Quantised GGUF weights stay in their blocks on the CPU backend (dequantised elsewhere).
    #[default]
    AsStored,
    /// Every weight dequantised to f32 at load (the reference path).
    F32,
}

/// A loaded foundation model.
pub struct BaseModel {
    pub model: Llama,
    pub config: LlamaConfig,
    pub tokenizer: Tokenizer,
    pub fingerprint: BaseFingerprint,
    pub path: PathBuf,
    pub device: Device,
}

/// Where row-major f32 tensors come from.
trait WeightSource {
    fn get(&self, name: &str) -> Result<Option<(Vec<f32>, Vec<usize>)>>;
    /// The tensor as quantised blocks with its shape, when it is stored that way.
    fn get_quantized(&self, _name: &str) -> Result<Option<(QuantMatrix, Vec<usize>)>> {
        Ok(None)
    }
    fn origin(&self) -> &Path;
}

struct GgufSource<'a>(&'a GgufFile);

impl GgufSource<'_> {
    fn file_name(name: &str) -> Option<String> {
        Some(match name {
            "embed" => "token_embd.weight".to_string(),
            "norm" => "output_norm.weight".to_string(),
            "lm_head" => "output.weight".to_string(),
            other => {
                let (l, what) = other.split_once('.')?;
                let suffix = match what {
                    "attn_norm" => "attn_norm",
                    "ffn_norm" => "ffn_norm",
                    "q" => "attn_q",
                    "k" => "attn_k",
                    "v" => "attn_v",
                    "o" => "attn_output",
                    "gate" => "ffn_gate",
                    "up" => "ffn_up",
                    "down" => "ffn_down",
                    _ => return None,
                };
                format!("blk.{l}.{suffix}.weight")
            }
        })
    }
}

impl WeightSource for GgufSource<'_> {
    fn get(&self, name: &str) -> Result<Option<(Vec<f32>, Vec<usize>)>> {
        let Some(gguf) = Self::file_name(name) else {
            return Ok(None);
        };
        if self.0.tensor_info(&gguf).is_none() {
            return Ok(None);
        }
        self.0.tensor_f32(&gguf).map(Some)
    }
    fn get_quantized(&self, name: &str) -> Result<Option<(QuantMatrix, Vec<usize>)>> {
        let Some(gguf) = Self::file_name(name) else {
            return Ok(None);
        };
        if self.0.tensor_info(&gguf).is_none() {
            return Ok(None);
        }
        let (kind, raw, shape) = self.0.tensor_raw(&gguf)?;
        let &[rows, cols] = shape.as_slice() else {
            return Ok(None);
        };
        Ok(QuantMatrix::from_gguf(kind, raw, rows, cols).map(|q| (q, shape)))
    }
    fn origin(&self) -> &Path {
        &self.0.path
    }
}

struct SafetensorsSource {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl WeightSource for SafetensorsSource {
    fn get(&self, name: &str) -> Result<Option<(Vec<f32>, Vec<usize>)>> {
        let hf = match name {
            "embed" => "model.embed_tokens.weight".to_string(),
            "norm" => "model.norm.weight".to_string(),
            "lm_head" => "lm_head.weight".to_string(),
            other => {
                let (l, what) = other.split_once('.').unwrap_or((other, ""));
                let suffix = match what {
                    "attn_norm" => "input_layernorm",
                    "ffn_norm" => "post_attention_layernorm",
                    "q" => "self_attn.q_proj",
                    "k" => "self_attn.k_proj",
                    "v" => "self_attn.v_proj",
                    "o" => "self_attn.o_proj",
                    "gate" => "mlp.gate_proj",
                    "up" => "mlp.up_proj",
                    "down" => "mlp.down_proj",
                    _ => return Ok(None),
                };
                format!("model.layers.{l}.{suffix}.weight")
            }
        };
        let st =
            safetensors::SafeTensors::deserialize(&self.bytes).map_err(|e| Error::Safetensors {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        let Ok(v) = st.tensor(&hf) else {
            return Ok(None);
        };
        let data: Vec<f32> = match v.dtype() {
            safetensors::Dtype::F32 => {
                crate::gguf::dequantize(GgmlType::F32, v.data(), v.data().len() / 4)
            }
            safetensors::Dtype::F16 => {
                crate::gguf::dequantize(GgmlType::F16, v.data(), v.data().len() / 2)
            }
            safetensors::Dtype::BF16 => {
                crate::gguf::dequantize(GgmlType::BF16, v.data(), v.data().len() / 2)
            }
            other => {
                return Err(Error::UnsupportedTensorType {
                    path: self.path.clone(),
                    tensor: hf,
                    kind: format!("{other:?}"),
                });
            }
        };
        Ok(Some((data, v.shape().to_vec())))
    }
    fn origin(&self) -> &Path {
        &self.path
    }
}

/// llama.cpp stores Q and K rows of each head with rotary pairs interleaved; this maps a GGUF row
/// to its Hugging Face row (pairs as the two halves of the head).
fn gguf_row_to_hf(row: usize, head_dim: usize) -> usize {
    let (h, r) = (row / head_dim, row % head_dim);
    let (i, j) = (r / 2, r % 2);
    h * head_dim + j * (head_dim / 2) + i
}

/// The inverse of [`gguf_row_to_hf`]: the GGUF row holding Hugging Face row `row`.
fn hf_row_to_gguf(row: usize, head_dim: usize) -> usize {
    let (h, r) = (row / head_dim, row % head_dim);
    let (j, i) = (r / (head_dim / 2), r % (head_dim / 2));
    h * head_dim + 2 * i + j
}

/// Permutes the rows of `w` (`[rows, cols]`): `out[map(r)] = w[r]`.
fn permute_rows(w: &[f32], cols: usize, map: impl Fn(usize) -> usize) -> Vec<f32> {
    let mut out = vec![0f32; w.len()];
    for (r, row) in w.chunks_exact(cols).enumerate() {
        let to = map(r);
        out[to * cols..(to + 1) * cols].copy_from_slice(row);
    }
    out
}

fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn config_from_gguf(f: &GgufFile) -> Result<LlamaConfig> {
    let arch = f.get_str("general.architecture")?;
    if arch != "llama" {
        return Err(Error::Gguf {
            path: f.path.clone(),
            reason: format!("architecture `{arch}` is not supported (only llama)"),
        });
    }
    let u = |k: &str| f.get_u64(&format!("llama.{k}")).map(|v| v as usize);
    let heads = u("attention.head_count")?;
    let vocab = match f.get("llama.vocab_size").and_then(Value::as_u64) {
        Some(v) => v as usize,
        None => f
            .get("tokenizer.ggml.tokens")
            .and_then(Value::as_array)
            .map(|a| a.len())
            .ok_or_else(|| Error::Gguf {
                path: f.path.clone(),
                reason: "no vocabulary size".into(),
            })?,
    };
    let cfg = LlamaConfig::new(
        vocab,
        u("embedding_length")?,
        u("feed_forward_length")?,
        u("block_count")?,
        heads,
        u("attention.head_count_kv").unwrap_or(heads),
    )
    .with_rope_theta(
        f.get("llama.rope.freq_base")
            .and_then(Value::as_f64)
            .unwrap_or(10000.0),
    )
    .with_rms_eps(
        f.get("llama.attention.layer_norm_rms_epsilon")
            .and_then(Value::as_f64)
            .unwrap_or(1e-5),
    )
    .with_max_seq_len(u("context_length").unwrap_or(2048))
    .with_tie_embeddings(f.tensor_info("output.weight").is_none());
    cfg.validate().map_err(|reason| Error::Gguf {
        path: f.path.clone(),
        reason,
    })?;
    Ok(cfg)
}

/// Builds the model from named weights; `from_gguf` says whether Q/K rows need un-permuting.
/// On the CPU backend, weights stored as Q4_0/Q4_1/Q8_0 blocks stay so in memory, read by the
/// quantised kernels; elsewhere every weight is dequantised to f32.
fn build_model(
    cfg: &LlamaConfig,
    src: &dyn WeightSource,
    from_gguf: bool,
    format: WeightFormat,
    device: &Device,
) -> Result<Llama> {
    let keep_blocks =
        format == WeightFormat::AsStored && matches!(device.as_dispatch(), DispatchDevice::Flex(_));
    let quantized = |name: &str, shape: &[usize]| -> Result<Option<QuantMatrix>> {
        if !keep_blocks {
            return Ok(None);
        }
        match src.get_quantized(name)? {
            Some((q, got)) if got == shape => Ok(Some(q)),
            Some((_, got)) => Err(Error::Model(format!(
                "{}: weight `{name}` has shape {got:?}, expected {shape:?}",
                src.origin().display()
            ))),
            None => Ok(None),
        }
    };
    let need = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let (data, got) = src.get(name)?.ok_or_else(|| {
            Error::Model(format!(
                "{}: missing weight `{name}`",
                src.origin().display()
            ))
        })?;
        if got != shape {
            return Err(Error::Model(format!(
                "{}: weight `{name}` has shape {got:?}, expected {shape:?}",
                src.origin().display()
            )));
        }
        Ok(data)
    };
    let t1 = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v.clone(), [v.len()]), device);
    // Stored `[out, in]`; projections hold `[in, out]`.
    // Transposed on the host so the stored tensor is contiguous (strided weights make every
    // matmul copy them).
    let linear = |v: Vec<f32>, out: usize, inp: usize| {
        let mut t = vec![0f32; v.len()];
        for (o, row) in v.chunks_exact(inp).enumerate() {
            for (i, &x) in row.iter().enumerate() {
                t[i * out + o] = x;
            }
        }
        Projection::dense(Tensor::<2>::from_data(
            TensorData::new(t, [inp, out]),
            device,
        ))
    };
    let norm = |v: Vec<f32>| cfg.norm(t1(v));
    let h = cfg.hidden_size;
    let hd = cfg.head_dim();
    let mut layers = Vec::with_capacity(cfg.num_layers);
    for l in 0..cfg.num_layers {
        let proj = |t: Target| -> Result<Projection> {
            let (i, o) = cfg.proj_dims(t);
            let rope = from_gguf && matches!(t, Target::Q | Target::K);
            if let Some(q) = quantized(&format!("{l}.{t}"), &[o, i])? {
                let q = if rope {
                    q.permute_rows(|r| hf_row_to_gguf(r, hd))
                } else {
                    q
                };
                return Ok(Projection::quantized(q, device));
            }
            let mut w = need(&format!("{l}.{t}"), &[o, i])?;
            if from_gguf && matches!(t, Target::Q | Target::K) {
                w = permute_rows(&w, i, |r| gguf_row_to_hf(r, hd));
            }
            Ok(linear(w, o, i))
        };
        let attn = Attention::new(
            proj(Target::Q)?,
            proj(Target::K)?,
            proj(Target::V)?,
            proj(Target::O)?,
            cfg.num_heads,
            cfg.num_kv_heads,
        );
        let mlp = Mlp {
            gate: proj(Target::Gate)?,
            up: proj(Target::Up)?,
            down: proj(Target::Down)?,
        };
        layers.push(Block {
            attn_norm: norm(need(&format!("{l}.attn_norm"), &[h])?),
            attn,
            ffn_norm: norm(need(&format!("{l}.ffn_norm"), &[h])?),
            mlp,
        });
    }
    let lm_head = if cfg.tie_embeddings {
        None
    } else if let Some(q) = quantized("lm_head", &[cfg.vocab_size, h])? {
        Some(Projection::quantized(q, device))
    } else {
        Some(linear(
            need("lm_head", &[cfg.vocab_size, h])?,
            cfg.vocab_size,
            h,
        ))
    };
    let embed = match quantized("embed", &[cfg.vocab_size, h])? {
        Some(q) => Embedding::Quantized {
            blocks: std::sync::Arc::new(q),
            device: device.clone(),
        },
        None => Embedding::Dense(Tensor::from_data(
            TensorData::new(need("embed", &[cfg.vocab_size, h])?, [cfg.vocab_size, h]),
            device,
        )),
    };
    let norm = norm(need("norm", &[h])?);
    Ok(Llama::new(cfg, embed, layers, norm, lm_head, device))
}

impl BaseModel {
    /// Loads a `.gguf` file, or a directory / `.safetensors` file in Hugging Face Llama layout
    /// (with `config.json` and `tokenizer.json` beside it).
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::load_with(path, device, WeightFormat::AsStored)
    }

    /// [`load`](Self::load) with a choice of how the weights are held.
    pub fn load_with(path: &Path, device: &Device, format: WeightFormat) -> Result<Self> {
        let is_gguf = path.extension().is_some_and(|e| e == "gguf");
        if is_gguf {
            Self::load_gguf_with(path, device, format)
        } else {
            Self::load_safetensors(path, device)
        }
    }

    pub fn load_gguf(path: &Path, device: &Device) -> Result<Self> {
        Self::load_gguf_with(path, device, WeightFormat::AsStored)
    }

    fn load_gguf_with(path: &Path, device: &Device, format: WeightFormat) -> Result<Self> {
        let f = GgufFile::open(path)?;
        let config = config_from_gguf(&f)?;
        let spec = TokenizerSpec::from_gguf(&f)?;
        let model = build_model(&config, &GgufSource(&f), true, format, device)?;
        let name = f
            .get("general.name")
            .and_then(Value::as_str)
            .unwrap_or("llama")
            .to_string();
        Self::assemble(model, config, spec, name, path, device)
    }

    fn assemble(
        model: Llama,
        config: LlamaConfig,
        spec: TokenizerSpec,
        name: String,
        path: &Path,
        device: &Device,
    ) -> Result<Self> {
        let tokenizer = Tokenizer::new(spec)?;
        let sha256 = sha256_file(path)?;
        let fingerprint = BaseFingerprint {
            name,
            sha256,
            hidden_size: config.hidden_size,
            intermediate_size: config.intermediate_size,
            num_layers: config.num_layers,
            num_heads: config.num_heads,
            num_kv_heads: config.num_kv_heads,
            vocab_size: config.vocab_size,
        };
        Ok(BaseModel {
            model,
            config,
            tokenizer,
            fingerprint,
            path: path.to_path_buf(),
            device: device.clone(),
        })
    }

    pub fn load_safetensors(path: &Path, device: &Device) -> Result<Self> {
        let (dir, file) = if path.is_dir() {
            (path.to_path_buf(), path.join("model.safetensors"))
        } else {
            (
                path.parent().unwrap_or(Path::new(".")).to_path_buf(),
                path.to_path_buf(),
            )
        };
        let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
        let cpath = dir.join("config.json");
        let cjson: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&cpath).map_err(|e| Error::io(&cpath, e))?,
        )
        .map_err(|e| Error::Safetensors {
            path: cpath.clone(),
            reason: e.to_string(),
        })?;
        let u = |k: &str| {
            cjson
                .get(k)
                .and_then(|v| v.as_u64())
                .map(|v| v as usize)
                .ok_or_else(|| Error::Safetensors {
                    path: cpath.clone(),
                    reason: format!("missing `{k}`"),
                })
        };
        let heads = u("num_attention_heads")?;
        let config = LlamaConfig::new(
            u("vocab_size")?,
            u("hidden_size")?,
            u("intermediate_size")?,
            u("num_hidden_layers")?,
            heads,
            u("num_key_value_heads").unwrap_or(heads),
        )
        .with_rope_theta(
            cjson
                .get("rope_theta")
                .and_then(|v| v.as_f64())
                .unwrap_or(10000.0),
        )
        .with_rms_eps(
            cjson
                .get("rms_norm_eps")
                .and_then(|v| v.as_f64())
                .unwrap_or(1e-5),
        )
        .with_max_seq_len(u("max_position_embeddings").unwrap_or(2048))
        .with_tie_embeddings(
            cjson
                .get("tie_word_embeddings")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        );
        config.validate().map_err(|reason| Error::Safetensors {
            path: cpath.clone(),
            reason,
        })?;
        let eos = cjson
            .get("eos_token_id")
            .and_then(|v| v.as_u64())
            .map(|v| v as u32);
        let spec = tokenizer_spec_from_json(&dir.join("tokenizer.json"), eos)?;
        let src = SafetensorsSource {
            path: file.clone(),
            bytes,
        };
        let model = build_model(&config, &src, false, WeightFormat::F32, device)?;
        Self::assemble(model, config, spec, "llama".into(), &file, device)
    }

    /// The tiny random model of the same architecture (tests, CI).
    pub fn tiny(seed: u64, device: &Device) -> Self {
        let spec = TokenizerSpec::tiny();
        let config = LlamaConfig::new(spec.tokens.len(), 64, 128, 2, 4, 2).with_max_seq_len(256);
        device.seed(seed);
        let model = config.init(device);
        let tokenizer = Tokenizer::new(spec).expect("the tiny tokenizer is valid");
        let fingerprint = BaseFingerprint {
            name: "tiny".into(),
            sha256: String::new(),
            hidden_size: config.hidden_size,
            intermediate_size: config.intermediate_size,
            num_layers: config.num_layers,
            num_heads: config.num_heads,
            num_kv_heads: config.num_kv_heads,
            vocab_size: config.vocab_size,
        };
        BaseModel {
            model,
            config,
            tokenizer,
            fingerprint,
            path: PathBuf::from("<tiny>"),
            device: device.clone(),
        }
    }

    /// Writes the (possibly merged) weights and tokenizer as a GGUF v3 file.
    pub fn save_gguf(&self, path: &Path, kind: GgmlType) -> Result<()> {
        let c = &self.config;
        let mut w = GgufWriter::new();
        w.meta("general.architecture", Value::String("llama".into()))
            .meta("general.name", Value::String(self.fingerprint.name.clone()))
            .meta("llama.context_length", Value::U32(c.max_seq_len as u32))
            .meta("llama.embedding_length", Value::U32(c.hidden_size as u32))
            .meta(
                "llama.feed_forward_length",
                Value::U32(c.intermediate_size as u32),
            )
            .meta("llama.block_count", Value::U32(c.num_layers as u32))
            .meta("llama.attention.head_count", Value::U32(c.num_heads as u32))
            .meta(
                "llama.attention.head_count_kv",
                Value::U32(c.num_kv_heads as u32),
            )
            .meta("llama.rope.freq_base", Value::F32(c.rope_theta as f32))
            .meta(
                "llama.attention.layer_norm_rms_epsilon",
                Value::F32(c.rms_eps as f32),
            );
        for (k, v) in self.tokenizer.spec.to_gguf_metadata() {
            w.meta(k, v);
        }
        let m = &self.model;
        let hd = c.head_dim();
        let small = |kind: GgmlType, n: usize| {
            if n.is_multiple_of(32) {
                kind
            } else {
                GgmlType::F32
            }
        };
        // Linear weights are `[in, out]` in burn; GGUF rows are outputs.
        let lin = |w: &mut GgufWriter, name: String, p: &Projection, rope: bool| -> Result<()> {
            let t = p.weight().transpose();
            let [o, i] = t.dims();
            let mut v = tensor_to_vec(t)?;
            if rope {
                // GGUF row r holds HF row gguf_row_to_hf(r).
                let mut out = vec![0f32; v.len()];
                for r in 0..o {
                    let from = gguf_row_to_hf(r, hd);
                    out[r * i..(r + 1) * i].copy_from_slice(&v[from * i..(from + 1) * i]);
                }
                v = out;
            }
            w.tensor(&name, &[o, i], small(kind, i), &v)?;
            Ok(())
        };
        let vec1 = |w: &mut GgufWriter, name: &str, p: &Param<Tensor<1>>| -> Result<()> {
            let v = tensor_to_vec(p.val())?;
            w.tensor(name, &[v.len()], GgmlType::F32, &v)?;
            Ok(())
        };
        let e = m.embed.weight();
        let [vocab, h] = e.dims();
        w.tensor(
            "token_embd.weight",
            &[vocab, h],
            small(kind, h),
            &tensor_to_vec(e)?,
        )?;
        for (l, b) in m.layers.iter().enumerate() {
            vec1(
                &mut w,
                &format!("blk.{l}.attn_norm.weight"),
                &b.attn_norm.gamma,
            )?;
            vec1(
                &mut w,
                &format!("blk.{l}.ffn_norm.weight"),
                &b.ffn_norm.gamma,
            )?;
            for (t, suffix) in [
                (Target::Q, "attn_q"),
                (Target::K, "attn_k"),
                (Target::V, "attn_v"),
                (Target::O, "attn_output"),
                (Target::Gate, "ffn_gate"),
                (Target::Up, "ffn_up"),
                (Target::Down, "ffn_down"),
            ] {
                let rope = matches!(t, Target::Q | Target::K);
                lin(
                    &mut w,
                    format!("blk.{l}.{suffix}.weight"),
                    b.projection(t),
                    rope,
                )?;
            }
        }
        vec1(&mut w, "output_norm.weight", &m.norm.gamma)?;
        if let Some(head) = &m.lm_head {
            lin(&mut w, "output.weight".into(), head, false)?;
        }
        std::fs::write(path, w.to_bytes()).map_err(|e| Error::io(path, e))
    }
}

impl BaseModel {
    /// Writes the weights in Hugging Face Llama layout (`model.safetensors`, `config.json`,
    /// `tokenizer.json`) into `dir`.
    pub fn save_safetensors(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let c = &self.config;
        let m = &self.model;
        let mut named: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
        let lin = |named: &mut Vec<(String, Vec<usize>, Vec<f32>)>,
                   name: String,
                   p: &Projection|
         -> Result<()> {
            let t = p.weight().transpose();
            let dims = t.dims().to_vec();
            named.push((name, dims, tensor_to_vec(t)?));
            Ok(())
        };
        let vec1 = |named: &mut Vec<(String, Vec<usize>, Vec<f32>)>,
                    name: String,
                    p: &Param<Tensor<1>>|
         -> Result<()> {
            let v = tensor_to_vec(p.val())?;
            named.push((name, vec![v.len()], v));
            Ok(())
        };
        let e = m.embed.weight();
        named.push((
            "model.embed_tokens.weight".into(),
            e.dims().to_vec(),
            tensor_to_vec(e)?,
        ));
        for (l, b) in m.layers.iter().enumerate() {
            let p = format!("model.layers.{l}");
            vec1(
                &mut named,
                format!("{p}.input_layernorm.weight"),
                &b.attn_norm.gamma,
            )?;
            vec1(
                &mut named,
                format!("{p}.post_attention_layernorm.weight"),
                &b.ffn_norm.gamma,
            )?;
            for (t, suffix) in [
                (Target::Q, "self_attn.q_proj"),
                (Target::K, "self_attn.k_proj"),
                (Target::V, "self_attn.v_proj"),
                (Target::O, "self_attn.o_proj"),
                (Target::Gate, "mlp.gate_proj"),
                (Target::Up, "mlp.up_proj"),
                (Target::Down, "mlp.down_proj"),
            ] {
                lin(&mut named, format!("{p}.{suffix}.weight"), b.projection(t))?;
            }
        }
        vec1(&mut named, "model.norm.weight".into(), &m.norm.gamma)?;
        if let Some(h) = &m.lm_head {
            lin(&mut named, "lm_head.weight".into(), h)?;
        }
        let bytes: Vec<Vec<u8>> = named
            .iter()
            .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
            .collect();
        let path = dir.join("model.safetensors");
        let st = |e: safetensors::SafeTensorError| Error::Safetensors {
            path: path.clone(),
            reason: e.to_string(),
        };
        let views = named
            .iter()
            .zip(&bytes)
            .map(|((n, d, _), b)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, d.clone(), b)
                    .map(|v| (n.clone(), v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(st)?;
        let out = safetensors::serialize(views, None).map_err(st)?;
        std::fs::write(&path, out).map_err(|e| Error::io(&path, e))?;
        let config = serde_json::json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": c.vocab_size,
            "hidden_size": c.hidden_size,
            "intermediate_size": c.intermediate_size,
            "num_hidden_layers": c.num_layers,
            "num_attention_heads": c.num_heads,
            "num_key_value_heads": c.num_kv_heads,
            "rope_theta": c.rope_theta,
            "rms_norm_eps": c.rms_eps,
            "max_position_embeddings": c.max_seq_len,
            "tie_word_embeddings": c.tie_embeddings,
            "eos_token_id": self.tokenizer.spec.eos,
        });
        let cpath = dir.join("config.json");
        std::fs::write(&cpath, config.to_string()).map_err(|e| Error::io(&cpath, e))?;
        let spec = &self.tokenizer.spec;
        let vocab: serde_json::Map<String, serde_json::Value> = spec
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), serde_json::Value::from(i)))
            .collect();
        let added: Vec<serde_json::Value> = spec
            .tokens
            .iter()
            .zip(&spec.token_types)
            .enumerate()
            .filter(|(_, (_, t))| **t == 3 || **t == 4)
            .map(|(i, (s, _))| serde_json::json!({"id": i, "content": s, "special": true}))
            .collect();
        let byte_level = serde_json::json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
        let pre = if spec.split_digits {
            serde_json::json!({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, byte_level]})
        } else {
            byte_level.clone()
        };
        let tok = serde_json::json!({
            "version": "1.0",
            "added_tokens": added,
            "pre_tokenizer": pre,
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "vocab": vocab, "merges": spec.merges},
        });
        let tpath = dir.join("tokenizer.json");
        std::fs::write(&tpath, tok.to_string()).map_err(|e| Error::io(&tpath, e))
    }
}

/// Tokenizer spec from a Hugging Face `tokenizer.json` (byte-level BPE).
fn tokenizer_spec_from_json(path: &Path, eos_hint: Option<u32>) -> Result<TokenizerSpec> {
    let err = |reason: String| Error::Tokenizer(format!("{}: {reason}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    let model = j.get("model").ok_or_else(|| err("no model".into()))?;
    let vocab = model
        .get("vocab")
        .and_then(|v| v.as_object())
        .ok_or_else(|| err("no vocab".into()))?;
    let mut tokens = vec![String::new(); vocab.len()];
    for (tok, id) in vocab {
        let id = id.as_u64().ok_or_else(|| err("bad id".into()))? as usize;
        if id >= tokens.len() {
            tokens.resize(id + 1, String::new());
        }
        tokens[id] = tok.clone();
    }
    let merges = model
        .get("merges")
        .and_then(|m| m.as_array())
        .ok_or_else(|| err("no merges".into()))?
        .iter()
        .map(|m| match m {
            serde_json::Value::String(s) => Ok(s.clone()),
            serde_json::Value::Array(p) if p.len() == 2 => Ok(format!(
                "{} {}",
                p[0].as_str().unwrap_or_default(),
                p[1].as_str().unwrap_or_default()
            )),
            _ => Err(err("bad merge".into())),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut token_types = vec![1; tokens.len()];
    for a in j
        .get("added_tokens")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(t) = a
            .get("id")
            .and_then(|v| v.as_u64())
            .and_then(|id| token_types.get_mut(id as usize))
        {
            *t = 3;
        }
    }
    let find = |s: &str| tokens.iter().position(|t| t == s).map(|p| p as u32);
    let eos = eos_hint
        .or_else(|| find("<|im_end|>"))
        .or_else(|| find("<|endoftext|>"))
        .or_else(|| find("</s>"))
        .ok_or_else(|| err("no end-of-sequence token".into()))?;
    Ok(TokenizerSpec {
        split_digits: text.contains("\"Digits\""),
        bos: None,
        eos,
        pad: None,
        chat_template: None,
        tokens,
        merges,
        token_types,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rope_row_permutation_is_a_bijection() {
        let hd = 8;
        let mut seen: Vec<usize> = (0..32).map(|r| gguf_row_to_hf(r, hd)).collect();
        seen.sort();
        assert_eq!(seen, (0..32).collect::<Vec<_>>());
        // GGUF rows 0 and 1 are the pair (0, hd/2) of head 0.
        assert_eq!(gguf_row_to_hf(0, hd), 0);
        assert_eq!(gguf_row_to_hf(1, hd), 4);
        assert_eq!(gguf_row_to_hf(2, hd), 1);
        for r in 0..32 {
            assert_eq!(hf_row_to_gguf(gguf_row_to_hf(r, hd), hd), r);
        }
    }
}
