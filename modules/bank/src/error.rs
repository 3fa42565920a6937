use openledger_framework::{AbciError, CodedError};

/// Errors of the bank module. Insufficient funds and invalid coins use the SDK's root codes,
/// as `x/bank` does, so clients recognise them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("spendable balance {balance} is smaller than {needed}: insufficient funds")]
    InsufficientFunds { balance: String, needed: String },
    #[error("invalid coins: {0}")]
    InvalidCoins(String),
    #[error("{0} transfers are currently disabled")]
    SendDisabled(String),
    #[error("{0} is not allowed to receive funds")]
    BlockedAddress(String),
    #[error("sum of inputs does not match sum of outputs")]
    InputOutputMismatch,
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
    #[error("supply overflow for {0}")]
    Overflow(String),
}

impl CodedError for BankError {
    fn codespace(&self) -> &'static str {
        match self {
            BankError::InsufficientFunds { .. } | BankError::InvalidCoins(_) => "sdk",
            _ => "bank",
        }
    }
    fn code(&self) -> u32 {
        match self {
            BankError::InsufficientFunds { .. } => 5,
            BankError::InvalidCoins(_) => 10,
            BankError::InputOutputMismatch => 4,
            BankError::SendDisabled(_) => 5,
            BankError::BlockedAddress(_) => 6,
            BankError::Genesis(_) => 7,
            BankError::Corrupt(_) => 8,
            BankError::Overflow(_) => 9,
        }
    }
}

impl From<BankError> for AbciError {
    fn from(e: BankError) -> Self {
        e.to_abci()
    }
}
