use openledger_framework::{AbciError, CodedError};

/// Errors of the distribution module: codespace `distribution` with the Cosmos SDK's
/// `x/distribution` codes where one exists; bad addresses, bad coins and a wrong authority use
/// the SDK's root codes, as the SDK does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    #[error("delegator address is empty")]
    EmptyDelegatorAddr,
    #[error("withdraw address is empty")]
    EmptyWithdrawAddr,
    #[error("validator address is empty")]
    EmptyValidatorAddr,
    #[error("no delegation distribution info: {0}")]
    EmptyDelegationDistInfo(String),
    #[error("no validator distribution info: {0}")]
    NoValidatorDistInfo(String),
    #[error("no validator commission to withdraw")]
    NoValidatorCommission,
    #[error("set withdraw address disabled")]
    SetWithdrawAddrDisabled,
    #[error("community pool does not have sufficient coins to distribute: {0}")]
    BadDistribution(String),
    #[error("invalid community pool spend proposal amount: {0}")]
    InvalidProposalAmount(String),
    #[error("invalid community pool spend proposal recipient")]
    EmptyProposalRecipient,
    #[error("validator does not exist: {0}")]
    NoValidatorExists(String),
    #[error("delegation does not exist: {0}")]
    NoDelegationExists(String),
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("invalid coins: {0}")]
    InvalidCoins(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("arithmetic overflow: {0}")]
    Overflow(String),
    #[error("reward accounting invariant broken: {0}")]
    Invariant(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for DistributionError {
    fn codespace(&self) -> &'static str {
        use DistributionError::*;
        match self {
            InvalidAddress(_) | InvalidCoins(_) | Unauthorized(_) => "sdk",
            _ => "distribution",
        }
    }

    fn code(&self) -> u32 {
        use DistributionError::*;
        match self {
            EmptyDelegatorAddr => 2,
            EmptyWithdrawAddr => 3,
            EmptyValidatorAddr => 4,
            EmptyDelegationDistInfo(_) => 5,
            NoValidatorDistInfo(_) => 6,
            NoValidatorCommission => 7,
            SetWithdrawAddrDisabled => 8,
            BadDistribution(_) => 9,
            InvalidProposalAmount(_) => 10,
            EmptyProposalRecipient => 11,
            NoValidatorExists(_) => 12,
            NoDelegationExists(_) => 13,
            InvalidRequest(_) => 20,
            InvalidParams(_) => 21,
            Genesis(_) => 22,
            Overflow(_) => 23,
            Invariant(_) => 24,
            Corrupt(_) => 25,
            InvalidAddress(_) => 7,
            InvalidCoins(_) => 10,
            Unauthorized(_) => 4,
        }
    }
}

impl From<DistributionError> for AbciError {
    fn from(e: DistributionError) -> Self {
        e.to_abci()
    }
}
