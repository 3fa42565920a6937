//! Queries a contract makes while it runs: bank, wasm (smart, raw, contract info, code info)
//! and OpenLedger's custom queries, against the same transaction state, on the same gas meter.

use cosmwasm_std::{Binary, ContractResult, SystemError, SystemResult};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Querier};

use super::CtxSlot;
use crate::error::is_out_of_gas;
use crate::keeper::WasmKeeper;

pub(crate) struct ContractQuerier {
    slot: CtxSlot,
    keeper: WasmKeeper,
    /// How many queries deep the contract answering through this querier is.
    depth: u32,
}

impl ContractQuerier {
    pub fn new(slot: CtxSlot, keeper: WasmKeeper, depth: u32) -> Self {
        Self {
            slot,
            keeper,
            depth,
        }
    }
}

impl Querier for ContractQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let outcome = self.slot.with(|ctx| {
            let before = ctx.gas.used();
            let result = self
                .keeper
                .query_for_contract(ctx, request, self.depth + 1, gas_limit);
            (result, ctx.gas.used().saturating_sub(before))
        });
        let Some((result, used)) = outcome else {
            return (
                Err(BackendError::unknown("querier used outside of its call")),
                GasInfo::free(),
            );
        };
        let gas = GasInfo::with_externally_used(self.keeper.gas().to_vm(used));
        match result {
            Ok(answer) => (Ok(answer), gas),
            Err(e) if is_out_of_gas(&e) => (Err(BackendError::out_of_gas()), gas),
            // Anything else the querier could not even route is the contract's to handle.
            Err(e) => (
                Ok(SystemResult::Err(SystemError::InvalidRequest {
                    error: e.message,
                    request: Binary::from(request),
                })),
                gas,
            ),
        }
    }
}
