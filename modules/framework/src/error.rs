//! Errors with a codespace and a code, as the Cosmos SDK reports them in CheckTx, DeliverTx and
//! gRPC. Every module's error enum implements [`CodedError`]; the application turns any of them
//! into an [`AbciError`] for the wire.

use std::fmt;

/// What keepers and handlers return: their error as it goes on the wire, by default.
pub type Result<T, E = AbciError> = std::result::Result<T, E>;

/// An error as it goes on the wire: `codespace`, non-zero `code` and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbciError {
    pub codespace: String,
    pub code: u32,
    pub message: String,
}

impl fmt::Display for AbciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AbciError {}

impl AbciError {
    pub fn new(codespace: impl Into<String>, code: u32, message: impl Into<String>) -> Self {
        Self {
            codespace: codespace.into(),
            code,
            message: message.into(),
        }
    }

    /// Prefixes the message with context, keeping codespace and code.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

/// An error that knows its Cosmos codespace and code.
pub trait CodedError: std::error::Error {
    fn codespace(&self) -> &'static str;
    fn code(&self) -> u32;

    fn to_abci(&self) -> AbciError {
        AbciError::new(self.codespace(), self.code(), self.to_string())
    }
}

/// The Cosmos SDK's root errors (codespace `sdk`), same codes as `types/errors/errors.go`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdkError {
    #[error("tx parse error: {0}")]
    TxDecode(String),
    #[error("invalid sequence: {0}")]
    InvalidSequence(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A `MsgUpdateParams` (or another authority-only message) not signed by the authority.
    #[error("invalid authority; expected {expected}, got {got}")]
    InvalidAuthority { expected: String, got: String },
    #[error("insufficient funds: {0}")]
    InsufficientFunds(String),
    #[error("unknown request: {0}")]
    UnknownRequest(String),
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("invalid pubkey: {0}")]
    InvalidPubKey(String),
    #[error("unknown address: {0}")]
    UnknownAddress(String),
    #[error("invalid coins: {0}")]
    InvalidCoins(String),
    #[error("out of gas: {0}")]
    OutOfGas(String),
    #[error("memo too large: {0}")]
    MemoTooLarge(String),
    #[error("insufficient fee: {0}")]
    InsufficientFee(String),
    #[error("too many signatures: {0}")]
    TooManySignatures(String),
    #[error("no signatures supplied")]
    NoSignatures,
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("tx too large: {0}")]
    TxTooLarge(String),
    #[error("key not found: {0}")]
    KeyNotFound(String),
    #[error("invalid chain-id: {0}")]
    InvalidChainId(String),
    #[error("invalid type: {0}")]
    InvalidType(String),
    #[error("tx timeout height: {0}")]
    TxTimeoutHeight(String),
    #[error("account sequence mismatch: {0}")]
    WrongSequence(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid gas limit: {0}")]
    InvalidGasLimit(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CodedError for SdkError {
    fn codespace(&self) -> &'static str {
        "sdk"
    }

    fn code(&self) -> u32 {
        match self {
            SdkError::TxDecode(_) => 2,
            SdkError::InvalidSequence(_) => 3,
            SdkError::Unauthorized(_) | SdkError::InvalidAuthority { .. } => 4,
            SdkError::InsufficientFunds(_) => 5,
            SdkError::UnknownRequest(_) => 6,
            SdkError::InvalidAddress(_) => 7,
            SdkError::InvalidPubKey(_) => 8,
            SdkError::UnknownAddress(_) => 9,
            SdkError::InvalidCoins(_) => 10,
            SdkError::OutOfGas(_) => 11,
            SdkError::MemoTooLarge(_) => 12,
            SdkError::InsufficientFee(_) => 13,
            SdkError::TooManySignatures(_) => 14,
            SdkError::NoSignatures => 15,
            SdkError::InvalidRequest(_) => 18,
            SdkError::TxTooLarge(_) => 21,
            SdkError::KeyNotFound(_) => 22,
            SdkError::InvalidChainId(_) => 28,
            SdkError::InvalidType(_) => 29,
            SdkError::TxTimeoutHeight(_) => 30,
            SdkError::WrongSequence(_) => 32,
            SdkError::NotFound(_) => 38,
            SdkError::InvalidGasLimit(_) => 41,
            SdkError::Internal(_) => 1,
        }
    }
}

impl From<SdkError> for AbciError {
    fn from(e: SdkError) -> Self {
        e.to_abci()
    }
}

impl From<crate::store::StoreError> for AbciError {
    fn from(e: crate::store::StoreError) -> Self {
        AbciError::new("sdk", 1, format!("store: {e}"))
    }
}
