//! Errors of the mint module.

use openledger_framework::{AbciError, CodedError};

/// Errors of the mint module (codespace `mint`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid minter: {0}")]
    InvalidMinter(String),
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("arithmetic overflow: {0}")]
    Overflow(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for MintError {
    fn codespace(&self) -> &'static str {
        match self {
            MintError::InvalidAddress(_) => "sdk",
            _ => "mint",
        }
    }

    fn code(&self) -> u32 {
        match self {
            MintError::InvalidParams(_) => 2,
            MintError::InvalidMinter(_) => 3,
            MintError::Genesis(_) => 4,
            MintError::Overflow(_) => 5,
            MintError::Corrupt(_) => 6,
            MintError::InvalidAddress(_) => 7,
        }
    }
}

impl From<MintError> for AbciError {
    fn from(e: MintError) -> Self {
        e.to_abci()
    }
}
