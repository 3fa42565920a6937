//! Every storage key of the mint module.

pub const PREFIX: &str = "mint";

pub fn params() -> &'static str {
    "mint/params"
}

pub fn minter() -> &'static str {
    "mint/minter"
}
