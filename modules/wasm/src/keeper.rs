//! The wasm keeper: the only way into the module's state and the VM. Message handlers, gRPC
//! queries, genesis and other modules (through [`WasmKeeper::execute`],
//! [`WasmKeeper::query_smart`], [`WasmKeeper::sudo`]) all go through it.

use std::collections::HashSet;
use std::io::Read;
use std::sync::Arc;

use cosmrs::proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, AccessConfig, CodeInfo, ContractInfo, Params,
};
use cosmwasm_std::{
    Addr, Binary, BlockInfo as VmBlockInfo, Checksum, ContractInfo as VmContractInfo,
    ContractResult, Env, MessageInfo, MigrateInfo, Reply, Response, Timestamp,
};
use cosmwasm_vm::{Backend, CacheOptions, InstanceOptions, Size, VmError, VmResult};
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::module::decode_stored;
use openledger_framework::{
    AbciError, Address, BlockInfo, Coin, Coins, Ctx, Event, GasMeter, KvRead, Overlay,
};
use parking_lot::Mutex;
use prost::Message;

use crate::address;
use crate::error::{WasmError, is_out_of_gas};
use crate::expected::{ContractAccounts, CustomBindings, NoAccounts, NoBindings, WasmBank};
use crate::gas::GasRegister;
use crate::keys;
use crate::params::{self, WasmConfig};
use crate::vm::{ContractQuerier, ContractStorage, CtxSlot, HostApi, VmCache, VmInstance};

/// JSON a contract passes through to OpenLedger's bindings, kept as it came.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct RawCustom(pub serde_json::Value);

impl cosmwasm_std::CustomMsg for RawCustom {}
impl cosmwasm_std::CustomQuery for RawCustom {}

pub(crate) type ContractResponse = Response<RawCustom>;

/// A contract as stored: wasmd's `ContractInfo` and its creation sequence number, which orders
/// the code → contracts index.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ContractRecord {
    #[prost(message, optional, tag = "1")]
    pub info: Option<ContractInfo>,
    #[prost(uint64, tag = "2")]
    pub seq: u64,
}

/// Where a contract call sits: how deep in calls and queries, and the gas it may use.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Frame {
    pub call_depth: u32,
    pub query_depth: u32,
    /// Gas-meter level this call must not pass (a submessage's gas limit).
    pub gas_cap: Option<u64>,
    /// VM gas the calling contract has left (for queries made from a contract).
    pub vm_gas_cap: Option<u64>,
}

/// The keepers and hooks the wasm module works with.
#[derive(Clone)]
pub struct WasmDeps {
    pub bank: Arc<dyn WasmBank>,
    pub accounts: Arc<dyn ContractAccounts>,
    pub bindings: Arc<dyn CustomBindings>,
    /// The only signer of `MsgUpdateParams`: the gov module account.
    pub authority: Address,
}

impl WasmDeps {
    /// Bank only: no contract accounts, no custom bindings, gov as the authority.
    pub fn new(bank: Arc<dyn WasmBank>) -> Self {
        Self {
            bank,
            accounts: Arc::new(NoAccounts),
            bindings: Arc::new(NoBindings),
            authority: Address::module("gov"),
        }
    }

    pub fn with_accounts(mut self, accounts: Arc<dyn ContractAccounts>) -> Self {
        self.accounts = accounts;
        self
    }

    pub fn with_bindings(mut self, bindings: Arc<dyn CustomBindings>) -> Self {
        self.bindings = bindings;
        self
    }

    pub fn with_authority(mut self, authority: Address) -> Self {
        self.authority = authority;
        self
    }
}

struct Inner {
    config: WasmConfig,
    cache: VmCache,
    deps: WasmDeps,
    /// The last block seen, for the `Env` of queries served outside a block (gRPC, ABCI).
    last_block: Mutex<BlockInfo>,
}

/// The wasm keeper. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct WasmKeeper {
    inner: Arc<Inner>,
}

/// What a stored code is, as queries report it.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeDetails {
    pub code_id: u64,
    pub info: CodeInfo,
}

/// What a call into a contract returned.
struct CallOutcome<T> {
    result: VmResult<ContractResult<T>>,
    vm_gas_used: u64,
}

/// Which entry point to call.
enum Entry<'m> {
    Instantiate(&'m MessageInfo, &'m [u8]),
    Execute(&'m MessageInfo, &'m [u8]),
    Migrate(&'m MigrateInfo, &'m [u8]),
    Reply(&'m Reply),
    Sudo(&'m [u8]),
}

fn corrupt(what: impl std::fmt::Display) -> AbciError {
    WasmError::Corrupt(what.to_string()).into()
}

fn vm_to_string(e: &VmError) -> String {
    // The VM's messages name the failure precisely but carry a backtrace field we do not want.
    e.to_string()
}

pub(crate) fn to_vm_coins(coins: &Coins) -> Vec<cosmwasm_std::Coin> {
    coins
        .iter()
        .map(|c| cosmwasm_std::Coin::new(c.amount, c.denom.clone()))
        .collect()
}

pub(crate) fn from_vm_coins(coins: &[cosmwasm_std::Coin]) -> Result<Coins, AbciError> {
    Ok(Coins::from_vec(
        coins
            .iter()
            .map(|c| Coin::new(c.amount.u128(), c.denom.clone()))
            .collect(),
    )?)
}

pub(crate) fn parse_addr(what: &str, s: &str) -> Result<Address, AbciError> {
    Address::from_bech32(s)
        .map_err(|e| SdkError::InvalidAddress(format!("invalid {what} address: {e}")).into())
}

/// Contract messages must be JSON (wasmd's `RawContractMessage.ValidateBasic`).
pub(crate) fn check_json(msg: &[u8]) -> Result<(), WasmError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(msg)
        .map(|_| ())
        .map_err(|e| WasmError::InvalidMsg(format!("contract message is not valid JSON: {e}")))
}

impl WasmKeeper {
    /// Opens (creating if needed) the VM's cache under `config.cache_dir`.
    pub fn new(config: WasmConfig, deps: WasmDeps) -> Result<Self, WasmError> {
        std::fs::create_dir_all(&config.cache_dir).map_err(|e| {
            WasmError::Cache(format!("creating {}: {e}", config.cache_dir.display()))
        })?;
        let capabilities: HashSet<String> = config.capabilities.iter().cloned().collect();
        let options = CacheOptions::new(
            config.cache_dir.clone(),
            capabilities,
            Size::new(config.memory_cache_bytes as usize),
            Size::new(config.memory_limit_bytes as usize),
        );
        // SAFETY: `Cache::new` is unsafe because it trusts the compiled modules it finds on
        // disk. The directory is this node's own (`<home>/data/wasm`), written only by this
        // cache; deleting it is always safe, as everything is rebuilt from the bytecode in state.
        let cache = unsafe { VmCache::new(options) }
            .map_err(|e| WasmError::Cache(format!("opening the wasm cache: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                cache,
                deps,
                last_block: Mutex::new(BlockInfo::default()),
            }),
        })
    }

    pub fn config(&self) -> &WasmConfig {
        &self.inner.config
    }

    pub(crate) fn gas(&self) -> GasRegister {
        self.inner.config.gas
    }

    pub fn authority(&self) -> Address {
        self.inner.deps.authority
    }

    /// Cache statistics: hits in memory and on disk, and compilations (misses).
    pub fn cache_stats(&self) -> cosmwasm_vm::Stats {
        self.inner.cache.stats()
    }

    /// Records the block queries outside a block see as `env.block`.
    pub fn observe_block(&self, block: &BlockInfo) {
        let mut last = self.inner.last_block.lock();
        if *last != *block {
            *last = block.clone();
        }
    }

    // ----- params -----

    pub fn params_at(&self, state: &dyn KvRead) -> Result<Params, AbciError> {
        decode_stored(state.get(keys::params())?, params::default_params).map_err(corrupt)
    }

    pub fn params(&self, ctx: &mut Ctx<'_>) -> Result<Params, AbciError> {
        decode_stored(ctx.get(keys::params())?, params::default_params).map_err(corrupt)
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<(), AbciError> {
        params::validate(p)?;
        ctx.set(keys::params().to_string(), p.encode_to_vec())
    }

    // ----- codes -----

    fn next_id(&self, ctx: &mut Ctx<'_>, key: &'static str) -> Result<u64, AbciError> {
        let last = match ctx.get(key)? {
            None => 0,
            Some(b) => {
                let b: [u8; 8] = b.as_slice().try_into().map_err(corrupt)?;
                u64::from_be_bytes(b)
            }
        };
        let next = last
            .checked_add(1)
            .ok_or_else(|| corrupt(format!("{key} overflows")))?;
        ctx.set(key.to_string(), next.to_be_bytes().to_vec())?;
        Ok(next)
    }

    pub(crate) fn peek_last_id(state: &dyn KvRead, key: &str) -> Result<u64, AbciError> {
        match state.get(key)? {
            None => Ok(0),
            Some(b) => {
                let b: [u8; 8] = b.as_slice().try_into().map_err(corrupt)?;
                Ok(u64::from_be_bytes(b))
            }
        }
    }

    pub fn code_info_at(&self, state: &dyn KvRead, code_id: u64) -> Result<CodeInfo, AbciError> {
        let bytes = state
            .get(&keys::code(code_id))?
            .ok_or(WasmError::NoSuchCode(code_id))?;
        CodeInfo::decode(bytes.as_slice()).map_err(corrupt)
    }

    fn code_info(&self, ctx: &mut Ctx<'_>, code_id: u64) -> Result<CodeInfo, AbciError> {
        let bytes = ctx
            .get(&keys::code(code_id))?
            .ok_or(WasmError::NoSuchCode(code_id))?;
        CodeInfo::decode(bytes.as_slice()).map_err(corrupt)
    }

    /// Every stored code, in code-id order.
    pub fn codes_at(&self, state: &dyn KvRead) -> Result<Vec<CodeDetails>, AbciError> {
        let mut out = Vec::new();
        for (key, value) in state.prefix(keys::all_codes())? {
            let code_id = keys::parse_code_key(&key).ok_or_else(|| corrupt(&key))?;
            let info = CodeInfo::decode(value.as_slice()).map_err(corrupt)?;
            out.push(CodeDetails { code_id, info });
        }
        Ok(out)
    }

    /// The wasm bytecode of a code, as uploaded (inflated).
    pub fn code_bytes_at(&self, state: &dyn KvRead, checksum: &[u8]) -> Result<Vec<u8>, AbciError> {
        state
            .get(&keys::code_bytes(checksum))?
            .ok_or_else(|| corrupt(format!("bytecode {} missing", hex::encode(checksum))))
    }

    /// Inflates a gzip'd upload, never past the size limit.
    fn inflate(&self, ctx: &mut Ctx<'_>, upload: &[u8]) -> Result<Vec<u8>, AbciError> {
        let max = self.inner.config.max_wasm_size;
        if upload.is_empty() {
            return Err(WasmError::Empty("wasm code".into()).into());
        }
        if upload.len() > max {
            return Err(WasmError::Limit(format!(
                "uncompressed wasm code must not exceed {max} bytes, got {}",
                upload.len()
            ))
            .into());
        }
        if !upload.starts_with(&[0x1f, 0x8b]) {
            return Ok(upload.to_vec());
        }
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(upload)
            .take(max as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| WasmError::Create(format!("invalid gzip: {e}")))?;
        if out.len() > max {
            return Err(WasmError::Limit(format!(
                "uncompressed wasm code must not exceed {max} bytes"
            ))
            .into());
        }
        ctx.gas.consume(
            self.gas().uncompress_costs(out.len()),
            "Uncompress gzip bytecode",
        )?;
        Ok(out)
    }

    /// `MsgStoreCode`: checks, compiles and stores a code; returns its id and checksum.
    pub fn store_code(
        &self,
        ctx: &mut Ctx<'_>,
        sender: &Address,
        upload: &[u8],
        instantiate_permission: Option<AccessConfig>,
    ) -> Result<(u64, [u8; 32]), AbciError> {
        let p = self.params(ctx)?;
        let upload_access = p
            .code_upload_access
            .clone()
            .unwrap_or_else(params::everybody);
        if !params::allowed(&upload_access, sender) {
            return Err(WasmError::Unauthorized(format!("{sender} may not upload code")).into());
        }
        let instantiate_config = match instantiate_permission {
            Some(c) => {
                params::validate_access(&c)?;
                c
            }
            None => AccessConfig {
                permission: p.instantiate_default_permission,
                addresses: Vec::new(),
            },
        };
        let wasm = self.inflate(ctx, upload)?;
        ctx.gas.consume(
            self.gas().compile_costs(wasm.len()),
            "Compiling wasm bytecode",
        )?;
        let checksum = self
            .inner
            .cache
            .store_code(&wasm, true, true)
            .map_err(|e| WasmError::Create(vm_to_string(&e)))?;
        let code_id = self.next_id(ctx, keys::last_code_id())?;
        let bytes_key = keys::code_bytes(checksum.as_slice());
        if ctx.state().get(&bytes_key)?.is_none() {
            ctx.set(bytes_key, wasm)?;
        }
        let info = CodeInfo {
            code_hash: checksum.as_slice().to_vec(),
            creator: sender.to_bech32(),
            instantiate_config: Some(instantiate_config),
        };
        ctx.set(keys::code(code_id), info.encode_to_vec())?;
        ctx.emit(
            Event::new("store_code")
                .attr("code_checksum", checksum.to_hex())
                .attr("code_id", code_id.to_string()),
        );
        Ok((code_id, *checksum.as_ref()))
    }

    /// Writes a code as genesis or a state import has it (already checked once).
    pub(crate) fn import_code(
        &self,
        ctx: &mut Ctx<'_>,
        code_id: u64,
        info: &CodeInfo,
        wasm: &[u8],
    ) -> Result<(), AbciError> {
        let checksum = self
            .inner
            .cache
            .store_code(wasm, true, true)
            .map_err(|e| WasmError::Genesis(format!("code {code_id}: {}", vm_to_string(&e))))?;
        if checksum.as_slice() != info.code_hash.as_slice() {
            return Err(WasmError::Genesis(format!(
                "code {code_id}: checksum {} does not match its bytecode",
                hex::encode(&info.code_hash)
            ))
            .into());
        }
        ctx.set(keys::code_bytes(checksum.as_slice()), wasm.to_vec())?;
        ctx.set(keys::code(code_id), info.encode_to_vec())?;
        Ok(())
    }

    // ----- contracts -----

    pub fn contract_info_at(
        &self,
        state: &dyn KvRead,
        addr: &Address,
    ) -> Result<ContractInfo, AbciError> {
        let bytes = state
            .get(&keys::contract(addr))?
            .ok_or_else(|| WasmError::NoSuchContract(addr.to_bech32()))?;
        ContractRecord::decode(bytes.as_slice())
            .map_err(corrupt)?
            .info
            .ok_or_else(|| corrupt("contract without info"))
    }

    /// A contract's info and creation sequence number.
    fn contract(
        &self,
        ctx: &mut Ctx<'_>,
        addr: &Address,
    ) -> Result<(ContractInfo, u64), AbciError> {
        let bytes = ctx
            .get(&keys::contract(addr))?
            .ok_or_else(|| WasmError::NoSuchContract(addr.to_bech32()))?;
        let record = ContractRecord::decode(bytes.as_slice()).map_err(corrupt)?;
        let info = record
            .info
            .ok_or_else(|| corrupt("contract without info"))?;
        Ok((info, record.seq))
    }

    fn save_contract(
        &self,
        ctx: &mut Ctx<'_>,
        addr: &Address,
        info: ContractInfo,
        seq: u64,
    ) -> Result<(), AbciError> {
        let record = ContractRecord {
            info: Some(info),
            seq,
        };
        ctx.set(keys::contract(addr), record.encode_to_vec())
    }

    /// The contracts of a code, in creation order.
    pub fn contracts_by_code_at(
        &self,
        state: &dyn KvRead,
        code_id: u64,
    ) -> Result<Vec<Address>, AbciError> {
        state
            .prefix(&keys::contracts_by_code(code_id))?
            .into_iter()
            .map(|(k, _)| keys::parse_contract_by_code_key(&k).ok_or_else(|| corrupt(&k)))
            .collect()
    }

    /// Every contract, in address order.
    pub fn contracts_at(
        &self,
        state: &dyn KvRead,
    ) -> Result<Vec<(Address, ContractInfo)>, AbciError> {
        let mut out = Vec::new();
        for (key, value) in state.prefix(keys::all_contracts())? {
            let addr = keys::parse_contract_key(&key).ok_or_else(|| corrupt(&key))?;
            let info = ContractRecord::decode(value.as_slice())
                .map_err(corrupt)?
                .info
                .ok_or_else(|| corrupt("contract without info"))?;
            out.push((addr, info));
        }
        Ok(out)
    }

    /// A contract's raw storage value at `key` (its own key bytes, as the contract wrote them).
    pub fn query_raw(
        &self,
        state: &dyn KvRead,
        contract: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, AbciError> {
        Ok(state.get(&keys::contract_store_key(contract, key))?)
    }

    /// Every `(key, value)` of a contract's storage, in key order.
    pub fn contract_state_at(
        &self,
        state: &dyn KvRead,
        contract: &Address,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, AbciError> {
        let prefix = keys::contract_store(contract);
        state
            .prefix(&prefix)?
            .into_iter()
            .map(|(k, v)| {
                let raw = hex::decode(&k[prefix.len()..]).map_err(corrupt)?;
                Ok((raw, v))
            })
            .collect()
    }

    pub(crate) fn import_contract(
        &self,
        ctx: &mut Ctx<'_>,
        addr: &Address,
        info: ContractInfo,
        state: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), AbciError> {
        self.code_info(ctx, info.code_id)?;
        let seq = self.next_id(ctx, keys::last_contract_seq())?;
        ctx.set(keys::contract_by_code(info.code_id, seq, addr), Vec::new())?;
        self.save_contract(ctx, addr, info, seq)?;
        for (k, v) in state {
            ctx.set(keys::contract_store_key(addr, k), v.clone())?;
        }
        Ok(())
    }

    // ----- the VM -----

    fn env(block: &BlockInfo, contract: &Address) -> Env {
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

    fn checksum_of(info: &CodeInfo) -> Result<Checksum, AbciError> {
        Checksum::try_from(info.code_hash.as_slice())
            .map_err(|_| corrupt("code hash is not 32 bytes"))
    }

    /// An instance of `checksum`, compiling it from the bytecode in state when the cache has
    /// lost it (a new node, a deleted cache directory).
    fn instance(
        &self,
        state: &dyn KvRead,
        checksum: &Checksum,
        make: impl Fn() -> Backend<HostApi, ContractStorage, ContractQuerier>,
        gas_limit: u64,
    ) -> Result<VmInstance, AbciError> {
        let options = InstanceOptions { gas_limit };
        match self.inner.cache.get_instance(checksum, make(), options) {
            Ok(instance) => Ok(instance),
            Err(first) => {
                let wasm = self.code_bytes_at(state, checksum.as_slice())?;
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
    fn call<T>(
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

    fn call_entry(
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

    fn check_depth(&self, frame: &Frame) -> Result<(), AbciError> {
        if frame.call_depth > self.inner.config.max_call_depth {
            return Err(WasmError::Limit(format!(
                "contract calls nest deeper than {}",
                self.inner.config.max_call_depth
            ))
            .into());
        }
        Ok(())
    }

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

    fn ensure_cached(&self, state: &dyn KvRead, checksum: &Checksum) -> Result<(), AbciError> {
        if self.inner.cache.load_wasm(checksum).is_ok() {
            return Ok(());
        }
        let wasm = self.code_bytes_at(state, checksum.as_slice())?;
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

    // ----- the public API for messages and other modules -----

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

    pub(crate) fn bank(&self) -> &dyn WasmBank {
        self.inner.deps.bank.as_ref()
    }

    pub(crate) fn bindings(&self) -> &dyn CustomBindings {
        self.inner.deps.bindings.as_ref()
    }

    pub(crate) fn max_query_depth(&self) -> u32 {
        self.inner.config.max_query_depth
    }

    pub(crate) fn contract_record(
        &self,
        ctx: &mut Ctx<'_>,
        addr: &Address,
    ) -> Result<ContractInfo, AbciError> {
        Ok(self.contract(ctx, addr)?.0)
    }

    pub(crate) fn code_record(
        &self,
        ctx: &mut Ctx<'_>,
        code_id: u64,
    ) -> Result<CodeInfo, AbciError> {
        self.code_info(ctx, code_id)
    }

    /// Whether an error may be given to a submessage's `reply` (all but running out of the
    /// transaction's gas).
    pub(crate) fn catchable(ctx: &Ctx<'_>, had_limit: bool, e: &AbciError) -> bool {
        !is_out_of_gas(e) || (had_limit && ctx.gas.used() < ctx.gas.limit())
    }
}
