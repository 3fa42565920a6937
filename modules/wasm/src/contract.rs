//! A contract's life: instantiate (classic or predictable address), execute, migrate, admin
//! changes, replies and sudo, and smart queries, as messages, submessages and other modules
//! call them.

use cosmrs::proto::cosmwasm::wasm::v1::{AbsoluteTxPosition, ContractInfo};
use cosmwasm_std::{Addr, Binary, Checksum, MessageInfo, MigrateInfo, Reply};
use openledger_framework::context::ExecMode;
use openledger_framework::{AbciError, Address, Coins, Ctx, Event, GasMeter, KvRead, Overlay};

use crate::address;
use crate::call::Entry;
use crate::error::WasmError;
use crate::keeper::{Frame, WasmKeeper, check_json, parse_addr, to_vm_coins, vm_to_string};
use crate::keys;
use crate::params;

impl WasmKeeper {
    /// Instantiates a contract (classic address, or predictable with `salt`); returns its
    /// address and the data it returned.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn instantiate_in(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        creator: &Address,
        admin: Option<Address>,
        code_id: u64,
        label: &str,
        msg: &[u8],
        funds: &Coins,
        salt: Option<(&[u8], bool)>,
    ) -> Result<(Address, Option<Vec<u8>>), AbciError> {
        self.check_depth(frame)?;
        if label.trim().is_empty() {
            return Err(WasmError::Empty("label".into()).into());
        }
        check_json(msg)?;
        let code = self.code_info(ctx, code_id)?;
        let config = code
            .instantiate_config
            .clone()
            .unwrap_or_else(params::everybody);
        if !params::allowed(&config, creator) {
            return Err(WasmError::Unauthorized(format!(
                "{creator} may not instantiate code {code_id}"
            ))
            .into());
        }
        let checksum = Self::checksum_of(&code)?;
        let contract = match salt {
            None => {
                let instance_id = self.next_id(ctx, keys::last_instance_id())?;
                address::classic(code_id, instance_id)
            }
            Some((salt, fix_msg)) => {
                if salt.is_empty() || salt.len() > 64 {
                    return Err(WasmError::Invalid("salt must be 1 to 64 bytes".into()).into());
                }
                let init = if fix_msg { msg } else { &[][..] };
                address::predictable(checksum.as_slice(), creator, salt, init)
            }
        };
        if ctx.get(&keys::contract(&contract))?.is_some() {
            return Err(WasmError::AccountExists(contract.to_bech32()).into());
        }
        self.inner
            .deps
            .accounts
            .create_contract_account(ctx, &contract)?;
        self.inner
            .deps
            .bank
            .transfer(ctx, creator, &contract, funds)?;

        let info = MessageInfo {
            sender: Addr::unchecked(creator.to_bech32()),
            funds: to_vm_coins(funds),
        };
        let response = self
            .call_entry(
                ctx,
                frame,
                &contract,
                &checksum,
                Entry::Instantiate(&info, msg),
            )?
            .map_err(WasmError::Instantiate)?;

        let seq = self.next_id(ctx, keys::last_contract_seq())?;
        ctx.set(keys::contract_by_code(code_id, seq, &contract), Vec::new())?;
        let info = ContractInfo {
            code_id,
            creator: creator.to_bech32(),
            admin: admin.map(|a| a.to_bech32()).unwrap_or_default(),
            label: label.to_string(),
            created: Some(AbsoluteTxPosition {
                block_height: ctx.block.height,
                tx_index: 0,
            }),
            ibc_port_id: String::new(),
            extension: None,
        };
        self.save_contract(ctx, &contract, info, seq)?;
        ctx.emit(
            Event::new("instantiate")
                .attr("_contract_address", contract.to_bech32())
                .attr("code_id", code_id.to_string()),
        );
        let data = self.handle_response(ctx, frame, &contract, response)?;
        Ok((contract, data))
    }

    pub(crate) fn execute_in(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        sender: &Address,
        contract: &Address,
        msg: &[u8],
        funds: &Coins,
    ) -> Result<Option<Vec<u8>>, AbciError> {
        self.check_depth(frame)?;
        check_json(msg)?;
        let (info, _) = self.contract(ctx, contract)?;
        let code = self.code_info(ctx, info.code_id)?;
        let checksum = Self::checksum_of(&code)?;
        self.inner
            .deps
            .bank
            .transfer(ctx, sender, contract, funds)?;
        let info = MessageInfo {
            sender: Addr::unchecked(sender.to_bech32()),
            funds: to_vm_coins(funds),
        };
        let response = self
            .call_entry(ctx, frame, contract, &checksum, Entry::Execute(&info, msg))?
            .map_err(WasmError::Execute)?;
        ctx.emit(Event::new("execute").attr("_contract_address", contract.to_bech32()));
        self.handle_response(ctx, frame, contract, response)
    }

    pub(crate) fn migrate_in(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        sender: &Address,
        contract: &Address,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, AbciError> {
        self.check_depth(frame)?;
        check_json(msg)?;
        let (mut info, seq) = self.contract(ctx, contract)?;
        if info.admin.is_empty() || parse_addr("admin", &info.admin)? != *sender {
            return Err(WasmError::Unauthorized(format!(
                "{sender} is not the admin of {contract}"
            ))
            .into());
        }
        let old_code = self.code_info(ctx, info.code_id)?;
        let new_code = self.code_info(ctx, new_code_id)?;
        let config = new_code
            .instantiate_config
            .clone()
            .unwrap_or_else(params::everybody);
        if !params::allowed(&config, sender) {
            return Err(WasmError::Unauthorized(format!(
                "{sender} may not instantiate code {new_code_id}"
            ))
            .into());
        }
        let old_checksum = Self::checksum_of(&old_code)?;
        let new_checksum = Self::checksum_of(&new_code)?;
        // The new code must export `migrate`; the old one may tell its migrate version.
        self.ensure_cached(ctx.state(), &old_checksum)?;
        self.ensure_cached(ctx.state(), &new_checksum)?;
        let report = self
            .inner
            .cache
            .analyze(&new_checksum)
            .map_err(|e| WasmError::Migrate(vm_to_string(&e)))?;
        if !report.entrypoints.iter().any(|e| e.as_ref() == "migrate") {
            return Err(WasmError::Migrate(format!(
                "code {new_code_id} has no migrate entry point"
            ))
            .into());
        }
        let old_version = self
            .inner
            .cache
            .analyze(&old_checksum)
            .map_err(|e| WasmError::Migrate(vm_to_string(&e)))?
            .contract_migrate_version;
        let migrate_info = MigrateInfo {
            sender: Addr::unchecked(sender.to_bech32()),
            old_migrate_version: old_version,
        };
        let response = self
            .call_entry(
                ctx,
                frame,
                contract,
                &new_checksum,
                Entry::Migrate(&migrate_info, msg),
            )?
            .map_err(WasmError::Migrate)?;
        // Move the contract in the code index, keeping its creation order.
        ctx.delete(keys::contract_by_code(info.code_id, seq, contract))?;
        ctx.set(
            keys::contract_by_code(new_code_id, seq, contract),
            Vec::new(),
        )?;
        info.code_id = new_code_id;
        self.save_contract(ctx, contract, info, seq)?;
        ctx.emit(
            Event::new("migrate")
                .attr("_contract_address", contract.to_bech32())
                .attr("code_id", new_code_id.to_string()),
        );
        self.handle_response(ctx, frame, contract, response)
    }

    pub(crate) fn ensure_cached(
        &self,
        mut state: &dyn KvRead,
        checksum: &Checksum,
    ) -> Result<(), AbciError> {
        if self.inner.cache.load_wasm(checksum).is_ok() {
            return Ok(());
        }
        let wasm = self.code_bytes(&mut state, checksum.as_slice())?;
        self.inner
            .cache
            .store_code(&wasm, false, true)
            .map_err(|e| WasmError::Cache(vm_to_string(&e)))?;
        Ok(())
    }

    pub(crate) fn update_admin_in(
        &self,
        ctx: &mut Ctx<'_>,
        sender: &Address,
        contract: &Address,
        new_admin: Option<Address>,
    ) -> Result<(), AbciError> {
        let (mut info, seq) = self.contract(ctx, contract)?;
        if info.admin.is_empty() || parse_addr("admin", &info.admin)? != *sender {
            return Err(WasmError::Unauthorized(format!(
                "{sender} is not the admin of {contract}"
            ))
            .into());
        }
        let new_admin = new_admin.map(|a| a.to_bech32()).unwrap_or_default();
        info.admin = new_admin.clone();
        self.save_contract(ctx, contract, info, seq)?;
        ctx.emit(
            Event::new("update_contract_admin")
                .attr("_contract_address", contract.to_bech32())
                .attr("new_admin_address", new_admin),
        );
        Ok(())
    }

    pub(crate) fn reply_in(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        reply: &Reply,
    ) -> Result<Option<Vec<u8>>, AbciError> {
        let (info, _) = self.contract(ctx, contract)?;
        let code = self.code_info(ctx, info.code_id)?;
        let checksum = Self::checksum_of(&code)?;
        let response = self
            .call_entry(ctx, frame, contract, &checksum, Entry::Reply(reply))?
            .map_err(WasmError::Execute)?;
        ctx.emit(Event::new("reply").attr("_contract_address", contract.to_bech32()));
        self.handle_response(ctx, frame, contract, response)
    }

    /// Instantiates `code_id` at a classic address.
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate(
        &self,
        ctx: &mut Ctx<'_>,
        creator: &Address,
        admin: Option<Address>,
        code_id: u64,
        label: &str,
        msg: &[u8],
        funds: &Coins,
    ) -> Result<(Address, Option<Vec<u8>>), AbciError> {
        self.instantiate_in(
            ctx,
            &Frame::default(),
            creator,
            admin,
            code_id,
            label,
            msg,
            funds,
            None,
        )
    }

    /// Instantiates `code_id` at the address predicted from checksum, creator and salt (and the
    /// message when `fix_msg`).
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate2(
        &self,
        ctx: &mut Ctx<'_>,
        creator: &Address,
        admin: Option<Address>,
        code_id: u64,
        label: &str,
        msg: &[u8],
        funds: &Coins,
        salt: &[u8],
        fix_msg: bool,
    ) -> Result<(Address, Option<Vec<u8>>), AbciError> {
        self.instantiate_in(
            ctx,
            &Frame::default(),
            creator,
            admin,
            code_id,
            label,
            msg,
            funds,
            Some((salt, fix_msg)),
        )
    }

    /// Executes a contract with `funds` sent along; returns the data it returned.
    pub fn execute(
        &self,
        ctx: &mut Ctx<'_>,
        sender: &Address,
        contract: &Address,
        msg: &[u8],
        funds: &Coins,
    ) -> Result<Option<Vec<u8>>, AbciError> {
        self.execute_in(ctx, &Frame::default(), sender, contract, msg, funds)
    }

    pub fn migrate(
        &self,
        ctx: &mut Ctx<'_>,
        sender: &Address,
        contract: &Address,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, AbciError> {
        self.migrate_in(ctx, &Frame::default(), sender, contract, new_code_id, msg)
    }

    /// Sets (`Some`) or clears (`None`) a contract's admin; only the admin may.
    pub fn update_admin(
        &self,
        ctx: &mut Ctx<'_>,
        sender: &Address,
        contract: &Address,
        new_admin: Option<Address>,
    ) -> Result<(), AbciError> {
        self.update_admin_in(ctx, sender, contract, new_admin)
    }

    /// Calls a contract's `sudo` entry point: for modules (e.g. attribution settling a licence),
    /// never reachable by a user message.
    pub fn sudo(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &Address,
        msg: &[u8],
    ) -> Result<Option<Vec<u8>>, AbciError> {
        check_json(msg)?;
        let frame = Frame::default();
        let (info, _) = self.contract(ctx, contract)?;
        let code = self.code_info(ctx, info.code_id)?;
        let checksum = Self::checksum_of(&code)?;
        let response = self
            .call_entry(ctx, &frame, contract, &checksum, Entry::Sudo(msg))?
            .map_err(WasmError::Execute)?;
        ctx.emit(Event::new("sudo").attr("_contract_address", contract.to_bech32()));
        self.handle_response(ctx, &frame, contract, response)
    }

    /// A smart query inside a transaction or block (gas-metered on `ctx`, seeing its writes):
    /// how other modules ask contracts (the licence contract's price, for one).
    pub fn query_smart(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &Address,
        msg: &[u8],
    ) -> Result<Vec<u8>, AbciError> {
        check_json(msg)?;
        self.query_smart_in(ctx, &Frame::default(), contract, msg)?
            .map_err(|e| WasmError::Query(e).into())
    }

    /// A smart query against committed state (gRPC and ABCI `Query`), under the configured
    /// query gas limit.
    pub fn query_smart_at(
        &self,
        state: &dyn KvRead,
        contract: &Address,
        msg: &[u8],
    ) -> Result<Vec<u8>, AbciError> {
        let block = self.inner.last_block.lock().clone();
        let mut overlay = Overlay::new(state);
        let mut gas = GasMeter::new(self.inner.config.smart_query_gas_limit);
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &block,
            ExecMode::Simulate,
            &mut overlay,
            &mut gas,
            &mut events,
        );
        self.query_smart(&mut ctx, contract, msg)
    }

    pub(crate) fn query_smart_in(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        msg: &[u8],
    ) -> Result<Result<Vec<u8>, String>, AbciError> {
        let (info, _) = self.contract(ctx, contract)?;
        let code = self.code_info(ctx, info.code_id)?;
        let checksum = Self::checksum_of(&code)?;
        let env = Self::env(ctx.block, contract);
        let answer = self.call(ctx, frame, contract, &checksum, msg.len(), |i| {
            cosmwasm_vm::call_query(i, &env, msg)
        })?;
        Ok(answer.map(|b: Binary| b.to_vec()))
    }
}
