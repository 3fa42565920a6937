//! Contract addresses, derived as wasmd derives them (ADR-028 module-derived, 32 bytes), so the
//! same code id / instance id, or the same checksum / creator / salt, give the same address as on
//! any wasmd chain with the `open` prefix.

use openledger_framework::Address;
use sha2::{Digest, Sha256};

use crate::MODULE_NAME;

/// ADR-028 `address.Module(name, key)`: `sha256(sha256("module") ‖ name ‖ 0x00 ‖ key)`.
fn module_derived(module: &str, key: &[u8]) -> [u8; 32] {
    let typ = Sha256::digest(b"module");
    let mut h = Sha256::new();
    h.update(typ);
    h.update(module.as_bytes());
    h.update([0u8]);
    h.update(key);
    h.finalize().into()
}

/// The classic address of the `instance_id`-th contract, instantiated from `code_id`.
pub fn classic(code_id: u64, instance_id: u64) -> Address {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&code_id.to_be_bytes());
    key[8..].copy_from_slice(&instance_id.to_be_bytes());
    module_derived(MODULE_NAME, &key).into()
}

/// The predictable (instantiate2) address: every part is prefixed by its length as a big-endian
/// u64. `init_msg` is empty unless the message asked for `fix_msg`.
pub fn predictable(checksum: &[u8], creator: &Address, salt: &[u8], init_msg: &[u8]) -> Address {
    let mut key = Vec::with_capacity(32 + checksum.len() + 32 + salt.len() + init_msg.len());
    for part in [checksum, creator.as_bytes(), salt, init_msg] {
        key.extend_from_slice(&(part.len() as u64).to_be_bytes());
        key.extend_from_slice(part);
    }
    module_derived(MODULE_NAME, &key).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_matches_wasmd() {
        // The first contract of code 1 on every wasmd chain (here with the `cosmos` prefix).
        assert_eq!(
            classic(1, 1).with_prefix("cosmos"),
            "cosmos14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s4hmalr"
        );
    }

    #[test]
    fn predictable_matches_cosmwasm_std() {
        let checksum = Sha256::digest(b"some wasm");
        let creator = Address::from([3u8; 20]);
        let salt = b"salt-1";
        let ours = predictable(&checksum, &creator, salt, b"");
        let theirs = cosmwasm_std::instantiate2_address(
            &checksum,
            &cosmwasm_std::CanonicalAddr::from(creator.as_bytes()),
            salt,
        )
        .unwrap();
        assert_eq!(ours.as_bytes(), theirs.as_slice());
        assert_ne!(ours, predictable(&checksum, &creator, salt, b"{}"));
    }
}
