use openledger_framework::{AbciError, CodedError};

/// Errors of the slashing module (codespace `slashing`, the Cosmos SDK's `x/slashing` codes
/// 2–9 where one exists; codes from 50 up are OpenLedger's own). A wrong `MsgUpdateParams`
/// authority answers with the SDK's root `unauthorized` (codespace `sdk`, code 4), as staking's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlashingError {
    #[error("address is not associated with any known validator: {0}")]
    NoValidatorForAddress(String),
    #[error("validator does not exist for that address: {0}")]
    BadValidatorAddr(String),
    #[error("validator still jailed; cannot be unjailed: {0}")]
    ValidatorJailed(String),
    #[error("validator not jailed; cannot be unjailed: {0}")]
    ValidatorNotJailed(String),
    #[error("validator has no self-delegation; cannot be unjailed: {0}")]
    MissingSelfDelegation(String),
    #[error(
        "validator's self delegation less than minimum; cannot be unjailed: {amount} less than {min}"
    )]
    SelfDelegationTooLowToUnjail { amount: String, min: String },
    #[error("no validator signing info found: {0}")]
    NoSigningInfoFound(String),
    #[error("validator already tombstoned: {0}")]
    ValidatorTombstoned(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for SlashingError {
    fn codespace(&self) -> &'static str {
        "slashing"
    }

    fn code(&self) -> u32 {
        use SlashingError::*;
        match self {
            NoValidatorForAddress(_) => 2,
            BadValidatorAddr(_) => 3,
            ValidatorJailed(_) => 4,
            ValidatorNotJailed(_) => 5,
            MissingSelfDelegation(_) => 6,
            SelfDelegationTooLowToUnjail { .. } => 7,
            NoSigningInfoFound(_) => 8,
            ValidatorTombstoned(_) => 9,
            InvalidParams(_) => 50,
            InvalidRequest(_) => 51,
            Genesis(_) => 52,
            Corrupt(_) => 53,
        }
    }
}

impl From<SlashingError> for AbciError {
    fn from(e: SlashingError) -> Self {
        e.to_abci()
    }
}
