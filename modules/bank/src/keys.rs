//! Every storage key of the bank module.

use openledger_framework::Address;

pub const PREFIX: &str = "bank";

pub fn balance(addr: &Address, denom: &str) -> String {
    format!("bank/balances/{}/{denom}", addr.to_hex())
}

pub fn balances_of(addr: &Address) -> String {
    format!("bank/balances/{}/", addr.to_hex())
}

pub fn all_balances() -> &'static str {
    "bank/balances/"
}

/// Splits a balance key into its address and denom.
pub fn parse_balance_key(key: &str) -> Option<(Address, &str)> {
    let rest = key.strip_prefix(all_balances())?;
    let (hex, denom) = rest.split_once('/')?;
    Some((Address::from_hex(hex).ok()?, denom))
}

pub fn supply(denom: &str) -> String {
    format!("bank/supply/{denom}")
}

pub fn all_supply() -> &'static str {
    "bank/supply/"
}

pub fn params() -> &'static str {
    "bank/params"
}
