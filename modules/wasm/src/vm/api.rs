//! Address conversions for contracts: bech32 with the `open` prefix, 20- or 32-byte addresses.

use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo};
use openledger_framework::Address;

use crate::gas::GasRegister;

#[derive(Debug, Clone, Copy)]
pub(crate) struct HostApi {
    gas: GasRegister,
}

impl HostApi {
    pub fn new(gas: GasRegister) -> Self {
        Self { gas }
    }

    fn canonical(&self, human: &str) -> Result<Address, BackendError> {
        Address::from_bech32(human).map_err(|e| BackendError::user_err(e.to_string()))
    }
}

impl BackendApi for HostApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let gas = GasInfo::with_cost(
            self.gas
                .to_vm(self.gas.canonicalize_cost + self.gas.humanize_cost),
        );
        // Only the canonical spelling is valid: lower case, our prefix.
        let result = self.canonical(input).and_then(|a| {
            if a.to_bech32() == input {
                Ok(())
            } else {
                Err(BackendError::user_err(format!(
                    "address {input} is not normalized (expected {a})"
                )))
            }
        });
        (result, gas)
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        let gas = GasInfo::with_cost(self.gas.to_vm(self.gas.canonicalize_cost));
        (self.canonical(human).map(|a| a.as_bytes().to_vec()), gas)
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        let gas = GasInfo::with_cost(self.gas.to_vm(self.gas.humanize_cost));
        let result = Address::from_slice(canonical)
            .map(|a| a.to_bech32())
            .map_err(|e| BackendError::user_err(e.to_string()));
        (result, gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_only_canonical_open_addresses() {
        let api = HostApi::new(GasRegister::WASMD);
        let a = Address::from([5u8; 32]);
        let human = a.to_bech32();
        assert!(api.addr_validate(&human).0.is_ok());
        assert!(api.addr_validate(&human.to_uppercase()).0.is_err());
        assert!(api.addr_validate(&a.with_prefix("cosmos")).0.is_err());
        assert_eq!(api.addr_canonicalize(&human).0.unwrap(), a.as_bytes());
        assert_eq!(api.addr_humanize(a.as_bytes()).0.unwrap(), human);
        assert!(api.addr_humanize(&[1, 2, 3]).0.is_err());
        assert_eq!(api.addr_humanize(a.as_bytes()).1.cost, 5 * 140_000);
    }
}
