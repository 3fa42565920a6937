//! One call into a contract: the instance (from the cache, or rebuilt from the bytecode in
//! state), the context lent to its backend, the instance cost before and the VM's gas after.

use cosmrs::proto::cosmwasm::wasm::v1::CodeInfo;
use cosmwasm_std::{
    Addr, BlockInfo as VmBlockInfo, Checksum, ContractInfo as VmContractInfo, ContractResult, Env,
    MessageInfo, MigrateInfo, Reply, Timestamp,
};
use cosmwasm_vm::{Backend, InstanceOptions, VmError, VmResult};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, BlockInfo, Ctx, KvRead};

use crate::error::WasmError;
use crate::keeper::{ContractResponse, Frame, WasmKeeper, corrupt, vm_to_string};
use crate::vm::{ContractQuerier, ContractStorage, CtxSlot, HostApi, VmInstance};

/// What a call into a contract returned.
struct CallOutcome<T> {
    result: VmResult<ContractResult<T>>,
    vm_gas_used: u64,
}

/// Which entry point to call.
pub(crate) enum Entry<'m> {
    Instantiate(&'m MessageInfo, &'m [u8]),
    Execute(&'m MessageInfo, &'m [u8]),
    Migrate(&'m MigrateInfo, &'m [u8]),
    Reply(&'m Reply),
    Sudo(&'m [u8]),
}

impl WasmKeeper {
    pub(crate) fn env(block: &BlockInfo, contract: &Address) -> Env {
        let secs = u64::try_from(block.time_seconds).unwrap_or(0);
        Env {
            block: VmBlockInfo {
                height: block.height,
                time: Timestamp::from_seconds(secs).plus_nanos(u64::from(block.time_nanos)),
                chain_id: block.chain_id.clone(),
            },
            // The framework does not tell a message its transaction's index in the block.
            transaction: None,
            contract: VmContractInfo {
                address: Addr::unchecked(contract.to_bech32()),
            },
        }
    }

    /// SDK gas this call may still use: what the meter has left, within the frame's cap.
    fn sdk_gas_left(ctx: &Ctx<'_>, frame: &Frame) -> u64 {
        let left = ctx.gas.limit().saturating_sub(ctx.gas.used());
        match frame.gas_cap {
            Some(cap) => left.min(cap.saturating_sub(ctx.gas.used())),
            None => left,
        }
    }

    /// Charges what is left after the VM ran out of gas and returns the out-of-gas error.
    fn out_of_gas(ctx: &mut Ctx<'_>, frame: &Frame) -> AbciError {
        let meter_left = ctx.gas.limit().saturating_sub(ctx.gas.used());
        let left = Self::sdk_gas_left(ctx, frame);
        if left < meter_left {
            // The submessage's own limit ran out, not the transaction's gas.
            let _ = ctx.gas.consume(left, "wasm contract");
            return SdkError::OutOfGas("out of gas in location: submessage gas limit".into())
                .into();
        }
        match ctx.gas.consume(left.saturating_add(1), "wasm contract") {
            Err(e) => e.into(),
            Ok(()) => SdkError::OutOfGas("out of gas in location: wasm contract".into()).into(),
        }
    }

    pub(crate) fn checksum_of(info: &CodeInfo) -> Result<Checksum, AbciError> {
        Checksum::try_from(info.code_hash.as_slice())
            .map_err(|_| corrupt("code hash is not 32 bytes"))
    }

    /// An instance of `checksum`, compiling it from the bytecode in state when the cache has
    /// lost it (a new node, a deleted cache directory).
    fn instance(
        &self,
        mut state: &dyn KvRead,
        checksum: &Checksum,
        make: impl Fn() -> Backend<HostApi, ContractStorage, ContractQuerier>,
        gas_limit: u64,
    ) -> Result<VmInstance, AbciError> {
        let options = InstanceOptions { gas_limit };
        match self.inner.cache.get_instance(checksum, make(), options) {
            Ok(instance) => Ok(instance),
            Err(first) => {
                let wasm = self.code_bytes(&mut state, checksum.as_slice())?;
                tracing::info!(checksum = %checksum.to_hex(), error = %first, "rebuilding wasm cache entry from state");
                self.inner
                    .cache
                    .store_code(&wasm, false, true)
                    .map_err(|e| WasmError::Cache(vm_to_string(&e)))?;
                self.inner
                    .cache
                    .get_instance(checksum, make(), options)
                    .map_err(|e| WasmError::Cache(vm_to_string(&e)).into())
            }
        }
    }

    /// Calls one entry point of a contract, charging the instance cost before and the VM's gas
    /// after. Contract errors come back as `Ok(Err(message))`; running out of gas and host
    /// failures as `Err`.
    pub(crate) fn call<T>(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        checksum: &Checksum,
        msg_len: usize,
        run: impl FnOnce(&mut VmInstance) -> VmResult<ContractResult<T>>,
    ) -> Result<Result<T, String>, AbciError> {
        self.observe_block(ctx.block);
        ctx.gas.consume(
            self.gas().instance_costs(msg_len),
            "Loading CosmWasm module",
        )?;
        let mut vm_limit = self.gas().to_vm(Self::sdk_gas_left(ctx, frame));
        if let Some(cap) = frame.vm_gas_cap {
            vm_limit = vm_limit.min(cap);
        }
        let slot = CtxSlot::new();
        let gas = self.gas();
        let make = || Backend {
            api: HostApi::new(gas),
            storage: ContractStorage::new(slot.clone(), contract, gas),
            querier: ContractQuerier::new(slot.clone(), self.clone(), frame.query_depth),
        };
        let mut instance = self.instance(ctx.state(), checksum, make, vm_limit)?;
        let outcome = slot.lend(ctx, || {
            let result = run(&mut instance);
            let report = instance.create_gas_report();
            CallOutcome {
                result,
                vm_gas_used: report.used_internally,
            }
        });
        drop(instance);
        match outcome.result {
            Err(VmError::GasDepletion { .. }) => Err(Self::out_of_gas(ctx, frame)),
            result => {
                ctx.gas
                    .consume(self.gas().from_vm(outcome.vm_gas_used), "wasm contract")?;
                match result {
                    Ok(ContractResult::Ok(v)) => Ok(Ok(v)),
                    Ok(ContractResult::Err(msg)) => Ok(Err(msg)),
                    Err(e) => Ok(Err(vm_to_string(&e))),
                }
            }
        }
    }

    pub(crate) fn call_entry(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        checksum: &Checksum,
        entry: Entry<'_>,
    ) -> Result<Result<ContractResponse, String>, AbciError> {
        let env = Self::env(ctx.block, contract);
        match entry {
            Entry::Instantiate(info, msg) => {
                self.call(ctx, frame, contract, checksum, msg.len(), |i| {
                    cosmwasm_vm::call_instantiate(i, &env, info, msg)
                })
            }
            Entry::Execute(info, msg) => {
                self.call(ctx, frame, contract, checksum, msg.len(), |i| {
                    cosmwasm_vm::call_execute(i, &env, info, msg)
                })
            }
            Entry::Migrate(info, msg) => {
                self.call(ctx, frame, contract, checksum, msg.len(), |i| {
                    cosmwasm_vm::call_migrate_with_info(i, &env, msg, info)
                })
            }
            Entry::Reply(reply) => self.call(ctx, frame, contract, checksum, 0, |i| {
                cosmwasm_vm::call_reply(i, &env, reply)
            }),
            Entry::Sudo(msg) => self.call(ctx, frame, contract, checksum, msg.len(), |i| {
                cosmwasm_vm::call_sudo(i, &env, msg)
            }),
        }
    }

    pub(crate) fn check_depth(&self, frame: &Frame) -> Result<(), AbciError> {
        if frame.call_depth > self.inner.config.max_call_depth {
            return Err(WasmError::Limit(format!(
                "contract calls nest deeper than {}",
                self.inner.config.max_call_depth
            ))
            .into());
        }
        Ok(())
    }
}
