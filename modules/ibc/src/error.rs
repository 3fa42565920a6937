use openledger_framework::{AbciError, CodedError};

/// Errors of IBC core (codespace `ibc`) and of the transfer application (`transfer`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbcError {
    /// A message that does not decode into its ibc-rs domain type.
    #[error("invalid IBC message: {0}")]
    InvalidMsg(String),
    /// What ibc-rs' handlers refused: a proof that does not verify, a header the light client
    /// rejects, a channel in the wrong state, an unknown id, ….
    #[error("{0}")]
    Handler(String),
    #[error("invalid transfer: {0}")]
    Transfer(String),
    #[error("denomination trace not found: {0}")]
    UnknownDenom(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for IbcError {
    fn codespace(&self) -> &'static str {
        match self {
            IbcError::Transfer(_) | IbcError::UnknownDenom(_) => "transfer",
            _ => "ibc",
        }
    }
    fn code(&self) -> u32 {
        match self {
            IbcError::InvalidMsg(_) => 2,
            IbcError::Handler(_) => 3,
            IbcError::Transfer(_) => 4,
            IbcError::UnknownDenom(_) => 5,
            IbcError::Genesis(_) => 6,
            IbcError::Corrupt(_) => 7,
        }
    }
}

impl From<IbcError> for AbciError {
    fn from(e: IbcError) -> Self {
        e.to_abci()
    }
}
