//! The module's params (`cosmwasm.wasm.v1.Params`, changed only by the gov authority) and the
//! node's own settings ([`WasmConfig`]: cache directory, limits), which are not consensus state
//! except where noted.

use std::path::PathBuf;

use cosmrs::proto::cosmwasm::wasm::v1::{AccessConfig, AccessType, Params};
use openledger_framework::Address;

use crate::error::WasmError;
use crate::gas::GasRegister;

/// wasmd's defaults: anyone may upload and instantiate.
pub fn default_params() -> Params {
    Params {
        code_upload_access: Some(everybody()),
        instantiate_default_permission: AccessType::Everybody as i32,
    }
}

pub fn everybody() -> AccessConfig {
    AccessConfig {
        permission: AccessType::Everybody as i32,
        addresses: Vec::new(),
    }
}

pub fn validate_access(config: &AccessConfig) -> Result<(), WasmError> {
    match AccessType::try_from(config.permission) {
        Ok(AccessType::Nobody | AccessType::Everybody) => {
            if !config.addresses.is_empty() {
                return Err(WasmError::Invalid(
                    "addresses are only allowed with ACCESS_TYPE_ANY_OF_ADDRESSES".into(),
                ));
            }
        }
        Ok(AccessType::AnyOfAddresses) => {
            if config.addresses.is_empty() {
                return Err(WasmError::Empty("access config addresses".into()));
            }
            let mut seen = std::collections::BTreeSet::new();
            for a in &config.addresses {
                let addr = Address::from_bech32(a)
                    .map_err(|e| WasmError::Invalid(format!("access config address: {e}")))?;
                if !seen.insert(addr) {
                    return Err(WasmError::Invalid(format!("duplicate address {a}")));
                }
            }
        }
        _ => {
            return Err(WasmError::Invalid(format!(
                "unknown access type {}",
                config.permission
            )));
        }
    }
    Ok(())
}

pub fn validate(p: &Params) -> Result<(), WasmError> {
    let upload = p
        .code_upload_access
        .as_ref()
        .ok_or_else(|| WasmError::Empty("code_upload_access".into()))?;
    validate_access(upload)?;
    match AccessType::try_from(p.instantiate_default_permission) {
        Ok(AccessType::Nobody | AccessType::Everybody | AccessType::AnyOfAddresses) => Ok(()),
        _ => Err(WasmError::Invalid(format!(
            "invalid instantiate default permission {}",
            p.instantiate_default_permission
        ))),
    }
}

/// Whether `who` passes an access config.
pub fn allowed(config: &AccessConfig, who: &Address) -> bool {
    match AccessType::try_from(config.permission) {
        Ok(AccessType::Everybody) => true,
        Ok(AccessType::AnyOfAddresses) => config
            .addresses
            .iter()
            .any(|a| Address::from_bech32(a).is_ok_and(|a| a == *who)),
        _ => false,
    }
}

/// The node's settings for the VM. `max_wasm_size`, the limits and the gas register decide
/// which transactions succeed, so every validator must run with the same values (the defaults).
#[derive(Debug, Clone)]
pub struct WasmConfig {
    /// Where the VM keeps wasm files and compiled modules (`<home>/data/wasm`). Only a cache:
    /// the bytecode is in state, and a missing or deleted cache is rebuilt from it.
    pub cache_dir: PathBuf,
    /// Largest upload, raw or inflated (wasmd: 800 KiB).
    pub max_wasm_size: usize,
    /// Memory a contract instance may grow to.
    pub memory_limit_bytes: u32,
    /// Compiled modules kept in memory across calls.
    pub memory_cache_bytes: u32,
    /// Gas limit of a smart query served by gRPC or ABCI `Query` (wasmd: 3_000_000).
    pub smart_query_gas_limit: u64,
    /// How deep contracts may query contracts that query contracts.
    pub max_query_depth: u32,
    /// How deep contract calls may nest through messages and submessages.
    pub max_call_depth: u32,
    /// Host features contracts may require (`requires_<capability>` exports).
    pub capabilities: Vec<String>,
    pub gas: GasRegister,
}

impl WasmConfig {
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            max_wasm_size: 800 * 1024,
            memory_limit_bytes: 32 * 1024 * 1024,
            memory_cache_bytes: 100 * 1024 * 1024,
            smart_query_gas_limit: 3_000_000,
            max_query_depth: 10,
            max_call_depth: 50,
            capabilities: default_capabilities(),
            gas: GasRegister::WASMD,
        }
    }
}

/// What this host offers: storage iteration, every CosmWasm API version up to 2.2, and
/// OpenLedger's custom bindings.
pub fn default_capabilities() -> Vec<String> {
    [
        "iterator",
        "cosmwasm_1_1",
        "cosmwasm_1_2",
        "cosmwasm_1_3",
        "cosmwasm_1_4",
        "cosmwasm_2_0",
        "cosmwasm_2_1",
        "cosmwasm_2_2",
        "openledger",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_configs() {
        let a = Address::from([1u8; 20]);
        let b = Address::from([2u8; 20]);
        assert!(validate(&default_params()).is_ok());
        let only_a = AccessConfig {
            permission: AccessType::AnyOfAddresses as i32,
            addresses: vec![a.to_bech32()],
        };
        assert!(validate_access(&only_a).is_ok());
        assert!(allowed(&only_a, &a));
        assert!(!allowed(&only_a, &b));
        assert!(allowed(&everybody(), &b));
        let nobody = AccessConfig {
            permission: AccessType::Nobody as i32,
            addresses: vec![],
        };
        assert!(!allowed(&nobody, &a));
        let dup = AccessConfig {
            permission: AccessType::AnyOfAddresses as i32,
            addresses: vec![a.to_bech32(), a.to_bech32()],
        };
        assert!(validate_access(&dup).is_err());
        assert!(
            validate_access(&AccessConfig {
                permission: 2,
                addresses: vec![]
            })
            .is_err()
        );
    }
}
