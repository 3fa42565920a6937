use openledger_framework::{AbciError, CodedError};

/// Errors of the models module (codespace `models`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelsError {
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("base model {0} not found")]
    BaseModelNotFound(u64),
    #[error("adapter {0} not found")]
    AdapterNotFound(u64),
    #[error("adapter weights are {size} bytes, over the limit of {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("weights hash mismatch: declared {declared}, actual {actual}")]
    HashMismatch { declared: String, actual: String },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for ModelsError {
    fn codespace(&self) -> &'static str {
        "models"
    }

    fn code(&self) -> u32 {
        match self {
            ModelsError::Invalid(_) => 2,
            ModelsError::BaseModelNotFound(_) => 3,
            ModelsError::AdapterNotFound(_) => 4,
            ModelsError::TooLarge { .. } => 5,
            ModelsError::HashMismatch { .. } => 6,
            ModelsError::Unauthorized(_) => 7,
            ModelsError::Genesis(_) => 8,
            ModelsError::Corrupt(_) => 9,
        }
    }
}

impl From<ModelsError> for AbciError {
    fn from(e: ModelsError) -> Self {
        e.to_abci()
    }
}
