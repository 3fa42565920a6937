use openledger_framework::{AbciError, CodedError};

/// Errors of the datanet module (codespace `datanet`). Messages name the record (by its index in
/// the message) or the id at fault, so clients can report them line by line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatanetError {
    #[error("invalid datanet: {0}")]
    InvalidDatanet(String),
    #[error("datanet {0} not found")]
    DatanetNotFound(u64),
    #[error("record {record} not found in datanet {datanet}")]
    RecordNotFound { datanet: u64, record: u64 },
    #[error("record {index}: does not match the schema: {reason}")]
    SchemaViolation { index: usize, reason: String },
    #[error("record {index}: {size} bytes is over the datanet's limit of {max} bytes")]
    RecordTooLarge { index: usize, size: usize, max: u64 },
    #[error("record {index}: duplicate of record {existing}")]
    Duplicate { index: usize, existing: String },
    #[error("{0} is not a curator of datanet {1}")]
    NotCurator(String, u64),
    #[error("record {record} is already {status}")]
    AlreadyDecided { record: u64, status: String },
    #[error("record {record} was already reviewed by {curator}")]
    AlreadyReviewed { record: u64, curator: String },
    #[error("{0} is not the owner of datanet {1}")]
    NotOwner(String, u64),
    #[error("nothing to cut: {0}")]
    NothingToCut(String),
    #[error("version {version} of datanet {datanet} not found")]
    VersionNotFound { datanet: u64, version: u64 },
    #[error("record {record} is not in version {version} of datanet {datanet}")]
    NotInVersion {
        datanet: u64,
        version: u64,
        record: u64,
    },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for DatanetError {
    fn codespace(&self) -> &'static str {
        "datanet"
    }

    fn code(&self) -> u32 {
        match self {
            DatanetError::InvalidDatanet(_) => 2,
            DatanetError::DatanetNotFound(_) => 3,
            DatanetError::RecordNotFound { .. } => 4,
            DatanetError::SchemaViolation { .. } => 5,
            DatanetError::RecordTooLarge { .. } => 6,
            DatanetError::Duplicate { .. } => 7,
            DatanetError::NotCurator(..) => 8,
            DatanetError::AlreadyDecided { .. } => 9,
            DatanetError::AlreadyReviewed { .. } => 10,
            DatanetError::NotOwner(..) => 11,
            DatanetError::NothingToCut(_) => 12,
            DatanetError::VersionNotFound { .. } => 13,
            DatanetError::NotInVersion { .. } => 14,
            DatanetError::InvalidRequest(_) => 15,
            DatanetError::Genesis(_) => 16,
            DatanetError::Corrupt(_) => 17,
        }
    }
}

impl From<DatanetError> for AbciError {
    fn from(e: DatanetError) -> Self {
        e.to_abci()
    }
}
