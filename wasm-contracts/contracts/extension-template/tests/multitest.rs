//! The template in a cw-multi-test app whose custom module plays the chain's side of the
//! bindings: custom queries answered from a mock chain, `RequestInference` escrowing the fee.

use cosmwasm_std::{Addr, Coin, Uint128, coins};
use cw_multi_test::{ContractWrapper, Executor};
use extension_template::contract::{execute, instantiate, query};
use extension_template::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, SnapshotResponse};
use extension_template::state::Snapshot;
use openledger_bindings::testing::{
    ChainApp, ChainModule, MockChain, addr, chain_app, escrow_address,
};
use openledger_bindings::{AdapterResponse, DatanetResponse};

fn datanet(record_count: u64, latest_version: u64) -> DatanetResponse {
    DatanetResponse {
        id: 1,
        owner: "open1owner".to_string(),
        name: "capitals".to_string(),
        description: "Capital cities".to_string(),
        schema: r#"{"type":"object"}"#.to_string(),
        curators: vec![],
        review_quorum: 1,
        contribution_bond: Coin::new(1_000_000u128, "uopen"),
        max_record_bytes: 4096,
        license: "CC-BY-4.0".to_string(),
        record_count,
        accepted_count: record_count,
        latest_version,
    }
}

fn adapter() -> AdapterResponse {
    AdapterResponse {
        id: 3,
        owner: "open1owner".to_string(),
        base_model_id: 1,
        datanet_id: 1,
        datanet_version: 1,
        version_root: "ab".repeat(32),
        weights_sha256: "cd".repeat(32),
        license_contract: None,
    }
}

fn app(chain: &ChainModule) -> (ChainApp, Addr) {
    let creator = addr("creator");
    (chain_app(chain, &[(&creator, 1_000_000)]), creator)
}

fn instantiate_template(app: &mut ChainApp, creator: &Addr, funds: &[Coin]) -> Addr {
    let code_id = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    app.instantiate_contract(
        code_id,
        creator.clone(),
        &InstantiateMsg { datanet_id: 1 },
        funds,
        "template",
        None,
    )
    .unwrap()
}

#[test]
fn snapshot_follows_the_datanet() {
    let chain = ChainModule::new(MockChain::default().with_datanet(datanet(4, 1)));
    let (mut app, creator) = app(&chain);
    let contract = instantiate_template(&mut app, &creator, &[]);

    app.execute_contract(
        creator.clone(),
        contract.clone(),
        &ExecuteMsg::Snapshot {},
        &[],
    )
    .unwrap();
    let first_height = app.block_info().height;

    // The Datanet grows on chain; the next snapshot sees it.
    chain.update(|chain| {
        chain.datanets.insert(1, datanet(9, 2));
    });
    app.update_block(|block| block.height += 10);
    app.execute_contract(creator, contract.clone(), &ExecuteMsg::Snapshot {}, &[])
        .unwrap();

    let res: SnapshotResponse = app
        .wrap()
        .query_wasm_smart(&contract, &QueryMsg::Snapshot {})
        .unwrap();
    assert_eq!(
        res.snapshot,
        Some(Snapshot {
            record_count: 9,
            accepted_count: 9,
            latest_version: 2,
            height: first_height + 10,
        })
    );
}

#[test]
fn unknown_datanet_fails_instantiate() {
    let chain = ChainModule::new(MockChain::default());
    let (mut app, creator) = app(&chain);
    let code_id = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    let err = app
        .instantiate_contract(
            code_id,
            creator,
            &InstantiateMsg { datanet_id: 1 },
            &[],
            "template",
            None,
        )
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("datanet 1 not found"),
        "{err:#}"
    );
}

#[test]
fn request_inference_is_paid_by_the_contract() {
    let chain = ChainModule::new(
        MockChain::default()
            .with_datanet(datanet(4, 1))
            .with_adapter(adapter()),
    );
    let (mut app, creator) = app(&chain);
    let contract = instantiate_template(&mut app, &creator, &[]);
    // The contract pays from its own balance.
    app.send_tokens(creator.clone(), contract.clone(), &coins(20_000, "uopen"))
        .unwrap();

    let ask = |adapter_id| ExecuteMsg::RequestInference {
        adapter_id,
        prompt: "Name the capital of France.".to_string(),
        max_tokens: 16,
        max_fee: Uint128::new(5_000),
    };
    let res = app
        .execute_contract(creator.clone(), contract.clone(), &ask(3), &[])
        .unwrap();
    let event = res
        .events
        .iter()
        .find(|e| e.ty == "request_inference")
        .expect("request_inference event");
    assert!(
        event
            .attributes
            .iter()
            .any(|a| a.key == "requester" && a.value == contract.as_str())
    );
    let balance = |app: &ChainApp, addr: &Addr| app.wrap().query_balance(addr, "uopen").unwrap();
    assert_eq!(balance(&app, &contract).amount, Uint128::new(15_000));
    assert_eq!(balance(&app, &escrow_address()).amount, Uint128::new(5_000));

    // A request the chain refuses fails the whole execution; nothing is paid.
    app.execute_contract(creator, contract.clone(), &ask(99), &[])
        .unwrap_err();
    assert_eq!(balance(&app, &contract).amount, Uint128::new(15_000));
}
