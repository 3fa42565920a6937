//! Every storage key of the slashing module. Consensus addresses are lower-case hex and window
//! indexes zero-padded, so key order is address order, then index order.
//!
//! The missed-blocks bitmap is sparse: one key, with an empty value, per `(consensus address,
//! index)` the validator missed in the current window; an index it signed has no key. So a
//! validator that signs costs nothing to store, deleting its bitmap is one prefix scan, and the
//! `missed_blocks_counter` of its signing info always equals its number of keys.

use openledger_framework::Address;

pub const PREFIX: &str = "slashing";

pub fn params() -> &'static str {
    "slashing/params"
}

/// A validator's `ValidatorSigningInfo`, by consensus address.
pub fn signing_info(cons: &Address) -> String {
    format!("slashing/info/{}", cons.to_hex())
}

pub fn all_signing_infos() -> &'static str {
    "slashing/info/"
}

/// Marks index `index` of the validator's window as missed.
pub fn missed_block(cons: &Address, index: i64) -> String {
    format!("slashing/missed/{}/{:020}", cons.to_hex(), index.max(0))
}

/// Every missed index of one validator.
pub fn missed_blocks_of(cons: &Address) -> String {
    format!("slashing/missed/{}/", cons.to_hex())
}

/// The window index at the end of a [`missed_block`] key.
pub fn missed_index(key: &str) -> Option<i64> {
    key.rsplit('/').next()?.parse().ok()
}

/// The consensus address at the end of a [`signing_info`] key.
pub fn trailing_address(key: &str) -> Option<Address> {
    Address::from_hex(key.rsplit('/').next()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_index_and_parse_back() {
        let a = Address::from([0xab; 20]);
        let k2 = missed_block(&a, 2);
        let k10 = missed_block(&a, 10);
        assert!(k2 < k10);
        assert!(k2.starts_with(&missed_blocks_of(&a)));
        assert_eq!(missed_index(&k10), Some(10));
        assert_eq!(trailing_address(&signing_info(&a)), Some(a));
    }
}
