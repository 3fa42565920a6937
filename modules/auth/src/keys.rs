//! Every storage key of the auth module.

use openledger_framework::Address;

pub const PREFIX: &str = "auth";

pub fn account(addr: &Address) -> String {
    format!("auth/accounts/{}", addr.to_hex())
}

pub fn accounts_prefix() -> &'static str {
    "auth/accounts/"
}

pub fn address_from_account_key(key: &str) -> Option<Address> {
    Address::from_hex(key.strip_prefix(accounts_prefix())?).ok()
}

/// Account number → address, for `AccountAddressByID`.
pub fn address_by_number(number: u64) -> String {
    format!("auth/by_number/{number:020}")
}

pub fn next_account_number() -> &'static str {
    "auth/next_account_number"
}

pub fn params() -> &'static str {
    "auth/params"
}
