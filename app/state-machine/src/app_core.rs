//! The OpenLedger state machine: modules in a fixed order, the message router, transaction
//! execution and the block lifecycle (InitChain → FinalizeBlock → Commit), independent of how
//! ABCI reaches it (the ABCI server, benchmarks and tests drive it directly).

use std::sync::Arc;

use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use openledger_attribution::{AttributionKeeper, AttributionModule, LicenceAnswer, Licences};
use openledger_auth::{Account, AuthKeeper, AuthModule, FEE_COLLECTOR, GOV_MODULE};
use openledger_bank::{AccountKeeper, BankKeeper, BankModule};
use openledger_datanet::{DatanetKeeper, DatanetModule};
use openledger_distribution::{DistributionKeeper, DistributionModule};
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::store::{Changes, EmptyState, KvRead, KvWrite, Overlay, Storage};
use openledger_framework::{
    AbciError, Address, BlockInfo, Ctx, Event, GasMeter, Module, MsgServiceRouter, QueryRouter,
};
use openledger_gov::{GovKeeper, GovModule, MsgRouter};
use openledger_ibc::{IbcKeeper, IbcModule, TransferModule};
use openledger_mint::{MintKeeper, MintModule};
use openledger_models::{ModelsKeeper, ModelsModule};
use openledger_slashing::{SlashingKeeper, SlashingModule};
use openledger_staking::{
    BONDED_POOL, MultiStakingHooks, NOT_BONDED_POOL, StakingKeeper, StakingModule, ValidatorUpdate,
};
use openledger_wasm::{ContractAccounts, WasmConfig, WasmDeps, WasmKeeper, WasmModule};
use prost::Message;

use crate::ante::{self, AnteConfig, DecodedTx, SigCache};
use crate::bindings::OpenLedgerBindings;

/// Module store prefixes, which are also the substores of the multistore: one per module, its
/// name (the app checks, when it is built, that these are exactly its modules' names).
pub const STORE_PREFIXES: &[&str] = &[
    openledger_auth::MODULE_NAME,
    openledger_bank::MODULE_NAME,
    openledger_distribution::MODULE_NAME,
    openledger_staking::MODULE_NAME,
    openledger_slashing::MODULE_NAME,
    openledger_gov::MODULE_NAME,
    openledger_mint::MODULE_NAME,
    openledger_datanet::MODULE_NAME,
    openledger_models::MODULE_NAME,
    openledger_wasm::MODULE_NAME,
    openledger_attribution::MODULE_NAME,
    openledger_ibc::MODULE_NAME,
    openledger_ibc::TRANSFER_MODULE,
];

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
    pub(crate) fn failed(
        err: AbciError,
        gas_wanted: u64,
        gas_used: u64,
        events: Vec<Event>,
    ) -> Self {
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
            openledger_mint::MODULE_NAME => &["minter"],
            // ICS-20 mints vouchers of coins arriving and burns them when they go back.
            openledger_ibc::TRANSFER_MODULE => &["minter", "burner"],
            _ => &[],
        };
        Ok(self.0.module_account(ctx, name, perms)?.address)
    }
}

/// The app's message router, as gov sees it: how a passed proposal's messages are checked and
/// executed, through the same routes as transactions.
#[derive(Clone)]
struct ProposalRoutes(Arc<MsgServiceRouter>);

impl MsgRouter for ProposalRoutes {
    fn signers(&self, msg: &cosmrs::Any) -> Result<Vec<Address>, AbciError> {
        self.0.validate(msg)
    }

    fn deliver(
        &self,
        ctx: &mut Ctx<'_>,
        msg: &cosmrs::Any,
    ) -> Result<openledger_framework::MsgResponse, AbciError> {
        self.0.deliver(ctx, msg)
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

/// Wasm seen through attribution's narrow `Licences` trait: the adapter's licence contract is
/// asked `{"can_infer":{"adapter_id","user"}}` (its answer: `allowed`, `price` in its denom,
/// which `{"config":{}}` gives).
struct WasmLicences(WasmKeeper);

impl Licences for WasmLicences {
    fn can_infer(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &str,
        adapter_id: u64,
        user: &Address,
    ) -> Result<LicenceAnswer, AbciError> {
        let licence_error = |reason: String| {
            AbciError::from(openledger_attribution::AttributionError::Licence {
                contract: contract.to_string(),
                reason,
            })
        };
        let addr = Address::from_bech32(contract)
            .map_err(|e| licence_error(format!("invalid address: {e}")))?;
        let ask =
            |ctx: &mut Ctx<'_>, q: serde_json::Value| -> Result<serde_json::Value, AbciError> {
                let answer = self.0.query_smart(ctx, &addr, q.to_string().as_bytes())?;
                serde_json::from_slice(&answer).map_err(|e| licence_error(format!("answer: {e}")))
            };
        let can = ask(
            ctx,
            serde_json::json!({"can_infer": {"adapter_id": adapter_id, "user": user.to_bech32()}}),
        )?;
        let config = ask(ctx, serde_json::json!({"config": {}}))?;
        let allowed = can["allowed"]
            .as_bool()
            .ok_or_else(|| licence_error("CanInfer answered without `allowed`".into()))?;
        let amount: u128 = can["price"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| licence_error("CanInfer answered without a `price`".into()))?;
        let denom = config["denom"].as_str().unwrap_or("uopen").to_string();
        Ok(LicenceAnswer {
            allowed,
            price: openledger_framework::Coin::new(amount, denom),
        })
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
    pub attribution: AttributionKeeper,
    /// Every module, in genesis order.
    pub modules: Vec<Arc<dyn Module>>,
    /// The order of begin block (mint, distribution, slashing, staking: the Cosmos SDK's) and
    /// of end block (gov before staking, so an executed proposal's effect on the validator set
    /// reaches CometBFT in the same block).
    pub(crate) begin_order: Vec<Arc<dyn Module>>,
    pub(crate) end_order: Vec<Arc<dyn Module>>,
    routes: Arc<MsgServiceRouter>,
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
                openledger_mint::MODULE_NAME,
                openledger_attribution::MODULE_ACCOUNT,
                openledger_ibc::TRANSFER_MODULE,
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
        let attribution = AttributionKeeper::new(
            bank.clone(),
            models.clone(),
            datanets.clone(),
            staking.keeper.clone(),
            gov,
        );
        let wasm = WasmKeeper::new(
            WasmConfig::new(wasm_cache),
            WasmDeps::new(Arc::new(bank.clone()))
                .with_accounts(Arc::new(AuthForWasm(auth)))
                .with_bindings(Arc::new(OpenLedgerBindings::new(
                    datanets.clone(),
                    models.clone(),
                    attribution.clone(),
                )))
                .with_authority(gov),
        )
        .map_err(|e| anyhow::anyhow!("opening the wasm module cache: {e}"))?;
        // Adapters' licence contracts price and allow inference requests.
        attribution.set_licences(Arc::new(WasmLicences(wasm.clone())));
        let auth_module: Arc<dyn Module> = Arc::new(AuthModule { keeper: auth });
        let bank_module: Arc<dyn Module> = Arc::new(BankModule::new(bank.clone()));
        let ibc = IbcKeeper::new(bank.clone(), staking.keeper.clone(), gov);
        let apps: [Arc<dyn Module>; 6] = [
            Arc::new(DatanetModule {
                keeper: datanets.clone(),
            }),
            Arc::new(ModelsModule {
                keeper: models.clone(),
            }),
            Arc::new(WasmModule::new(wasm.clone())),
            Arc::new(IbcModule {
                keeper: ibc.clone(),
            }),
            Arc::new(TransferModule { keeper: ibc }),
            // Last: a request's fee is escrowed by the messages of the block, and its refund
            // at end block sees them.
            Arc::new(AttributionModule {
                keeper: attribution.clone(),
            }),
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
        // Each module's name is its store prefix: the store must be opened with exactly these.
        let names: std::collections::BTreeSet<&str> = modules.iter().map(|m| m.name()).collect();
        let prefixes: std::collections::BTreeSet<&str> = STORE_PREFIXES.iter().copied().collect();
        if names != prefixes {
            anyhow::bail!("STORE_PREFIXES {prefixes:?} are not the modules' names {names:?}");
        }
        // A message type routed twice panics here, when the app is wired.
        let routes = Arc::new(MsgServiceRouter::of(modules.iter().map(|m| m.as_ref())));
        let mut queries = QueryRouter::new();
        for m in &modules {
            m.register_queries(&mut queries);
        }
        // Proposals execute their messages through the same routes as transactions.
        gov_keeper.set_router(Arc::new(ProposalRoutes(routes.clone())));
        Ok(Self {
            storage,
            auth,
            bank,
            datanets,
            models,
            wasm,
            staking,
            attribution,
            modules,
            begin_order,
            end_order,
            routes,
            queries,
            ante,
            sigs: SigCache::default(),
        })
    }

    /// Stateless checks of every message; the distinct signers in order of appearance.
    pub fn signers(&self, tx: &DecodedTx) -> Result<Vec<Address>, AbciError> {
        let mut signers = Vec::new();
        for msg in &tx.body.messages {
            for s in self.routes.validate(msg)? {
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
        if let Err(e) = ante::check_stateless(tx, mode) {
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
            let module = self.routes.module(&msg.type_url)?;
            ctx.emit(
                Event::new("message")
                    .attr("action", msg.type_url.clone())
                    .attr(
                        "sender",
                        signers.first().map(|s| s.to_bech32()).unwrap_or_default(),
                    )
                    .attr("module", module)
                    .attr("msg_index", i.to_string()),
            );
            let resp = self
                .routes
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
        for (i, bytes) in crate::genutil::gentxs_of(app_state)?.iter().enumerate() {
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
        mut state: &dyn KvRead,
        addr: &Address,
    ) -> Result<Option<Account>, AbciError> {
        self.auth.account(&mut state, addr)
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
