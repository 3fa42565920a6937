//! Every storage key of the wasm module.
//!
//! Keys are strings; numbers are zero-padded decimals and byte strings (addresses, checksums,
//! contract keys) lower-case hex, so the store's key order is the numeric or byte order and
//! prefix scans list codes, contracts and contract state in order.

use openledger_framework::Address;

pub const PREFIX: &str = "wasm";

pub fn params() -> &'static str {
    "wasm/params"
}

pub fn last_code_id() -> &'static str {
    "wasm/seq/code_id"
}

pub fn last_instance_id() -> &'static str {
    "wasm/seq/instance_id"
}

/// Counts every contract ever created (classic or predictable address), ordering
/// `ContractsByCode` by creation.
pub fn last_contract_seq() -> &'static str {
    "wasm/seq/contract"
}

fn id(n: u64) -> String {
    format!("{n:020}")
}

pub fn code(code_id: u64) -> String {
    format!("wasm/code/{}", id(code_id))
}

pub fn all_codes() -> &'static str {
    "wasm/code/"
}

pub fn parse_code_key(key: &str) -> Option<u64> {
    key.strip_prefix(all_codes())?.parse().ok()
}

/// The wasm bytecode, by checksum: the state is the source of truth for the compiled cache.
pub fn code_bytes(checksum: &[u8]) -> String {
    format!("wasm/bytecode/{}", hex::encode(checksum))
}

pub fn contract(addr: &Address) -> String {
    format!("wasm/contract/{}", addr.to_hex())
}

pub fn all_contracts() -> &'static str {
    "wasm/contract/"
}

pub fn parse_contract_key(key: &str) -> Option<Address> {
    Address::from_hex(key.strip_prefix(all_contracts())?).ok()
}

/// Secondary index code id → contracts, in creation order.
pub fn contract_by_code(code_id: u64, seq: u64, addr: &Address) -> String {
    format!("wasm/by_code/{}/{}/{}", id(code_id), id(seq), addr.to_hex())
}

pub fn contracts_by_code(code_id: u64) -> String {
    format!("wasm/by_code/{}/", id(code_id))
}

pub fn parse_contract_by_code_key(key: &str) -> Option<Address> {
    Address::from_hex(key.rsplit('/').next()?).ok()
}

/// Prefix of one contract's own key-value store.
pub fn contract_store(addr: &Address) -> String {
    format!("wasm/store/{}/", addr.to_hex())
}

pub fn contract_store_key(addr: &Address, key: &[u8]) -> String {
    let mut out = contract_store(addr);
    out.push_str(&hex::encode(key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_keys_keep_byte_order() {
        let a = Address::from([1u8; 32]);
        let keys = [vec![0u8], vec![0, 0], vec![0, 255], vec![1], vec![255, 0]];
        let encoded: Vec<_> = keys.iter().map(|k| contract_store_key(&a, k)).collect();
        let mut sorted = encoded.clone();
        sorted.sort();
        assert_eq!(encoded, sorted);
        assert_eq!(parse_code_key(&code(42)), Some(42));
        assert_eq!(parse_contract_key(&contract(&a)), Some(a));
        assert_eq!(
            parse_contract_by_code_key(&contract_by_code(1, 2, &a)),
            Some(a)
        );
    }
}
