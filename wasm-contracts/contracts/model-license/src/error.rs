use cosmwasm_std::{OverflowError, StdError, Uint128};
use cw_utils::PaymentError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("only the owner of adapter {adapter_id} ({owner}) may do this")]
    NotAdapterOwner { adapter_id: u64, owner: String },

    #[error("adapter {adapter_id} has no terms in this contract")]
    NoTerms { adapter_id: u64 },

    #[error("adapter {adapter_id} is licensed by {license_contract}, not by this contract")]
    NotLicensedHere {
        adapter_id: u64,
        license_contract: String,
    },

    #[error("contributor share {bps} bps is over 10000 bps")]
    InvalidShare { bps: u16 },

    #[error("a subscription needs a positive price and a positive duration in blocks")]
    InvalidSubscriptionTerms {},

    #[error("adapter {adapter_id} sells no subscriptions")]
    NoSubscriptions { adapter_id: u64 },

    #[error("adapter {adapter_id} is restricted to its allow-list and {user} is not on it")]
    NotAllowed { adapter_id: u64, user: String },

    #[error("a subscription costs {expected}{denom}, but {paid}{denom} was sent")]
    WrongPayment {
        expected: Uint128,
        paid: Uint128,
        denom: String,
    },

    #[error("denom must not be empty")]
    EmptyDenom {},

    #[error("nothing to withdraw")]
    NothingToWithdraw {},

    #[error("cannot migrate from contract {name}")]
    WrongContract { name: String },
}
