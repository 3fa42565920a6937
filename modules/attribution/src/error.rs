use openledger_framework::{AbciError, CodedError};

/// Errors of the attribution module (codespace `attribution`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributionError {
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("request {0} not found")]
    RequestNotFound(u64),
    #[error("no attribution record for request {0}")]
    RecordNotFound(u64),
    #[error("no attribution records were committed at height {0}")]
    RootNotFound(u64),
    #[error("fee {fee} is more than max_fee {max_fee}")]
    FeeTooHigh { fee: String, max_fee: String },
    #[error("the licence contract {contract} of adapter {adapter} denies {user}")]
    LicenceDenied {
        contract: String,
        adapter: u64,
        user: String,
    },
    #[error("licence contract {contract}: {reason}")]
    Licence { contract: String, reason: String },
    #[error("invalid vote extension: {0}")]
    InvalidExtension(String),
    #[error("invalid extended commit: {0}")]
    InvalidCommit(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for AttributionError {
    fn codespace(&self) -> &'static str {
        "attribution"
    }

    fn code(&self) -> u32 {
        match self {
            AttributionError::Invalid(_) => 2,
            AttributionError::RequestNotFound(_) => 3,
            AttributionError::RecordNotFound(_) => 4,
            AttributionError::RootNotFound(_) => 5,
            AttributionError::FeeTooHigh { .. } => 6,
            AttributionError::LicenceDenied { .. } => 7,
            AttributionError::Licence { .. } => 8,
            AttributionError::InvalidExtension(_) => 9,
            AttributionError::InvalidCommit(_) => 10,
            AttributionError::Genesis(_) => 11,
            AttributionError::Corrupt(_) => 12,
        }
    }
}

impl From<AttributionError> for AbciError {
    fn from(e: AttributionError) -> Self {
        e.to_abci()
    }
}
