//! A small chain for the host's tests: the real bank keeper over an in-memory block state,
//! transactions run in branches that are merged only when they succeed (as the app does), and
//! the compiled contracts from `wasm-contracts/artifacts/`.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use openledger_bank::{AccountKeeper, BankKeeper};
use openledger_framework::context::ExecMode;
use openledger_framework::store::{Changes, EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Coin, Coins, Ctx, Event, GasMeter, KvRead, QueryRouter,
};
use openledger_wasm::{WasmConfig, WasmDeps, WasmKeeper, WasmModule};

/// Module accounts without auth: the address is the module's.
pub struct Accounts;

impl AccountKeeper for Accounts {
    fn ensure_account(&self, _: &mut Ctx<'_>, _: Address) -> Result<(), AbciError> {
        Ok(())
    }
    fn module_address(&self, _: &mut Ctx<'_>, name: &str) -> Result<Address, AbciError> {
        Ok(Address::module(name))
    }
}

/// A compiled contract from `wasm-contracts/artifacts/`. Under CI a missing artifact fails the
/// test; locally it is skipped with a warning (build them with `make contracts`).
pub fn artifact(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../wasm-contracts/artifacts")
        .join(format!("{name}.wasm"));
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{}: {e}: run `make contracts` first", path.display());
            }
            eprintln!(
                "WARNING: skipping: {} is missing ({e}); run `make contracts`",
                path.display()
            );
            None
        }
    }
}

pub fn addr(n: u8) -> Address {
    Address::from([n; 20])
}

pub fn coins(amount: u128, denom: &str) -> Coins {
    Coins::from_vec(vec![Coin::new(amount, denom)]).unwrap()
}

/// What one transaction did.
pub struct TxResult<R> {
    pub result: Result<R, AbciError>,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

pub struct Chain {
    pub state: Overlay<EmptyState>,
    pub keeper: WasmKeeper,
    pub bank: BankKeeper,
    pub block: BlockInfo,
    pub queries: QueryRouter,
    pub cache_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Chain {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wasm");
        let mut chain = Self::with_cache(&dir);
        chain._tmp = Some(tmp);
        chain
    }

    /// A chain whose VM cache lives in `dir` (which the caller keeps).
    pub fn with_cache(dir: &Path) -> Self {
        let bank = BankKeeper::new(
            Arc::new(Accounts),
            &["fee_collector"],
            Address::module("gov"),
        );
        let keeper =
            WasmKeeper::new(WasmConfig::new(dir), WasmDeps::new(Arc::new(bank.clone()))).unwrap();
        let mut queries = QueryRouter::new();
        openledger_framework::Module::register_queries(
            &WasmModule::new(keeper.clone()),
            &mut queries,
        );
        Self {
            state: Overlay::new(EmptyState),
            keeper,
            bank,
            block: BlockInfo {
                height: 1,
                time_seconds: 1_700_000_000,
                time_nanos: 0,
                chain_id: "openledger-test-1".into(),
                ..Default::default()
            },
            queries,
            cache_dir: dir.to_path_buf(),
            _tmp: None,
        }
    }

    /// Runs `f` as one transaction with `gas_limit`: its writes are kept only on success.
    pub fn tx<R>(
        &mut self,
        gas_limit: u64,
        f: impl FnOnce(&WasmKeeper, &mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> TxResult<R> {
        let mut gas = GasMeter::new(gas_limit);
        let mut events = Vec::new();
        let (result, changes) = {
            let mut tx_state = Overlay::new(&self.state);
            let mut ctx = Ctx::new(
                &self.block,
                ExecMode::Finalize,
                &mut tx_state,
                &mut gas,
                &mut events,
            );
            let result = f(&self.keeper, &mut ctx);
            (result, tx_state.into_changes())
        };
        if result.is_ok() {
            self.state.apply(changes);
        } else {
            events.clear();
        }
        TxResult {
            result,
            gas_used: gas.used(),
            events,
        }
    }

    /// Runs `f` with plenty of gas and expects success.
    pub fn ok<R>(
        &mut self,
        f: impl FnOnce(&WasmKeeper, &mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> R {
        let r = self.tx(50_000_000, f);
        match r.result {
            Ok(v) => v,
            Err(e) => panic!(
                "transaction failed: {} {}: {}",
                e.codespace, e.code, e.message
            ),
        }
    }

    pub fn fund(&mut self, to: &Address, amount: Coins) {
        let bank = self.bank.clone();
        self.ok(|_, ctx| {
            bank.mint(ctx, "mint", &amount)?;
            bank.send_from_module(ctx, "mint", to, &amount)
        });
    }

    pub fn balance(&self, who: &Address, denom: &str) -> u128 {
        self.bank.balance(&mut &self.state, who, denom).unwrap()
    }

    pub fn changes(&self) -> &Changes {
        self.state.changes()
    }

    pub fn state(&self) -> &dyn KvRead {
        &self.state
    }

    pub fn next_block(&mut self) {
        self.block.height += 1;
        self.block.time_seconds += 5;
    }
}

pub fn event<'e>(events: &'e [Event], kind: &str) -> Option<&'e Event> {
    events.iter().find(|e| e.kind == kind)
}

pub fn attr<'e>(event: &'e Event, key: &str) -> Option<&'e str> {
    event
        .attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
