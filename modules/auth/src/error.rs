use openledger_framework::{AbciError, CodedError};

/// Errors of the auth module (codespace `auth`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("account {0} does not exist")]
    AccountNotFound(String),
    #[error("invalid account data: {0}")]
    Corrupt(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("invalid params: {0}")]
    Params(String),
}

impl CodedError for AuthError {
    fn codespace(&self) -> &'static str {
        "auth"
    }
    fn code(&self) -> u32 {
        match self {
            AuthError::AccountNotFound(_) => 2,
            AuthError::Corrupt(_) => 3,
            AuthError::Genesis(_) => 4,
            AuthError::Params(_) => 5,
        }
    }
}

impl From<AuthError> for AbciError {
    fn from(e: AuthError) -> Self {
        e.to_abci()
    }
}
