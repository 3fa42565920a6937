//! The OpenLedger state machine: modules in a fixed order, the message router, transaction
//! execution and the block lifecycle (InitChain → FinalizeBlock → Commit), independent of how
//! ABCI reaches it (the ABCI server, benchmarks and tests drive it directly).

use std::collections::BTreeMap;
use std::sync::Arc;

use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use openledger_auth::{Account, AuthKeeper, AuthModule, FEE_COLLECTOR, GOV_MODULE};
use openledger_bank::{AccountKeeper, BankKeeper, BankModule};
use openledger_datanet::{DatanetKeeper, DatanetModule};
use openledger_distribution::{DistributionKeeper, DistributionModule, MintKeeper, MintModule};
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::store::{
    Changes, EmptyState, KvRead, KvWrite, Overlay, PreparedCommit, Snapshot, Storage,
};
use openledger_framework::{
    AbciError, Address, BlockInfo, Ctx, Event, GasMeter, Misbehavior, Module, QueryRouter, VoteInfo,
};
use openledger_gov::{GovKeeper, GovModule, MsgRouter};
use openledger_models::{ModelsKeeper, ModelsModule};
use openledger_slashing::{SlashingKeeper, SlashingModule};
use openledger_staking::{
    BONDED_POOL, MultiStakingHooks, NOT_BONDED_POOL, StakingKeeper, StakingModule, ValidatorUpdate,
};
use openledger_wasm::{ContractAccounts, WasmConfig, WasmDeps, WasmKeeper, WasmModule};
use parking_lot::Mutex;
use prost::Message;

use crate::ante::{self, AnteConfig, DecodedTx, SigCache};
use crate::bindings::OpenLedgerBindings;

/// Module store prefixes, which are also the substores of the multistore.
pub const STORE_PREFIXES: &[&str] = &[
    "auth",
    "bank",
    "distribution",
    "staking",
    "slashing",
    "gov",
    "mint",
    "datanet",
    "models",
    "wasm",
];

/// Chain metadata lives in the main store (outside every module's substore), so it is part of
/// the app hash like everything else the node restarts from.
const META_KEY: &str = "openledger/meta";

/// The result of running one transaction.
#[derive(Debug, Clone, Default)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub data: Vec<u8>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

impl TxOutcome {
    fn failed(err: AbciError, gas_wanted: u64, gas_used: u64, events: Vec<Event>) -> Self {
        Self {
            code: err.code,
            codespace: err.codespace,
            log: err.message,
            data: Vec::new(),
            gas_wanted,
            gas_used,
            events,
        }
    }

    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

/// Auth seen through bank's narrow `AccountKeeper` trait.
struct AuthForBank(AuthKeeper);

impl AccountKeeper for AuthForBank {
    fn ensure_account(&self, ctx: &mut Ctx<'_>, addr: Address) -> Result<(), AbciError> {
        if self.0.account(ctx, &addr)?.is_none() {
            self.0.create_account(ctx, addr)?;
        }
        Ok(())
    }

    fn module_address(&self, ctx: &mut Ctx<'_>, name: &str) -> Result<Address, AbciError> {
        let perms: &[&str] = match name {
            // `BankMsg::Burn` from a contract burns through the wasm module account.
            GOV_MODULE | openledger_wasm::keys::PREFIX => &["burner"],
            BONDED_POOL | NOT_BONDED_POOL => &["burner", "staking"],
            openledger_distribution::mint::MODULE_NAME => &["minter"],
            _ => &[],
        };
        Ok(self.0.module_account(ctx, name, perms)?.address)
    }
}

/// Message type URL → the module that handles it: how transactions reach modules, and how gov
/// checks and executes a passed proposal's messages.
#[derive(Clone, Default)]
struct MsgRoutes(BTreeMap<&'static str, Arc<dyn Module>>);

impl MsgRoutes {
    fn module(&self, type_url: &str) -> Result<&Arc<dyn Module>, AbciError> {
        self.0.get(type_url).ok_or_else(|| {
            SdkError::UnknownRequest(format!("unrecognized message type: {type_url}")).into()
        })
    }
}

impl MsgRouter for MsgRoutes {
    fn signers(&self, msg: &cosmrs::Any) -> Result<Vec<Address>, AbciError> {
        self.module(&msg.type_url)?.validate_msg(msg)
    }

    fn deliver(
        &self,
        ctx: &mut Ctx<'_>,
        msg: &cosmrs::Any,
    ) -> Result<openledger_framework::MsgResponse, AbciError> {
        self.module(&msg.type_url)?.deliver(ctx, msg)
    }
}

/// Auth seen through wasm's narrow `ContractAccounts` trait: every contract gets an account, as
/// in wasmd; an address that already signed something cannot become a contract.
struct AuthForWasm(AuthKeeper);

impl ContractAccounts for AuthForWasm {
    fn create_contract_account(&self, ctx: &mut Ctx<'_>, addr: &Address) -> Result<(), AbciError> {
        match self.0.account(ctx, addr)? {
            None => {
                self.0.create_account(ctx, *addr)?;
                Ok(())
            }
            Some(a) if a.pub_key.is_none() && a.sequence == 0 && a.module.is_none() => Ok(()),
            Some(_) => Err(SdkError::InvalidRequest(format!(
                "account {} exists and cannot become a contract",
                addr.to_bech32()
            ))
            .into()),
        }
    }
}

/// Everything that does not change while the node runs: modules, routes, keepers, settings.
pub struct AppCore {
    pub storage: Storage,
    pub auth: AuthKeeper,
    pub bank: BankKeeper,
    pub datanets: DatanetKeeper,
    pub models: ModelsKeeper,
    pub wasm: WasmKeeper,
    pub staking: StakingModule,
    /// Every module, in genesis order.
    pub modules: Vec<Arc<dyn Module>>,
    /// The order of begin block (mint, distribution, slashing, staking: the Cosmos SDK's) and
    /// of end block (gov before staking, so an executed proposal's effect on the validator set
    /// reaches CometBFT in the same block).
    begin_order: Vec<Arc<dyn Module>>,
    end_order: Vec<Arc<dyn Module>>,
    routes: MsgRoutes,
    pub queries: QueryRouter,
    pub ante: AnteConfig,
    pub sigs: SigCache,
}

impl AppCore {
    /// `wasm_cache` is the VM's compiled-module cache (`<home>/data/wasm`): a cache only, rebuilt
    /// from the bytecode in state when missing.
    pub fn new(
        storage: Storage,
        ante: AnteConfig,
        wasm_cache: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let auth = AuthKeeper;
        let gov = Address::module(GOV_MODULE);
        let bank = BankKeeper::new(
            Arc::new(AuthForBank(auth)),
            &[
                FEE_COLLECTOR,
                GOV_MODULE,
                openledger_datanet::MODULE_ACCOUNT,
                openledger_models::MODULE_ACCOUNT,
                openledger_wasm::keys::PREFIX,
                BONDED_POOL,
                NOT_BONDED_POOL,
                openledger_distribution::MODULE_NAME,
                openledger_distribution::mint::MODULE_NAME,
            ],
            gov,
        );
        let staking = StakingModule::new(StakingKeeper::new(bank.clone(), gov));
        let slashing = SlashingKeeper::new(staking.keeper.clone(), gov);
        let distribution =
            DistributionKeeper::new(bank.clone(), staking.keeper.clone(), gov, FEE_COLLECTOR);
        // Staking takes one hooks object: distribution's, then slashing's, as in the SDK
        // (rewards are settled before a slash changes the stake).
        staking.keeper.set_hooks(Arc::new(MultiStakingHooks(vec![
            Arc::new(distribution.clone()),
            slashing.hooks(),
        ])));
        let slashing: Arc<dyn Module> = Arc::new(SlashingModule::new(slashing));
        let distribution: Arc<dyn Module> = Arc::new(DistributionModule::new(distribution));
        let mint: Arc<dyn Module> = Arc::new(MintModule::new(MintKeeper::new(
            bank.clone(),
            staking.keeper.clone(),
            gov,
            FEE_COLLECTOR,
        )));
        let gov_keeper = GovKeeper::new(bank.clone(), staking.keeper.clone(), gov);
        let gov_module: Arc<dyn Module> = Arc::new(GovModule::new(gov_keeper.clone()));
        let staking_module: Arc<dyn Module> = Arc::new(staking.clone());
        let datanets = DatanetKeeper::new(bank.clone(), gov);
        let models = ModelsKeeper::new(bank.clone(), datanets.clone(), gov);
        let wasm = WasmKeeper::new(
            WasmConfig::new(wasm_cache),
            WasmDeps::new(Arc::new(bank.clone()))
                .with_accounts(Arc::new(AuthForWasm(auth)))
                .with_bindings(Arc::new(OpenLedgerBindings::new(
                    datanets.clone(),
                    models.clone(),
                )))
                .with_authority(gov),
        )
        .map_err(|e| anyhow::anyhow!("opening the wasm module cache: {e}"))?;
        let auth_module: Arc<dyn Module> = Arc::new(AuthModule { keeper: auth });
        let bank_module: Arc<dyn Module> = Arc::new(BankModule::new(bank.clone()));
        let apps: [Arc<dyn Module>; 3] = [
            Arc::new(DatanetModule {
                keeper: datanets.clone(),
            }),
            Arc::new(ModelsModule {
                keeper: models.clone(),
            }),
            Arc::new(WasmModule::new(wasm.clone())),
        ];
        // Genesis order (the SDK's): accounts and balances first, then staking and what
        // listens to it; the gentxs run after all of them.
        let mut modules = vec![
            auth_module.clone(),
            bank_module.clone(),
            distribution.clone(),
            staking_module.clone(),
            slashing.clone(),
            gov_module.clone(),
            mint.clone(),
        ];
        modules.extend(apps.iter().cloned());
        let mut begin_order = vec![
            mint.clone(),
            distribution.clone(),
            slashing.clone(),
            staking_module.clone(),
            auth_module.clone(),
            bank_module.clone(),
            gov_module.clone(),
        ];
        begin_order.extend(apps.iter().cloned());
        let mut end_order = vec![
            gov_module,
            staking_module,
            auth_module,
            bank_module,
            mint,
            distribution,
            slashing,
        ];
        end_order.extend(apps.iter().cloned());
        let mut routes = MsgRoutes::default();
        let mut queries = QueryRouter::new();
        for m in &modules {
            for url in m.msg_type_urls() {
                routes.0.insert(*url, m.clone());
            }
            m.register_queries(&mut queries);
        }
        // Proposals execute their messages through the same routes as transactions.
        gov_keeper.set_router(Arc::new(routes.clone()));
        Ok(Self {
            storage,
            auth,
            bank,
            datanets,
            models,
            wasm,
            staking,
            modules,
            begin_order,
            end_order,
            routes,
            queries,
            ante,
            sigs: SigCache::default(),
        })
    }

    fn route(&self, type_url: &str) -> Result<&Arc<dyn Module>, AbciError> {
        self.routes.module(type_url)
    }

    /// Stateless checks of every message; the distinct signers in order of appearance.
    pub fn signers(&self, tx: &DecodedTx) -> Result<Vec<Address>, AbciError> {
        let mut signers = Vec::new();
        for msg in &tx.body.messages {
            for s in self.route(&msg.type_url)?.validate_msg(msg)? {
                if !signers.contains(&s) {
                    signers.push(s);
                }
            }
        }
        Ok(signers)
    }

    /// Runs one transaction on `state`. The ante handler's writes (fee, sequence) are kept even
    /// when a message fails; a failing ante handler changes nothing. `run_msgs` is false in
    /// CheckTx, which (as in the SDK) runs only the ante handler.
    pub fn execute_tx(
        &self,
        state: &mut dyn KvWrite,
        block: &BlockInfo,
        bytes: &[u8],
        mode: ExecMode,
        run_msgs: bool,
    ) -> TxOutcome {
        match DecodedTx::decode(bytes) {
            Ok(tx) => self.execute_decoded(state, block, &tx, mode, run_msgs),
            Err(e) => TxOutcome::failed(e, 0, 0, Vec::new()),
        }
    }

    /// [`execute_tx`](Self::execute_tx) for a tx already decoded (FinalizeBlock decodes each tx
    /// once, for its signature pre-pass and for execution).
    pub fn execute_decoded(
        &self,
        state: &mut dyn KvWrite,
        block: &BlockInfo,
        tx: &DecodedTx,
        mode: ExecMode,
        run_msgs: bool,
    ) -> TxOutcome {
        if let Err(e) = ante::check_stateless(tx) {
            return TxOutcome::failed(e, tx.gas_limit(), 0, Vec::new());
        }
        let gas_wanted = if mode == ExecMode::Simulate {
            ante::MAX_GAS_WANTED
        } else {
            tx.gas_limit()
        };
        let signers = match self.signers(tx) {
            Ok(s) => s,
            Err(e) => return TxOutcome::failed(e, gas_wanted, 0, Vec::new()),
        };
        let mut gas = GasMeter::new(gas_wanted);
        let mut events = Vec::new();
        let mut tx_state = Overlay::new(&*state);
        let result = {
            let mut ctx = Ctx::new(block, mode, &mut tx_state, &mut gas, &mut events);
            match ante::run(
                &mut ctx, tx, &signers, &self.auth, &self.bank, &self.ante, &self.sigs,
            ) {
                Err(e) => Err((e, true)),
                Ok(()) if !run_msgs => Ok(Vec::new()),
                Ok(()) => ctx
                    .branch(|c| self.run_msgs(c, tx, &signers))
                    .map_err(|e| (e, false)),
            }
        };
        let used = gas.used();
        match result {
            Err((e, true)) => TxOutcome::failed(e, gas_wanted, used, Vec::new()),
            Err((e, false)) => {
                // Keep the fee and the sequence increment, drop the messages' writes.
                let changes = tx_state.into_changes();
                apply(state, changes);
                TxOutcome::failed(e, gas_wanted, used, events)
            }
            Ok(data) => {
                let changes = tx_state.into_changes();
                apply(state, changes);
                TxOutcome {
                    data,
                    gas_wanted,
                    gas_used: used,
                    events,
                    ..Default::default()
                }
            }
        }
    }

    fn run_msgs(
        &self,
        ctx: &mut Ctx<'_>,
        tx: &DecodedTx,
        signers: &[Address],
    ) -> Result<Vec<u8>, AbciError> {
        let mut responses = Vec::new();
        for (i, msg) in tx.body.messages.iter().enumerate() {
            let module = self.route(&msg.type_url)?;
            ctx.emit(
                Event::new("message")
                    .attr("action", msg.type_url.clone())
                    .attr(
                        "sender",
                        signers.first().map(|s| s.to_bech32()).unwrap_or_default(),
                    )
                    .attr("module", module.name())
                    .attr("msg_index", i.to_string()),
            );
            let resp = module
                .deliver(ctx, msg)
                .map_err(|e| e.context(format!("failed to execute message; message index: {i}")))?;
            responses.extend(resp.response);
        }
        Ok(TxMsgData {
            msg_responses: responses,
            ..Default::default()
        }
        .encode_to_vec())
    }

    /// Genesis: every module's `init_genesis` in order, then the gentxs (each a signed
    /// `MsgCreateValidator` run through the ante pipeline and the router, as the Cosmos SDK's
    /// genutil does), then the first validator set, which `InitChain` returns to CometBFT.
    pub fn genesis_changes(
        &self,
        block: &BlockInfo,
        app_state: &serde_json::Value,
    ) -> Result<(Changes, Vec<ValidatorUpdate>), AbciError> {
        let mut state = Overlay::new(EmptyState);
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        {
            let mut ctx = Ctx::new(block, ExecMode::Genesis, &mut state, &mut gas, &mut events);
            for m in &self.modules {
                let section = app_state
                    .get(m.name())
                    .cloned()
                    .unwrap_or(serde_json::Value::Null);
                m.init_genesis(&mut ctx, &section)
                    .map_err(|e| e.context(format!("genesis of module {}", m.name())))?;
            }
            // Module accounts the chain always has.
            self.auth.module_account(&mut ctx, FEE_COLLECTOR, &[])?;
            self.auth
                .module_account(&mut ctx, GOV_MODULE, &["burner"])?;
        }
        for (i, bytes) in crate::gentx::gentxs_of(app_state)?.iter().enumerate() {
            let outcome = self.execute_tx(&mut state, block, bytes, ExecMode::Genesis, true);
            if !outcome.is_ok() {
                return Err(SdkError::InvalidRequest(format!(
                    "gentx {i}: {} (codespace {}, code {})",
                    outcome.log, outcome.codespace, outcome.code
                ))
                .into());
            }
        }
        let mut ctx = Ctx::new(block, ExecMode::Genesis, &mut state, &mut gas, &mut events);
        let validators = self.staking.keeper.init_chain_validators(&mut ctx, &[])?;
        Ok((state.into_changes(), validators))
    }

    pub fn account(
        &self,
        state: &dyn KvRead,
        addr: &Address,
    ) -> Result<Option<Account>, AbciError> {
        self.auth.account_at(state, addr)
    }
}

fn apply(state: &mut dyn KvWrite, changes: Changes) {
    for (k, v) in changes {
        match v {
            Some(v) => state.set(k, v),
            None => state.delete(k),
        }
    }
}

/// Chain metadata kept beside the state (not in the app hash).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainMeta {
    pub chain_id: String,
    pub initial_height: u64,
    pub height: u64,
    pub block_time: (i64, u32),
}

impl ChainMeta {
    /// The block after the last committed one, as CheckTx and Simulate see it (the last block's
    /// time: the next one's is not known yet).
    pub fn next_block(&self) -> BlockInfo {
        BlockInfo {
            height: self.height + 1,
            time_seconds: self.block_time.0,
            time_nanos: self.block_time.1,
            chain_id: self.chain_id.clone(),
            ..Default::default()
        }
    }

    pub fn load(snapshot: &Snapshot) -> Result<Option<Self>, AbciError> {
        let Some(bytes) = snapshot.get(META_KEY)? else {
            return Ok(None);
        };
        Self::decode(&bytes).map(Some)
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.chain_id.len());
        out.extend(self.height.to_be_bytes());
        out.extend(self.initial_height.to_be_bytes());
        out.extend(self.block_time.0.to_be_bytes());
        out.extend(self.block_time.1.to_be_bytes());
        out.extend(self.chain_id.as_bytes());
        out
    }

    fn decode(b: &[u8]) -> Result<Self, AbciError> {
        let corrupt = || AbciError::from(SdkError::Internal("corrupt chain metadata".into()));
        if b.len() < 28 {
            return Err(corrupt());
        }
        let u64_at = |i: usize| {
            b[i..i + 8]
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| corrupt())
        };
        Ok(Self {
            height: u64_at(0)?,
            initial_height: u64_at(8)?,
            block_time: (
                b[16..24]
                    .try_into()
                    .map(i64::from_be_bytes)
                    .map_err(|_| corrupt())?,
                b[24..28]
                    .try_into()
                    .map(u32::from_be_bytes)
                    .map_err(|_| corrupt())?,
            ),
            chain_id: String::from_utf8(b[28..].to_vec()).map_err(|_| corrupt())?,
        })
    }
}

/// What FinalizeBlock returns: each tx's outcome, the block-level events, the app hash.
/// What `FinalizeBlock` is given besides the txs.
#[derive(Debug, Clone, Default)]
pub struct BlockInput {
    pub height: u64,
    pub time: (i64, u32),
    /// Consensus address of the proposer.
    pub proposer: Option<Address>,
    /// `decided_last_commit`: who signed the previous block.
    pub last_commit: Vec<VoteInfo>,
    pub misbehavior: Vec<Misbehavior>,
}

impl BlockInput {
    /// A block with no commit information (in-process chains without consensus).
    pub fn at(height: u64, time: (i64, u32)) -> Self {
        Self {
            height,
            time,
            ..Default::default()
        }
    }
}

/// What `FinalizeBlock` answers.
#[derive(Debug, Clone, Default)]
pub struct BlockResult {
    pub outcomes: Vec<TxOutcome>,
    /// Begin- and end-block events.
    pub events: Vec<Event>,
    pub app_hash: [u8; 32],
    /// Validator set changes for CometBFT (from staking's end block).
    pub validator_updates: Vec<ValidatorUpdate>,
}

/// A finalized block waiting for Commit.
struct PendingBlock {
    meta: ChainMeta,
    prepared: PreparedCommit,
}

/// The mempool's view: committed state plus the effects of the txs CheckTx accepted since.
pub struct CheckState {
    pub state: Overlay<Snapshot>,
    pub block: BlockInfo,
}

/// The consensus-side application: owns the block in progress.
pub struct App {
    pub core: Arc<AppCore>,
    meta: ChainMeta,
    /// Genesis writes, applied under block `initial_height` (nothing is committed at InitChain,
    /// so a crash before the first block simply repeats InitChain).
    genesis: Option<Changes>,
    pending: Option<PendingBlock>,
    pub check: Arc<Mutex<CheckState>>,
    /// Blocks CometBFT must keep (0: keep everything).
    pub min_retain_blocks: u64,
}

impl App {
    pub fn new(core: Arc<AppCore>) -> Result<Self, AbciError> {
        let snapshot = core.storage.latest_snapshot();
        let meta = ChainMeta::load(&snapshot)?.unwrap_or_default();
        let check = CheckState {
            state: Overlay::new(snapshot),
            block: BlockInfo::default(),
        };
        let app = Self {
            core,
            meta,
            genesis: None,
            pending: None,
            check: Arc::new(Mutex::new(check)),
            min_retain_blocks: 0,
        };
        app.reset_check_state();
        Ok(app)
    }

    pub fn meta(&self) -> &ChainMeta {
        &self.meta
    }

    /// The last committed height and app hash (what `Info` reports).
    pub fn last_commit(&self) -> Result<(u64, [u8; 32]), AbciError> {
        let snapshot = self.core.storage.latest_snapshot();
        match ChainMeta::load(&snapshot)? {
            None => Ok((0, [0; 32])),
            Some(m) => Ok((m.height, snapshot.root_hash()?)),
        }
    }

    /// InitChain: runs genesis and returns the app hash of the genesis state.
    pub fn init_chain(
        &mut self,
        chain_id: &str,
        initial_height: u64,
        time: (i64, u32),
        app_state: &[u8],
    ) -> Result<([u8; 32], Vec<ValidatorUpdate>), AbciError> {
        if self.core.storage.latest_version().is_some() {
            return Err(SdkError::InvalidRequest(
                "InitChain on a store that already has committed state".into(),
            )
            .into());
        }
        let app_state: serde_json::Value = if app_state.is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(app_state)
                .map_err(|e| SdkError::InvalidRequest(format!("genesis app_state: {e}")))?
        };
        let initial_height = initial_height.max(1);
        let block = BlockInfo {
            height: initial_height,
            time_seconds: time.0,
            time_nanos: time.1,
            chain_id: chain_id.to_string(),
            ..Default::default()
        };
        let (changes, validators) = self.core.genesis_changes(&block, &app_state)?;
        let base = self.core.storage.latest_snapshot();
        let hash = self
            .core
            .storage
            .prepare(&base, changes.clone(), Vec::new())?
            .root;
        self.meta = ChainMeta {
            chain_id: chain_id.to_string(),
            initial_height,
            height: initial_height - 1,
            block_time: time,
        };
        self.genesis = Some(changes);
        self.reset_check_state();
        Ok((hash, validators))
    }

    /// FinalizeBlock: executes every tx in order and returns their outcomes and the app hash.
    pub fn finalize_block(
        &mut self,
        input: BlockInput,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<BlockResult, AbciError> {
        let BlockInput {
            height,
            time,
            proposer,
            last_commit,
            misbehavior,
        } = input;
        let expected = self.meta.height + 1;
        if height != expected {
            return Err(SdkError::InvalidRequest(format!(
                "FinalizeBlock for height {height}, expected {expected}"
            ))
            .into());
        }
        let base = self.core.storage.latest_snapshot();
        let mut state = Overlay::new(&base);
        if let Some(genesis) = &self.genesis {
            state.apply(genesis.clone());
        }
        let block = BlockInfo {
            height,
            time_seconds: time.0,
            time_nanos: time.1,
            chain_id: self.meta.chain_id.clone(),
            proposer,
            last_commit,
            misbehavior,
        };

        let decoded: Vec<Result<DecodedTx, AbciError>> = txs
            .iter()
            .map(|bytes| DecodedTx::decode(bytes.as_ref()))
            .collect();
        self.preverify_signatures(&state, &decoded);

        let mut block_events = Vec::new();
        let core = self.core.clone();
        self.run_hooks(
            &core.begin_order,
            &block,
            &mut state,
            &mut block_events,
            |m, ctx| m.begin_block(ctx),
        )?;
        let outcomes = decoded
            .iter()
            .map(|tx| match tx {
                Ok(tx) => {
                    self.core
                        .execute_decoded(&mut state, &block, tx, ExecMode::Finalize, true)
                }
                Err(e) => TxOutcome::failed(e.clone(), 0, 0, Vec::new()),
            })
            .collect();
        self.run_hooks(
            &core.end_order,
            &block,
            &mut state,
            &mut block_events,
            |m, ctx| m.end_block(ctx),
        )?;
        let meta = ChainMeta {
            height,
            block_time: time,
            ..self.meta.clone()
        };
        state.set(META_KEY.to_string(), meta.encode());
        let changes = state.into_changes();
        let prepared = self.core.storage.prepare(&base, changes, Vec::new())?;
        let hash = prepared.root;
        self.pending = Some(PendingBlock { meta, prepared });
        Ok(BlockResult {
            outcomes,
            events: block_events,
            app_hash: hash,
            validator_updates: self.core.staking.take_validator_updates(),
        })
    }

    /// Runs a begin/end-block hook of the given modules, in that order, with unlimited gas.
    fn run_hooks(
        &self,
        modules: &[Arc<dyn Module>],
        block: &BlockInfo,
        state: &mut dyn KvWrite,
        events: &mut Vec<Event>,
        hook: impl Fn(&dyn Module, &mut Ctx<'_>) -> Result<(), AbciError>,
    ) -> Result<(), AbciError> {
        let mut gas = GasMeter::infinite();
        let mut ctx = Ctx::new(block, ExecMode::Finalize, state, &mut gas, events);
        for m in modules {
            hook(m.as_ref(), &mut ctx)?;
        }
        Ok(())
    }

    /// Verifies the block's signatures on all cores before the sequential pass, which then finds
    /// them in the signature cache. Only signers whose account already exists at the start of the
    /// block are pre-checked; anything else is verified in the sequential pass.
    fn preverify_signatures(&self, state: &dyn KvRead, txs: &[Result<DecodedTx, AbciError>]) {
        use rayon::prelude::*;
        let chain_id = &self.meta.chain_id;
        let jobs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = txs
            .iter()
            .filter_map(|tx| tx.as_ref().ok())
            .filter_map(|tx| {
                let signers = self.core.signers(tx).ok()?;
                let mut out = Vec::new();
                for (i, signer) in signers.iter().enumerate() {
                    let account = self.core.auth.account_at(state, signer).ok()??;
                    let pubkey = match account.pub_key {
                        Some(pk) => pk,
                        None => {
                            let any = tx.auth_info.signer_infos.get(i)?.public_key.as_ref()?;
                            cosmrs::proto::cosmos::crypto::secp256k1::PubKey::decode(
                                any.value.as_slice(),
                            )
                            .ok()?
                            .key
                        }
                    };
                    out.push((
                        pubkey,
                        tx.sign_bytes(chain_id, account.account_number),
                        tx.signatures.get(i)?.clone(),
                    ));
                }
                Some(out)
            })
            .flatten()
            .collect();
        let sigs = &self.core.sigs;
        jobs.par_iter().for_each(|(pk, msg, sig)| {
            sigs.verify(pk, msg, sig);
        });
    }

    /// Commit: writes the finalized block in one batch. Returns the height CometBFT may prune below.
    pub fn commit(&mut self) -> Result<u64, AbciError> {
        let pending = self
            .pending
            .take()
            .ok_or_else(|| SdkError::InvalidRequest("Commit without a finalized block".into()))?;
        self.core.storage.commit_prepared(pending.prepared)?;
        self.meta = pending.meta;
        self.genesis = None;
        self.reset_check_state();
        let retain = if self.min_retain_blocks == 0 {
            0
        } else {
            self.meta.height.saturating_sub(self.min_retain_blocks)
        };
        Ok(retain)
    }

    fn reset_check_state(&self) {
        let mut state = Overlay::new(self.core.storage.latest_snapshot());
        if let Some(genesis) = &self.genesis {
            state.apply(genesis.clone());
        }
        *self.check.lock() = CheckState {
            state,
            block: self.meta.next_block(),
        };
    }
}

/// CheckTx against the mempool state; ReCheck re-runs a tx after a block was committed.
pub fn check_tx(
    core: &AppCore,
    check: &Mutex<CheckState>,
    bytes: &[u8],
    recheck: bool,
) -> TxOutcome {
    let mut guard = check.lock();
    let CheckState { state, block } = &mut *guard;
    let block = block.clone();
    let mode = if recheck {
        ExecMode::ReCheck
    } else {
        ExecMode::Check
    };
    core.execute_tx(state, &block, bytes, mode, false)
}

/// Simulate: runs the tx (ante and messages) on a throw-away branch of the latest state.
pub fn simulate(core: &AppCore, snapshot: &Snapshot, meta: &ChainMeta, bytes: &[u8]) -> TxOutcome {
    let mut state = Overlay::new(snapshot);
    core.execute_tx(
        &mut state,
        &meta.next_block(),
        bytes,
        ExecMode::Simulate,
        true,
    )
}
