//! The wasm keeper: the only way into the module's state and the VM. Message handlers, gRPC
//! queries, genesis and other modules (through [`WasmKeeper::execute`],
//! [`WasmKeeper::query_smart`], [`WasmKeeper::sudo`]) all go through it.

use std::collections::HashSet;
use std::io::Read;
use std::sync::Arc;

use cosmrs::proto::cosmwasm::wasm::v1::{AccessConfig, CodeInfo, ContractInfo, Params};
use cosmwasm_std::Response;
use cosmwasm_vm::{CacheOptions, Size, VmError};
use openledger_framework::error::SdkError;
use openledger_framework::module::decode_stored;
use openledger_framework::{
    AbciError, Address, BlockInfo, Coin, Coins, Ctx, Event, KvRead, StateRead,
};
use parking_lot::Mutex;
use prost::Message;

use crate::error::{WasmError, is_out_of_gas};
use crate::expected::{ContractAccounts, CustomBindings, NoAccounts, NoBindings, WasmBank};
use crate::gas::GasRegister;
use crate::keys;
use crate::params::{self, WasmConfig};
use crate::vm::VmCache;

/// JSON a contract passes through to OpenLedger's bindings, kept as it came.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct RawCustom(pub serde_json::Value);

impl cosmwasm_std::CustomMsg for RawCustom {}
impl cosmwasm_std::CustomQuery for RawCustom {}

pub(crate) type ContractResponse = Response<RawCustom>;

/// One `(key, value)` of a contract's own storage, as the contract wrote it.
pub type ContractRecordKv = (Vec<u8>, Vec<u8>);

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

pub(crate) struct Inner {
    pub(crate) config: WasmConfig,
    pub(crate) cache: VmCache,
    pub(crate) deps: WasmDeps,
    /// The last block seen, for the `Env` of queries served outside a block (gRPC, ABCI).
    pub(crate) last_block: Mutex<BlockInfo>,
}

/// The wasm keeper. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct WasmKeeper {
    pub(crate) inner: Arc<Inner>,
}

/// What a stored code is, as queries report it.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeDetails {
    pub code_id: u64,
    pub info: CodeInfo,
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> AbciError {
    WasmError::Corrupt(what.to_string()).into()
}

pub(crate) fn vm_to_string(e: &VmError) -> String {
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

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params, AbciError> {
        decode_stored(r.read(keys::params())?, params::default_params).map_err(corrupt)
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<(), AbciError> {
        params::validate(p)?;
        ctx.set(keys::params().to_string(), p.encode_to_vec())
    }

    // ----- codes -----

    pub(crate) fn next_id(&self, ctx: &mut Ctx<'_>, key: &'static str) -> Result<u64, AbciError> {
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

    pub fn code_info(&self, r: &mut impl StateRead, code_id: u64) -> Result<CodeInfo, AbciError> {
        let bytes = r
            .read(&keys::code(code_id))?
            .ok_or(WasmError::NoSuchCode(code_id))?;
        CodeInfo::decode(bytes.as_slice()).map_err(corrupt)
    }

    /// Every stored code, in code-id order.
    pub fn codes(&self, r: &mut impl StateRead) -> Result<Vec<CodeDetails>, AbciError> {
        let mut out = Vec::new();
        for (key, value) in r.read_prefix(keys::all_codes())? {
            let code_id = keys::parse_code_key(&key).ok_or_else(|| corrupt(&key))?;
            let info = CodeInfo::decode(value.as_slice()).map_err(corrupt)?;
            out.push(CodeDetails { code_id, info });
        }
        Ok(out)
    }

    /// The wasm bytecode of a code, as uploaded (inflated).
    pub fn code_bytes(
        &self,
        r: &mut impl StateRead,
        checksum: &[u8],
    ) -> Result<Vec<u8>, AbciError> {
        r.read(&keys::code_bytes(checksum))?
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
        reject_floats(&wasm)?;
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

    pub fn contract_info(
        &self,
        r: &mut impl StateRead,
        addr: &Address,
    ) -> Result<ContractInfo, AbciError> {
        Ok(self.contract(r, addr)?.0)
    }

    /// A contract's info and creation sequence number.
    pub(crate) fn contract(
        &self,
        r: &mut impl StateRead,
        addr: &Address,
    ) -> Result<(ContractInfo, u64), AbciError> {
        let bytes = r
            .read(&keys::contract(addr))?
            .ok_or_else(|| WasmError::NoSuchContract(addr.to_bech32()))?;
        let record = ContractRecord::decode(bytes.as_slice()).map_err(corrupt)?;
        let info = record
            .info
            .ok_or_else(|| corrupt("contract without info"))?;
        Ok((info, record.seq))
    }

    pub(crate) fn save_contract(
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
    pub fn contracts_by_code(
        &self,
        r: &mut impl StateRead,
        code_id: u64,
    ) -> Result<Vec<Address>, AbciError> {
        r.read_prefix(&keys::contracts_by_code(code_id))?
            .into_iter()
            .map(|(k, _)| keys::parse_contract_by_code_key(&k).ok_or_else(|| corrupt(&k)))
            .collect()
    }

    /// Every contract, in address order.
    pub fn contracts(
        &self,
        r: &mut impl StateRead,
    ) -> Result<Vec<(Address, ContractInfo)>, AbciError> {
        let mut out = Vec::new();
        for (key, value) in r.read_prefix(keys::all_contracts())? {
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
        r: &mut impl StateRead,
        contract: &Address,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, AbciError> {
        r.read(&keys::contract_store_key(contract, key))
    }

    /// Every `(key, value)` of a contract's storage, in key order.
    pub fn contract_state(
        &self,
        r: &mut impl StateRead,
        contract: &Address,
    ) -> Result<Vec<ContractRecordKv>, AbciError> {
        let prefix = keys::contract_store(contract);
        r.read_prefix(&prefix)?
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

/// OpenLedger's upload rule on top of the VM's checks: no floating-point instructions. The state
/// machine keeps no floats (contracts use fixed-point decimals such as `cosmwasm_std::Decimal`);
/// cosmwasm-vm 2 would run them with canonical NaNs, but a chain for money and attribution
/// scores has no use for them, and refusing them keeps contracts auditable for determinism.
pub fn reject_floats(wasm: &[u8]) -> Result<(), AbciError> {
    let invalid = |e: wasmparser::BinaryReaderError| -> AbciError {
        WasmError::Create(format!("invalid wasm: {e}")).into()
    };
    let mut function = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.map_err(invalid)? {
            let mut ops = body.get_operators_reader().map_err(invalid)?;
            while !ops.eof() {
                let op = ops.read().map_err(invalid)?;
                // Every float operator (arithmetic, constants, loads/stores, conversions and
                // reinterpretations) names F32 or F64.
                let name = format!("{op:?}");
                let name = name.split(['(', ' ', '{']).next().unwrap_or("");
                if name.contains("F32") || name.contains("F64") {
                    return Err(WasmError::Create(format!(
                        "floating-point instruction {name} in code function {function}: \
                         OpenLedger contracts must not use floats"
                    ))
                    .into());
                }
            }
            function += 1;
        }
    }
    Ok(())
}
