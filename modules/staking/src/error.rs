use openledger_framework::{AbciError, CodedError};

/// Errors of the staking module (codespace `staking`, the Cosmos SDK's `x/staking` codes where
/// one exists). Insufficient funds comes from bank with the SDK's root code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StakingError {
    #[error("empty validator address")]
    EmptyValidatorAddr,
    #[error("validator {0} does not exist")]
    NoValidatorFound(String),
    #[error("validator {0} already exists for this operator address; cannot create it twice")]
    ValidatorOwnerExists(String),
    #[error(
        "consensus public key is already used by validator {0}; cannot create a validator with it"
    )]
    ValidatorPubKeyExists(String),
    #[error("validator for this address is currently jailed: {0}")]
    ValidatorJailed(String),
    #[error("validator {0} is not jailed")]
    ValidatorNotJailed(String),
    #[error("validator {0} is tombstoned and can never be unjailed")]
    ValidatorTombstoned(String),
    #[error("invalid consensus public key: {0}")]
    InvalidPubKey(String),
    #[error("commission rate {rate} is above the max rate {max}")]
    CommissionGtMaxRate { rate: String, max: String },
    #[error("commission max rate {0} is above 100%")]
    CommissionHuge(String),
    #[error("commission max change rate {change} is above the max rate {max}")]
    CommissionChangeRateGtMaxRate { change: String, max: String },
    #[error("commission rate {rate} is below the minimum commission rate {min}")]
    CommissionLtMinRate { rate: String, min: String },
    #[error("commission cannot be changed more than once in 24h")]
    CommissionUpdateTime,
    #[error("commission change of {change} exceeds the max change rate {max}")]
    CommissionGtMaxChangeRate { change: String, max: String },
    #[error("invalid commission: {0}")]
    InvalidCommission(String),
    #[error("minimum self delegation must be a positive integer, got {0:?}")]
    MinSelfDelegationInvalid(String),
    #[error("minimum self delegation cannot be decreased (from {current} to {requested})")]
    MinSelfDelegationDecreased { current: String, requested: String },
    #[error("self delegation {amount} is below the minimum self delegation {min}")]
    SelfDelegationBelowMinimum { amount: String, min: String },
    #[error("invalid description: {0}")]
    InvalidDescription(String),
    #[error("invalid delegation amount: {0}")]
    BadDelegationAmount(String),
    #[error("invalid coin denomination: got {got}, expected {expected}")]
    BadDenom { got: String, expected: String },
    #[error("no delegation of {delegator} to validator {validator}")]
    NoDelegation {
        delegator: String,
        validator: String,
    },
    #[error("invalid shares amount: unbonding {requested} is more than the delegated {delegated}")]
    NotEnoughDelegationShares {
        requested: String,
        delegated: String,
    },
    #[error("validator {0} has no tokens (it was slashed to zero); it cannot take delegations")]
    DelegatorShareExRateInvalid(String),
    #[error("no unbonding delegation of {delegator} from validator {validator}")]
    NoUnbondingDelegation {
        delegator: String,
        validator: String,
    },
    #[error("no unbonding delegation entry at creation height {0}")]
    NoUnbondingEntry(i64),
    #[error("amount {requested} is more than the unbonding entry's balance {balance}")]
    BadCancelAmount { requested: String, balance: String },
    #[error(
        "too many unbonding/redelegation entries for this pair (max {0}); wait for some to mature"
    )]
    MaxEntries(u32),
    #[error("cannot redelegate to the same validator")]
    SelfRedelegation,
    #[error(
        "redelegation to validator {0} is in progress; a redelegation from it must wait until that completes"
    )]
    TransitiveRedelegation(String),
    #[error("infraction height {infraction} is in the future (current height {current})")]
    FutureInfraction { infraction: i64, current: i64 },
    #[error("no validator with consensus address {0}")]
    NoValidatorForConsAddr(String),
    #[error("no historical info at height {0}")]
    NoHistoricalInfo(i64),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("invalid genesis: {0}")]
    Genesis(String),
    #[error("invalid gentx: {0}")]
    GenTx(String),
    #[error("arithmetic overflow: {0}")]
    Overflow(String),
    #[error("corrupt state: {0}")]
    Corrupt(String),
}

impl CodedError for StakingError {
    fn codespace(&self) -> &'static str {
        "staking"
    }

    fn code(&self) -> u32 {
        use StakingError::*;
        match self {
            EmptyValidatorAddr => 2,
            NoValidatorFound(_) => 3,
            ValidatorOwnerExists(_) => 4,
            ValidatorPubKeyExists(_) => 5,
            ValidatorJailed(_) => 7,
            InvalidPubKey(_) => 8,
            CommissionHuge(_) => 10,
            CommissionGtMaxRate { .. } => 11,
            CommissionUpdateTime => 12,
            CommissionChangeRateGtMaxRate { .. } => 14,
            CommissionGtMaxChangeRate { .. } => 15,
            MinSelfDelegationDecreased { .. } => 17,
            SelfDelegationBelowMinimum { .. } => 18,
            NoDelegation { .. } => 19,
            NoUnbondingDelegation { .. } => 21,
            SelfRedelegation => 25,
            TransitiveRedelegation(_) => 27,
            DelegatorShareExRateInvalid(_) => 30,
            NotEnoughDelegationShares { .. } => 33,
            BadDelegationAmount(_) => 34,
            NoHistoricalInfo(_) => 35,
            MaxEntries(_) => 38,
            BadDenom { .. } => 39,
            InvalidDescription(_) => 40,
            CommissionLtMinRate { .. } => 41,
            ValidatorNotJailed(_) => 42,
            ValidatorTombstoned(_) => 43,
            NoUnbondingEntry(_) => 44,
            BadCancelAmount { .. } => 45,
            InvalidCommission(_) => 46,
            MinSelfDelegationInvalid(_) => 47,
            FutureInfraction { .. } => 48,
            NoValidatorForConsAddr(_) => 49,
            InvalidParams(_) => 50,
            InvalidRequest(_) => 51,
            Genesis(_) => 52,
            GenTx(_) => 53,
            Overflow(_) => 54,
            Corrupt(_) => 55,
        }
    }
}

impl From<StakingError> for AbciError {
    fn from(e: StakingError) -> Self {
        e.to_abci()
    }
}
