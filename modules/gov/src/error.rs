use openledger_framework::{AbciError, CodedError};

/// Errors of the gov module (codespace `gov`, the Cosmos SDK's `x/gov` codes where one exists;
/// bad addresses, coins and requests use the SDK's root codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovError {
    #[error("unknown proposal {0}")]
    UnknownProposal(u64),
    #[error("inactive proposal {0}: it is not in its voting period")]
    InactiveProposal(u64),
    #[error("inactive proposal {0}: it does not accept deposits any more")]
    ClosedForDeposits(u64),
    #[error("invalid proposal content: {0}")]
    InvalidProposalContent(String),
    #[error("invalid vote option: {0}")]
    InvalidVote(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("proposal message not recognized by router: {0}")]
    UnroutableProposalMsg(String),
    #[error("invalid proposal message: {0}")]
    InvalidProposalMsg(String),
    #[error("expected gov account as only signer for proposal message: {0}")]
    InvalidSigner(String),
    #[error("metadata too long: {len} bytes, the limit is {max}")]
    MetadataTooLong { len: usize, max: usize },
    #[error("minimum deposit is too small: {0}")]
    MinDepositTooSmall(String),
    #[error("title too long: {len} bytes, the limit is {max}")]
    TitleTooLong { len: usize, max: usize },
    #[error("expedited proposals are not supported on this chain; submit with expedited = false")]
    ExpeditedNotSupported,
    #[error("summary too long: {len} bytes, the limit is {max}")]
    SummaryTooLong { len: usize, max: usize },
    #[error("invalid deposit denom: {0}")]
    InvalidDepositDenom(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid authority; expected {expected}, got {got}")]
    InvalidAuthority { expected: String, got: String },
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("invalid coins: {0}")]
    InvalidCoins(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("arithmetic overflow: {0}")]
    Overflow(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for GovError {
    fn codespace(&self) -> &'static str {
        use GovError::*;
        match self {
            InvalidAddress(_) | InvalidCoins(_) | InvalidRequest(_) | NotFound(_) => "sdk",
            _ => "gov",
        }
    }

    fn code(&self) -> u32 {
        use GovError::*;
        match self {
            UnknownProposal(_) => 2,
            InactiveProposal(_) | ClosedForDeposits(_) => 3,
            InvalidProposalContent(_) => 5,
            InvalidVote(_) => 7,
            InvalidGenesis(_) => 8,
            UnroutableProposalMsg(_) => 10,
            InvalidProposalMsg(_) => 12,
            InvalidSigner(_) | InvalidAuthority { .. } => 13,
            MetadataTooLong { .. } => 15,
            MinDepositTooSmall(_) => 16,
            TitleTooLong { .. } => 19,
            ExpeditedNotSupported => 21,
            SummaryTooLong { .. } => 22,
            InvalidDepositDenom(_) => 23,
            InvalidParams(_) => 24,
            Overflow(_) => 25,
            Corrupt(_) => 26,
            InvalidAddress(_) => 7,
            InvalidCoins(_) => 10,
            InvalidRequest(_) => 18,
            NotFound(_) => 38,
        }
    }
}

impl From<GovError> for AbciError {
    fn from(e: GovError) -> Self {
        e.to_abci()
    }
}
