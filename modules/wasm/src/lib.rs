//! The CosmWasm host: `cosmwasm.wasm.v1` messages and queries over `cosmwasm_vm` (wasmer,
//! singlepass), with wasmd's addresses, events, errors and gas.
//!
//! - [`keeper::WasmKeeper`]: the way into the module's state and the VM: store code,
//!   instantiate, execute, migrate, admin, sudo and queries, for messages, gRPC and other
//!   modules alike;
//! - [`expected`]: what the module needs from the chain: bank ([`expected::WasmBank`], implemented
//!   here for `openledger_bank::BankKeeper`), contract accounts and OpenLedger's custom bindings;
//! - `vm`: the VM's storage, API and querier over the transaction's [`Ctx`];
//! - `dispatch`: what a contract's response does (events, messages, submessages and replies).
//!
//! State (`wasm/…`) is the source of truth, bytecode included; the compiled-module cache on disk
//! (`<home>/data/wasm`) is rebuilt from it when missing.

mod address;
mod call;
mod contract;
mod contract_query;
mod dispatch;
pub mod error;
pub mod expected;
pub mod gas;
pub mod genesis;
pub mod keeper;
pub mod keys;
pub mod msgs;
pub mod params;
pub mod query;
mod vm;

use openledger_framework::{AbciError, Ctx, KvRead, Module, MsgServiceRouter, QueryRouter};

pub use address::{
    classic as classic_contract_address, predictable as predictable_contract_address,
};
pub use error::WasmError;
pub use expected::{
    ContractAccounts, CustomBindings, CustomMsgResult, NoAccounts, NoBindings, WasmBank,
};
pub use gas::GasRegister;
pub use keeper::{RawCustom, WasmDeps, WasmKeeper};
pub use params::WasmConfig;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// The wasm module as the application drives it.
#[derive(Clone)]
pub struct WasmModule {
    pub keeper: WasmKeeper,
}

impl WasmModule {
    pub fn new(keeper: WasmKeeper) -> Self {
        Self { keeper }
    }
}

impl Module for WasmModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), AbciError> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>) -> Result<(), AbciError> {
        self.keeper.observe_block(ctx.block);
        Ok(())
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
