//! Gas and wall time of the model-licence contract, per call, on the chain's real state (RocksDB,
//! the contract stored and instantiated by transactions):
//!
//! - `set_terms` (an execute: a custom `adapter` query to the models module, then a write) and
//!   `can_infer` (a smart query);
//! - `warm`: the keeper's in-memory module cache holds the compiled contract (the steady state
//!   of a running node);
//! - `cold_disk`: a fresh keeper on the same disk cache (a restarted node: the module is loaded
//!   from `<home>/data/wasm`, not recompiled);
//! - `cold_compile`: a fresh keeper on an empty cache directory (the module is compiled from
//!   the bytecode in state, as after the cache was deleted).
//!
//! Gas is printed once per message (it is deterministic); criterion measures the wall time.
//! Needs `make contracts` (wasm-contracts/artifacts/model_license.wasm).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cosmrs::proto::cosmwasm::wasm::v1 as w;
use criterion::{Criterion, criterion_group, criterion_main};
use openledger_framework::context::ExecMode;
use openledger_framework::store::{KvRead, KvWrite, Overlay};
use openledger_framework::{Address, Coins, Ctx, GasMeter, pack_any};
use openledger_proto::openledger::models::v1::Adapter;
use openledger_state_machine::AppCore;
use openledger_state_machine::ante::AnteConfig;
use openledger_state_machine::bindings::OpenLedgerBindings;
use openledger_wasm::{WasmConfig, WasmDeps, WasmKeeper};
use openledgerd::testkit::TestChain;
use prost::Message;

const GAS_LIMIT: u64 = 100_000_000;

fn keeper_on(core: &AppCore, cache: &Path) -> WasmKeeper {
    WasmKeeper::new(
        WasmConfig::new(cache),
        WasmDeps::new(Arc::new(core.bank.clone()))
            .with_bindings(Arc::new(OpenLedgerBindings::new(
                core.datanets.clone(),
                core.models.clone(),
                core.attribution.clone(),
            )))
            .with_authority(Address::module("gov")),
    )
    .expect("keeper")
}

/// One call on a throwaway branch of `state`; the gas it used.
fn call(
    keeper: &WasmKeeper,
    state: &dyn KvRead,
    owner: &Address,
    contract: &Address,
    msg: &Msg,
) -> u64 {
    let block = openledger_framework::BlockInfo {
        height: 10,
        time_seconds: 1_700_000_010,
        time_nanos: 0,
        chain_id: "openledger-test-1".into(),
        ..Default::default()
    };
    let mut branch = Overlay::new(state);
    let mut gas = GasMeter::new(GAS_LIMIT);
    let mut events = Vec::new();
    let mut ctx = Ctx::new(
        &block,
        ExecMode::Finalize,
        &mut branch,
        &mut gas,
        &mut events,
    );
    match msg {
        Msg::Execute(m) => {
            keeper
                .execute(&mut ctx, owner, contract, m, &Coins::default())
                .expect("execute");
        }
        Msg::Query(q) => {
            keeper.query_smart(&mut ctx, contract, q).expect("query");
        }
    }
    gas.used()
}

enum Msg {
    Execute(Vec<u8>),
    Query(Vec<u8>),
}

fn bench(c: &mut Criterion) {
    let artifact = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wasm-contracts/artifacts/model_license.wasm");
    let Ok(code) = std::fs::read(&artifact) else {
        eprintln!(
            "SKIPPED: {} is missing: run `make contracts`",
            artifact.display()
        );
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut chain = TestChain::new(
        &rt,
        &dir.path().join("app.db"),
        2,
        1_000_000_000_000,
        AnteConfig::default(),
    )
    .expect("chain");
    let owner = chain.accounts[0].address;
    let store = pack_any(&w::MsgStoreCode {
        sender: owner.to_bech32(),
        wasm_byte_code: code,
        instantiate_permission: None,
    });
    let tx = chain.tx(0, vec![store], GAS_LIMIT);
    let out = chain.block(&[tx]);
    assert!(out[0].is_ok(), "{:?}", out[0]);
    let instantiate = pack_any(&w::MsgInstantiateContract {
        sender: owner.to_bech32(),
        admin: String::new(),
        code_id: 1,
        label: "licence".into(),
        msg: br#"{"denom":null}"#.to_vec(),
        funds: vec![],
    });
    let tx = chain.tx(0, vec![instantiate], GAS_LIMIT);
    let out = chain.block(&[tx]);
    assert!(out[0].is_ok(), "{:?}", out[0]);
    let core = chain.app.core.clone();
    let snapshot = core.storage.latest_snapshot();
    let contract = core
        .wasm
        .contracts_by_code(&mut &snapshot, 1)
        .expect("contracts")[0];

    // Adapter 1, owned by account 0 and licensed by the contract, as the models module stores
    // it (publishing a real one takes a Datanet version and weights; the contract only reads
    // its owner and licence).
    let mut state = Overlay::new(&snapshot as &dyn KvRead);
    let adapter = Adapter {
        id: 1,
        owner: owner.to_bech32(),
        base_model_id: 1,
        datanet_id: 1,
        datanet_version: 1,
        license_contract: contract.to_bech32(),
        ..Default::default()
    };
    state.set(openledger_models::keys::adapter(1), adapter.encode_to_vec());
    let set_terms = Msg::Execute(
        br#"{"set_terms":{"adapter_id":1,"terms":{"price_per_inference":"1000","subscription":{"price":"40000","duration_blocks":1000},"allow_list_only":false,"contributor_share_bps":2500}}}"#.to_vec(),
    );
    // can_infer needs terms: set them for real in the base state.
    {
        let block = openledger_framework::BlockInfo::default();
        let mut gas = GasMeter::new(GAS_LIMIT);
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &block,
            ExecMode::Finalize,
            &mut state,
            &mut gas,
            &mut events,
        );
        core.wasm
            .execute(
                &mut ctx,
                &owner,
                &contract,
                match &set_terms {
                    Msg::Execute(m) => m,
                    Msg::Query(q) => q,
                },
                &Coins::default(),
            )
            .expect("set terms");
    }
    let can_infer = Msg::Query(
        format!(
            r#"{{"can_infer":{{"adapter_id":1,"user":"{}"}}}}"#,
            chain.accounts[1].address.to_bech32()
        )
        .into_bytes(),
    );

    let disk_cache = dir.path().join("app.wasm");
    let mut g = c.benchmark_group("wasm_licence");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for (name, msg) in [("set_terms", &set_terms), ("can_infer", &can_infer)] {
        let gas = call(&core.wasm, &state, &owner, &contract, msg);
        println!("wasm_licence/{name}: {gas} gas");
        g.bench_function(format!("{name}/warm"), |b| {
            b.iter(|| call(&core.wasm, &state, &owner, &contract, msg))
        });
        g.bench_function(format!("{name}/cold_disk"), |b| {
            b.iter(|| {
                let keeper = keeper_on(&core, &disk_cache);
                call(&keeper, &state, &owner, &contract, msg)
            })
        });
        g.bench_function(format!("{name}/cold_compile"), |b| {
            b.iter(|| {
                let empty = tempfile::tempdir().expect("tempdir");
                let keeper = keeper_on(&core, empty.path());
                let gas = call(&keeper, &state, &owner, &contract, msg);
                drop(keeper);
                gas
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: the plotters backend needs system fonts that CI machines may not have.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
