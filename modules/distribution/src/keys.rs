//! Every storage key of the distribution module. Addresses are lower-case hex; periods and
//! heights are zero-padded to 20 digits so key order is numeric order.

use openledger_framework::Address;

pub const PREFIX: &str = "distribution";

pub fn params() -> &'static str {
    "distribution/params"
}

/// The community pool (`FeePool`).
pub fn fee_pool() -> &'static str {
    "distribution/fee_pool"
}

/// Consensus address of the previous block's proposer (kept for genesis, as the SDK does).
pub fn previous_proposer() -> &'static str {
    "distribution/previous_proposer"
}

pub fn withdraw_addr(del: &Address) -> String {
    format!("distribution/withdraw_addr/{}", del.to_hex())
}

pub fn all_withdraw_addrs() -> &'static str {
    "distribution/withdraw_addr/"
}

pub fn outstanding(val: &Address) -> String {
    format!("distribution/outstanding/{}", val.to_hex())
}

pub fn all_outstanding() -> &'static str {
    "distribution/outstanding/"
}

pub fn commission(val: &Address) -> String {
    format!("distribution/commission/{}", val.to_hex())
}

pub fn all_commissions() -> &'static str {
    "distribution/commission/"
}

pub fn historical(val: &Address, period: u64) -> String {
    format!("distribution/historical/{}/{period:020}", val.to_hex())
}

pub fn historicals_of(val: &Address) -> String {
    format!("distribution/historical/{}/", val.to_hex())
}

pub fn all_historicals() -> &'static str {
    "distribution/historical/"
}

pub fn current(val: &Address) -> String {
    format!("distribution/current/{}", val.to_hex())
}

pub fn all_currents() -> &'static str {
    "distribution/current/"
}

pub fn starting_info(val: &Address, del: &Address) -> String {
    format!("distribution/starting/{}/{}", val.to_hex(), del.to_hex())
}

pub fn all_starting_infos() -> &'static str {
    "distribution/starting/"
}

pub fn slash_event(val: &Address, height: u64, period: u64) -> String {
    format!(
        "distribution/slash/{}/{height:020}/{period:020}",
        val.to_hex()
    )
}

pub fn slash_events_of(val: &Address) -> String {
    format!("distribution/slash/{}/", val.to_hex())
}

pub fn all_slash_events() -> &'static str {
    "distribution/slash/"
}

/// The address that follows `prefix` in `key` (`…/<hex>`).
pub fn address_after(prefix: &str, key: &str) -> Option<Address> {
    Address::from_hex(key.strip_prefix(prefix)?).ok()
}

/// Splits `<prefix><hex>/<rest>` into the address and the rest.
pub fn address_and_rest<'a>(prefix: &str, key: &'a str) -> Option<(Address, &'a str)> {
    let (hex, rest) = key.strip_prefix(prefix)?.split_once('/')?;
    Some((Address::from_hex(hex).ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically_and_parse_back() {
        let v = Address::from([1u8; 20]);
        assert!(historical(&v, 9) < historical(&v, 10));
        assert!(slash_event(&v, 9, 100) < slash_event(&v, 10, 1));
        let key = historical(&v, 7);
        let (a, rest) = address_and_rest(all_historicals(), &key).unwrap();
        assert_eq!(a, v);
        assert_eq!(rest.parse::<u64>().unwrap(), 7);
        assert_eq!(address_after(all_currents(), &current(&v)), Some(v));
    }
}
