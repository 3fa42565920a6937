//! The library's error type: every failure names the file or record it came from.

use std::path::PathBuf;

/// Errors of the lora-engine library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid GGUF file: {reason}")]
    Gguf { path: PathBuf, reason: String },
    #[error("{path}: tensor `{tensor}` has unsupported type {kind}")]
    UnsupportedTensorType {
        path: PathBuf,
        tensor: String,
        kind: String,
    },
    #[error("{path}: {reason}")]
    Safetensors { path: PathBuf, reason: String },
    #[error("model: {0}")]
    Model(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("{path}: line {line}: {reason}")]
    Data {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("adapter {path}: {reason}")]
    Adapter { path: PathBuf, reason: String },
    #[error("prompt of {tokens} tokens does not fit the context length {context}")]
    ContextOverflow { tokens: usize, context: usize },
    #[error("{0}")]
    Invalid(String),
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
