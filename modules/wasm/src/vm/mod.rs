//! The VM's view of the chain: `cosmwasm_vm`'s `Storage`, `BackendApi` and `Querier` over a
//! lent [`Ctx`](openledger_framework::Ctx).

mod api;
mod querier;
mod slot;
mod storage;

pub(crate) use api::HostApi;
pub(crate) use querier::ContractQuerier;
pub(crate) use slot::CtxSlot;
pub(crate) use storage::ContractStorage;

pub(crate) type VmCache = cosmwasm_vm::Cache<HostApi, ContractStorage, ContractQuerier>;
pub(crate) type VmInstance = cosmwasm_vm::Instance<HostApi, ContractStorage, ContractQuerier>;

/// wasmer-vm 4.3 takes the address of `__rust_probestack` for its stack-probe libcall, a symbol
/// recent Rust no longer exports (stack probes are inline now), so nothing links without it.
/// Only wasmer's Cranelift and LLVM backends ever call that libcall; the singlepass compiler the
/// VM uses never emits it. Returning at once is also what a probe amounts to on a stack that
/// is already large enough.
#[cfg(all(target_arch = "x86_64", not(target_os = "windows")))]
#[unsafe(no_mangle)]
pub extern "C" fn __rust_probestack() {}
