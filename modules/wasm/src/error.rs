//! The wasm module's errors: codespace `wasm` with wasmd's codes (`x/wasm/types/errors.go`), so
//! clients that know wasmd recognise them. Authority and address errors use the SDK's codes.

use openledger_framework::{AbciError, CodedError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    #[error("create wasm contract failed: {0}")]
    Create(String),
    #[error("contract account already exists: {0}")]
    AccountExists(String),
    #[error("instantiate wasm contract failed: {0}")]
    Instantiate(String),
    #[error("execute wasm contract failed: {0}")]
    Execute(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("query wasm contract failed: {0}")]
    Query(String),
    #[error("invalid message: {0}")]
    InvalidMsg(String),
    #[error("migrate wasm contract failed: {0}")]
    Migrate(String),
    #[error("empty: {0}")]
    Empty(String),
    #[error("exceeds limit: {0}")]
    Limit(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("unknown message from the contract: {0}")]
    UnknownMsg(String),
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    #[error("no such contract: {0}")]
    NoSuchContract(String),
    #[error("max query stack size exceeded: {0}")]
    QueryDepth(String),
    #[error("no such code: {0}")]
    NoSuchCode(u64),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
    #[error("wasm cache: {0}")]
    Cache(String),
}

impl CodedError for WasmError {
    fn codespace(&self) -> &'static str {
        match self {
            WasmError::Unauthorized(_) | WasmError::Corrupt(_) | WasmError::Cache(_) => "sdk",
            _ => "wasm",
        }
    }

    fn code(&self) -> u32 {
        match self {
            WasmError::Create(_) => 2,
            WasmError::AccountExists(_) => 3,
            WasmError::Instantiate(_) => 4,
            WasmError::Execute(_) => 5,
            WasmError::Genesis(_) => 7,
            WasmError::NotFound(_) => 8,
            WasmError::Query(_) => 9,
            WasmError::InvalidMsg(_) => 10,
            WasmError::Migrate(_) => 11,
            WasmError::Empty(_) => 12,
            WasmError::Limit(_) => 13,
            WasmError::Invalid(_) => 14,
            WasmError::UnknownMsg(_) => 20,
            WasmError::InvalidEvent(_) => 21,
            WasmError::NoSuchContract(_) => 22,
            WasmError::QueryDepth(_) => 27,
            WasmError::NoSuchCode(_) => 28,
            WasmError::Unauthorized(_) => 4,
            // The SDK's ErrInternal: a node-side failure, not the sender's fault.
            WasmError::Corrupt(_) | WasmError::Cache(_) => 1,
        }
    }
}

impl From<WasmError> for AbciError {
    fn from(e: WasmError) -> Self {
        e.to_abci()
    }
}

/// Whether an error is the SDK's out-of-gas error, which no submessage may catch (unless it ran
/// under its own gas limit) and which always fails the transaction.
pub fn is_out_of_gas(e: &AbciError) -> bool {
    e.codespace == "sdk" && e.code == 11
}
