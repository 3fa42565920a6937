//! GGUF (version 2 and 3) reader with dequantisation of F32, F16, BF16, Q8_0, Q4_0 and Q4_1,
//! plus a small writer used to build test files.
//!
//! Every read is bounds-checked: a truncated or corrupt file gives an [`Error::Gguf`] naming the
//! file, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use half::{bf16, f16};

use crate::error::{Error, Result};

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
/// Refuse absurd counts before allocating for them.
const MAX_COUNT: u64 = 1 << 28;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    Array(Vec<Value>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Value {
    /// The value as an unsigned integer, when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v as u64),
            Value::U16(v) => Some(v as u64),
            Value::U32(v) => Some(v as u64),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, when it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            // The shortest decimal of the f32 (1e-5 stays 1e-5, not 9.99999974e-6).
            Value::F32(v) => format!("{v}").parse().ok(),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) => Some(v),
            _ => None,
        }
    }

    fn short(&self) -> String {
        match self {
            Value::String(s) if s.len() > 60 => format!("{:?}…", &s[..s.floor_char_boundary(60)]),
            Value::String(s) => format!("{s:?}"),
            Value::Array(v) => format!("[{} items]", v.len()),
            other => format!("{other:?}")
                .split(['(', ')'])
                .nth(1)
                .unwrap_or_default()
                .to_string(),
        }
    }
}

/// The ggml tensor types this reader knows by name; only some can be dequantised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q8_0,
    BF16,
    Other(u32),
}

impl GgmlType {
    fn from_u32(v: u32) -> Self {
        match v {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            8 => GgmlType::Q8_0,
            30 => GgmlType::BF16,
            other => GgmlType::Other(other),
        }
    }

    fn to_u32(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q8_0 => 8,
            GgmlType::BF16 => 30,
            GgmlType::Other(v) => v,
        }
    }

    /// (elements per block, bytes per block), for the types we can read.
    fn block(self) -> Option<(usize, usize)> {
        match self {
            GgmlType::F32 => Some((1, 4)),
            GgmlType::F16 | GgmlType::BF16 => Some((1, 2)),
            GgmlType::Q4_0 => Some((32, 18)),
            GgmlType::Q4_1 => Some((32, 20)),
            GgmlType::Q8_0 => Some((32, 34)),
            GgmlType::Other(_) => None,
        }
    }

    pub fn name(self) -> String {
        match self {
            GgmlType::F32 => "F32".into(),
            GgmlType::F16 => "F16".into(),
            GgmlType::Q4_0 => "Q4_0".into(),
            GgmlType::Q4_1 => "Q4_1".into(),
            GgmlType::Q8_0 => "Q8_0".into(),
            GgmlType::BF16 => "BF16".into(),
            GgmlType::Other(v) => format!("ggml type {v}"),
        }
    }
}

/// A tensor's header entry.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    /// GGUF order: `dims[0]` varies fastest (the row length).
    pub dims: Vec<u64>,
    pub kind: GgmlType,
    /// Offset of the data from the start of the file.
    pub offset: u64,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// The shape in row-major (PyTorch) order: the reverse of the GGUF dims.
    pub fn shape(&self) -> Vec<usize> {
        self.dims.iter().rev().map(|&d| d as usize).collect()
    }
}

/// A parsed GGUF file held in memory.
pub struct GgufFile {
    pub path: PathBuf,
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensors: Vec<TensorInfo>,
    data: Vec<u8>,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("tensors", &self.tensors.len())
            .field("metadata", &self.metadata.len())
            .finish()
    }
}

struct Cursor<'a> {
    path: &'a Path,
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Gguf {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                self.err(format!(
                    "truncated: needed {n} bytes at offset {} of {}",
                    self.pos,
                    self.buf.len()
                ))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn count(&mut self, what: &str) -> Result<usize> {
        let n = self.u64()?;
        if n > MAX_COUNT {
            return Err(self.err(format!("implausible {what} count {n}")));
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> Result<String> {
        let n = self.count("string length")?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.err("string is not UTF-8"))
    }

    fn value(&mut self, kind: u32, depth: usize) -> Result<Value> {
        Ok(match kind {
            0 => Value::U8(self.array::<1>()?[0]),
            1 => Value::I8(self.array::<1>()?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array()?)),
            3 => Value::I16(i16::from_le_bytes(self.array()?)),
            4 => Value::U32(self.u32()?),
            5 => Value::I32(i32::from_le_bytes(self.array()?)),
            6 => Value::F32(f32::from_le_bytes(self.array()?)),
            7 => Value::Bool(self.array::<1>()?[0] != 0),
            8 => Value::String(self.string()?),
            9 => {
                if depth > 4 {
                    return Err(self.err("arrays nested too deeply"));
                }
                let inner = self.u32()?;
                let n = self.count("array")?;
                let mut v = Vec::with_capacity(n.min(1 << 20));
                for _ in 0..n {
                    v.push(self.value(inner, depth + 1)?);
                }
                Value::Array(v)
            }
            10 => Value::U64(self.u64()?),
            11 => Value::I64(i64::from_le_bytes(self.array()?)),
            12 => Value::F64(f64::from_le_bytes(self.array()?)),
            other => return Err(self.err(format!("unknown metadata value type {other}"))),
        })
    }
}

impl GgufFile {
    /// Reads and parses a GGUF file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, data)
    }

    /// Parses GGUF bytes; `path` only names the source in errors.
    pub fn parse(path: &Path, data: Vec<u8>) -> Result<Self> {
        let mut c = Cursor {
            path,
            buf: &data,
            pos: 0,
        };
        let magic = c.array::<4>()?;
        if &magic != MAGIC {
            return Err(c.err("bad magic (expected \"GGUF\")"));
        }
        let version = c.u32()?;
        if !(2..=3).contains(&version) {
            return Err(c.err(format!("unsupported GGUF version {version}")));
        }
        let n_tensors = c.count("tensor")?;
        let n_kv = c.count("metadata")?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = c.string()?;
            let kind = c.u32()?;
            let value = c.value(kind, 0)?;
            metadata.insert(key, value);
        }
        let mut infos = Vec::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let name = c.string()?;
            let n_dims = c.u32()?;
            if n_dims == 0 || n_dims > 4 {
                return Err(c.err(format!("tensor `{name}` has {n_dims} dimensions")));
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(c.u64()?);
            }
            let kind = GgmlType::from_u32(c.u32()?);
            let offset = c.u64()?;
            infos.push(TensorInfo {
                name,
                dims,
                kind,
                offset,
            });
        }
        let alignment = metadata
            .get("general.alignment")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_ALIGNMENT)
            .max(1);
        let data_start = (c.pos as u64).div_ceil(alignment) * alignment;
        for t in &mut infos {
            let n = t
                .dims
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))
                .ok_or_else(|| c.err(format!("tensor `{}` is too large", t.name)))?;
            t.offset = data_start
                .checked_add(t.offset)
                .ok_or_else(|| c.err(format!("tensor `{}` has a bad offset", t.name)))?;
            if let Some((block, bytes)) = t.kind.block() {
                // ggml packs blocks within rows: a row length that is not a whole number of
                // blocks does not describe the data.
                if t.dims.first().is_some_and(|&row| row % block as u64 != 0) {
                    return Err(c.err(format!(
                        "tensor `{}` has rows of {} values, not a multiple of the {} block size {block}",
                        t.name,
                        t.dims[0],
                        t.kind.name()
                    )));
                }
                if n % block as u64 != 0 {
                    return Err(c.err(format!(
                        "tensor `{}` has {n} elements, not a multiple of the block size {block}",
                        t.name
                    )));
                }
                let end = t.offset + n / block as u64 * bytes as u64;
                if end > data.len() as u64 {
                    return Err(c.err(format!(
                        "truncated: tensor `{}` ends at byte {end} but the file has {}",
                        t.name,
                        data.len()
                    )));
                }
            }
        }
        Ok(GgufFile {
            path: path.to_path_buf(),
            version,
            metadata,
            tensors: infos,
            data,
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }

    fn meta_err(&self, reason: String) -> Error {
        Error::Gguf {
            path: self.path.clone(),
            reason,
        }
    }

    /// A required integer metadata value.
    pub fn get_u64(&self, key: &str) -> Result<u64> {
        self.get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.meta_err(format!("missing integer metadata `{key}`")))
    }

    pub fn get_str(&self, key: &str) -> Result<&str> {
        self.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| self.meta_err(format!("missing string metadata `{key}`")))
    }

    pub fn tensor_info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Dequantises a tensor to f32, returned with its row-major shape.
    pub fn tensor_f32(&self, name: &str) -> Result<(Vec<f32>, Vec<usize>)> {
        let info = self
            .tensor_info(name)
            .ok_or_else(|| self.meta_err(format!("missing tensor `{name}`")))?;
        let (block, bytes) = info
            .kind
            .block()
            .ok_or_else(|| Error::UnsupportedTensorType {
                path: self.path.clone(),
                tensor: name.to_string(),
                kind: info.kind.name(),
            })?;
        let n = info.n_elements() as usize;
        let start = info.offset as usize;
        let raw = &self.data[start..start + n / block * bytes];
        Ok((dequantize(info.kind, raw, n), info.shape()))
    }

    /// A tensor's blocks as stored (bounds checked at parse), with its type and row-major shape.
    pub fn tensor_raw(&self, name: &str) -> Result<(GgmlType, &[u8], Vec<usize>)> {
        let info = self
            .tensor_info(name)
            .ok_or_else(|| self.meta_err(format!("missing tensor `{name}`")))?;
        let (block, bytes) = info
            .kind
            .block()
            .ok_or_else(|| Error::UnsupportedTensorType {
                path: self.path.clone(),
                tensor: name.to_string(),
                kind: info.kind.name(),
            })?;
        let start = info.offset as usize;
        let len = info.n_elements() as usize / block * bytes;
        Ok((info.kind, &self.data[start..start + len], info.shape()))
    }

    /// Human-readable summary of the metadata (long arrays abbreviated).
    pub fn metadata_summary(&self) -> Vec<(String, String)> {
        self.metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.short()))
            .collect()
    }
}

/// Dequantises `n` elements of `kind` from `raw` (whose length the caller has checked).
pub fn dequantize(kind: GgmlType, raw: &[u8], n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    let h = |b: &[u8]| f16::from_le_bytes([b[0], b[1]]).to_f32();
    match kind {
        GgmlType::F32 => out.extend(
            raw.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ),
        GgmlType::F16 => out.extend(raw.chunks_exact(2).map(h)),
        GgmlType::BF16 => out.extend(
            raw.chunks_exact(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32()),
        ),
        GgmlType::Q8_0 => {
            for b in raw.chunks_exact(34) {
                let d = h(&b[0..2]);
                out.extend(b[2..34].iter().map(|&q| q as i8 as f32 * d));
            }
        }
        GgmlType::Q4_0 => {
            for b in raw.chunks_exact(18) {
                let d = h(&b[0..2]);
                let qs = &b[2..18];
                out.extend(qs.iter().map(|&q| ((q & 0x0f) as i32 - 8) as f32 * d));
                out.extend(qs.iter().map(|&q| ((q >> 4) as i32 - 8) as f32 * d));
            }
        }
        GgmlType::Q4_1 => {
            for b in raw.chunks_exact(20) {
                let d = h(&b[0..2]);
                let m = h(&b[2..4]);
                let qs = &b[4..20];
                out.extend(qs.iter().map(|&q| (q & 0x0f) as f32 * d + m));
                out.extend(qs.iter().map(|&q| (q >> 4) as f32 * d + m));
            }
        }
        GgmlType::Other(_) => {}
    }
    out
}

/// Quantises f32 values (length a multiple of the block size) to `kind`. Used to write test
/// files and to measure quantisation error; follows ggml's reference quantisers.
pub fn quantize(kind: GgmlType, x: &[f32]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match kind {
        GgmlType::F32 => x.iter().for_each(|v| out.extend(v.to_le_bytes())),
        GgmlType::F16 => x
            .iter()
            .for_each(|v| out.extend(f16::from_f32(*v).to_le_bytes())),
        GgmlType::BF16 => x
            .iter()
            .for_each(|v| out.extend(bf16::from_f32(*v).to_le_bytes())),
        GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q4_1 => {
            if !x.len().is_multiple_of(32) {
                return Err(Error::Invalid(format!(
                    "{} needs a multiple of 32 values, got {}",
                    kind.name(),
                    x.len()
                )));
            }
            for b in x.chunks_exact(32) {
                match kind {
                    GgmlType::Q8_0 => {
                        let amax = b.iter().fold(0f32, |a, v| a.max(v.abs()));
                        let d = amax / 127.0;
                        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                        out.extend(f16::from_f32(d).to_le_bytes());
                        out.extend(b.iter().map(|v| (v * id).round() as i8 as u8));
                    }
                    GgmlType::Q4_0 => {
                        // ggml: the value of largest magnitude maps to -8.
                        let max = b
                            .iter()
                            .fold(0f32, |a, &v| if v.abs() > a.abs() { v } else { a });
                        let d = max / -8.0;
                        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                        out.extend(f16::from_f32(d).to_le_bytes());
                        let q = |v: f32| ((v * id + 8.5) as i32).clamp(0, 15) as u8;
                        for j in 0..16 {
                            out.push(q(b[j]) | (q(b[j + 16]) << 4));
                        }
                    }
                    _ => {
                        let min = b.iter().fold(f32::INFINITY, |a, &v| a.min(v));
                        let max = b.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
                        let d = (max - min) / 15.0;
                        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                        out.extend(f16::from_f32(d).to_le_bytes());
                        out.extend(f16::from_f32(min).to_le_bytes());
                        let q = |v: f32| (((v - min) * id + 0.5) as i32).clamp(0, 15) as u8;
                        for j in 0..16 {
                            out.push(q(b[j]) | (q(b[j + 16]) << 4));
                        }
                    }
                }
            }
        }
        GgmlType::Other(v) => {
            return Err(Error::Invalid(format!("cannot quantise to ggml type {v}")));
        }
    }
    Ok(out)
}

/// Builds a GGUF v3 file in memory.
#[derive(Default)]
pub struct GgufWriter {
    metadata: Vec<(String, Value)>,
    tensors: Vec<(String, Vec<u64>, GgmlType, Vec<u8>)>,
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn meta(&mut self, key: &str, value: Value) -> &mut Self {
        self.metadata.push((key.to_string(), value));
        self
    }

    /// Adds a tensor given in row-major `shape`, quantised to `kind`.
    pub fn tensor(
        &mut self,
        name: &str,
        shape: &[usize],
        kind: GgmlType,
        values: &[f32],
    ) -> Result<&mut Self> {
        let bytes = quantize(kind, values)?;
        let dims = shape.iter().rev().map(|&d| d as u64).collect();
        self.tensors.push((name.to_string(), dims, kind, bytes));
        Ok(self)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend((s.len() as u64).to_le_bytes());
            out.extend(s.as_bytes());
        }
        fn kind(v: &Value) -> u32 {
            match v {
                Value::U8(_) => 0,
                Value::I8(_) => 1,
                Value::U16(_) => 2,
                Value::I16(_) => 3,
                Value::U32(_) => 4,
                Value::I32(_) => 5,
                Value::F32(_) => 6,
                Value::Bool(_) => 7,
                Value::String(_) => 8,
                Value::Array(_) => 9,
                Value::U64(_) => 10,
                Value::I64(_) => 11,
                Value::F64(_) => 12,
            }
        }
        fn value(out: &mut Vec<u8>, v: &Value) {
            match v {
                Value::U8(x) => out.push(*x),
                Value::I8(x) => out.push(*x as u8),
                Value::U16(x) => out.extend(x.to_le_bytes()),
                Value::I16(x) => out.extend(x.to_le_bytes()),
                Value::U32(x) => out.extend(x.to_le_bytes()),
                Value::I32(x) => out.extend(x.to_le_bytes()),
                Value::F32(x) => out.extend(x.to_le_bytes()),
                Value::Bool(x) => out.push(*x as u8),
                Value::String(s) => string(out, s),
                Value::Array(items) => {
                    let k = items.first().map(kind).unwrap_or(8);
                    out.extend(k.to_le_bytes());
                    out.extend((items.len() as u64).to_le_bytes());
                    items.iter().for_each(|i| value(out, i));
                }
                Value::U64(x) => out.extend(x.to_le_bytes()),
                Value::I64(x) => out.extend(x.to_le_bytes()),
                Value::F64(x) => out.extend(x.to_le_bytes()),
            }
        }
        let mut out = Vec::new();
        out.extend(MAGIC);
        out.extend(3u32.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend((self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            string(&mut out, k);
            out.extend(kind(v).to_le_bytes());
            value(&mut out, v);
        }
        let align = |n: u64| n.div_ceil(DEFAULT_ALIGNMENT) * DEFAULT_ALIGNMENT;
        let mut offset = 0u64;
        for (name, dims, k, bytes) in &self.tensors {
            string(&mut out, name);
            out.extend((dims.len() as u32).to_le_bytes());
            dims.iter().for_each(|d| out.extend(d.to_le_bytes()));
            out.extend(k.to_u32().to_le_bytes());
            out.extend(offset.to_le_bytes());
            offset = align(offset + bytes.len() as u64);
        }
        out.resize(align(out.len() as u64) as usize, 0);
        for (_, _, _, bytes) in &self.tensors {
            out.extend(bytes);
            out.resize(align(out.len() as u64) as usize, 0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0)
            .collect()
    }

    #[test]
    fn quantisation_round_trips_within_the_format_error() {
        let x = sample(256);
        let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
        for (kind, tol) in [
            (GgmlType::F32, 0.0),
            (GgmlType::F16, 2e-3),
            (GgmlType::BF16, 2e-2),
            (GgmlType::Q8_0, amax / 127.0),
            (GgmlType::Q4_0, amax / 7.0),
            (GgmlType::Q4_1, amax * 2.0 / 15.0),
        ] {
            let q = quantize(kind, &x).unwrap();
            let y = dequantize(kind, &q, x.len());
            assert_eq!(y.len(), x.len());
            let err = x
                .iter()
                .zip(&y)
                .fold(0f32, |a, (p, q)| a.max((p - q).abs()));
            assert!(err <= tol + 1e-6, "{kind:?}: max error {err} > {tol}");
        }
    }

    #[test]
    fn q4_1_block_decodes_by_hand() {
        // d = 0.5, m = -1: nibble q decodes to q * 0.5 - 1.
        let mut b = Vec::new();
        b.extend(f16::from_f32(0.5).to_le_bytes());
        b.extend(f16::from_f32(-1.0).to_le_bytes());
        b.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let y = dequantize(GgmlType::Q4_1, &b, 32);
        assert_eq!(y[0], -1.0);
        assert_eq!(y[3], 0.5);
        assert_eq!(y[16], 6.5);
        assert_eq!(y[31], -1.0);
    }

    #[test]
    fn writes_and_reads_a_file() {
        let x = sample(64);
        let mut w = GgufWriter::new();
        w.meta("general.architecture", Value::String("llama".into()))
            .meta("llama.block_count", Value::U32(2))
            .meta(
                "tokenizer.ggml.tokens",
                Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
            );
        w.tensor("w", &[2, 32], GgmlType::Q8_0, &x).unwrap();
        w.tensor("v", &[4, 16], GgmlType::F32, &x).unwrap();
        let f = GgufFile::parse(Path::new("mem.gguf"), w.to_bytes()).unwrap();
        assert_eq!(f.version, 3);
        assert_eq!(f.get_u64("llama.block_count").unwrap(), 2);
        assert_eq!(f.get_str("general.architecture").unwrap(), "llama");
        let (v, shape) = f.tensor_f32("v").unwrap();
        assert_eq!(shape, vec![4, 16]);
        assert_eq!(v, x);
        let (w, shape) = f.tensor_f32("w").unwrap();
        assert_eq!(shape, vec![2, 32]);
        assert!((w[5] - x[5]).abs() < 0.05);
    }

    #[test]
    fn truncated_and_corrupt_files_are_errors_not_panics() {
        let mut w = GgufWriter::new();
        w.meta("k", Value::String("v".into()));
        w.tensor("t", &[64], GgmlType::Q4_1, &sample(64)).unwrap();
        let bytes = w.to_bytes();
        for cut in [0, 3, 10, 30, bytes.len() - 30] {
            let e = GgufFile::parse(Path::new("cut.gguf"), bytes[..cut].to_vec())
                .expect_err("truncated file must fail");
            let msg = e.to_string();
            assert!(msg.contains("cut.gguf"), "{msg}");
        }
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(
            GgufFile::parse(Path::new("bad.gguf"), bad)
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        let e = GgufFile::open("/nonexistent/model.gguf").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/model.gguf"));
    }

    #[test]
    fn unsupported_tensor_type_is_named() {
        let mut w = GgufWriter::new();
        w.tensor("t", &[32], GgmlType::F32, &sample(32)).unwrap();
        let mut bytes = w.to_bytes();
        // Patch the type field (after name, n_dims, one dim) to Q6_K (14).
        let pos = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8;
        bytes[pos..pos + 4].copy_from_slice(&14u32.to_le_bytes());
        let f = GgufFile::parse(Path::new("q6k.gguf"), bytes).unwrap();
        let e = f.tensor_f32("t").unwrap_err().to_string();
        assert!(e.contains("q6k.gguf") && e.contains("ggml type 14"), "{e}");
    }
}
