//! The licence contract with a real bank: subscription payments land in the contract and
//! `Withdraw` moves each party's share out of it.

use cosmwasm_std::{Addr, DepsMut, Env, MessageInfo, Response, Uint128, coins};
use cw_multi_test::{ContractWrapper, Executor};
use model_license::ContractError;
use model_license::contract::{execute, instantiate, migrate, query};
use model_license::msg::{
    CanInferResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SubscriptionTerms, Terms,
    TermsResponse,
};
use openledger_bindings::testing::{ChainApp, ChainModule, MockChain, addr, chain_app};
use openledger_bindings::{
    AdapterResponse, ContributorRecords, OpenLedgerMsg, OpenLedgerQuery, ProvenanceResponse,
};

const ADAPTER: u64 = 3;

fn adapter(owner: &Addr, license_contract: Option<&Addr>) -> AdapterResponse {
    AdapterResponse {
        id: ADAPTER,
        owner: owner.to_string(),
        base_model_id: 1,
        datanet_id: 1,
        datanet_version: 1,
        version_root: "ab".repeat(32),
        weights_sha256: "cd".repeat(32),
        license_contract: license_contract.map(Addr::to_string),
    }
}

// The contract answers `Response<Empty>`; the app's custom message type is `OpenLedgerMsg`.
fn execute_in_app(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    execute(deps, env, info, msg).map(widen)
}

fn instantiate_in_app(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    instantiate(deps, env, info, msg).map(widen)
}

fn migrate_in_app(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
    msg: MigrateMsg,
) -> Result<Response<OpenLedgerMsg>, ContractError> {
    migrate(deps, env, msg).map(widen)
}

fn widen(response: Response) -> Response<OpenLedgerMsg> {
    response
        .change_custom()
        .expect("the licence contract sends no custom messages")
}

fn balance(app: &ChainApp, address: &Addr) -> u128 {
    app.wrap()
        .query_balance(address, "uopen")
        .unwrap()
        .amount
        .u128()
}

#[test]
fn subscription_revenue_reaches_owner_and_contributors() {
    let [owner, user, contributor] = ["owner", "user", "contributor"].map(addr);
    let chain = ChainModule::new(
        MockChain::default()
            .with_adapter(adapter(&owner, None))
            .with_provenance(ProvenanceResponse {
                adapter_id: ADAPTER,
                datanet_id: 1,
                datanet_version: 1,
                version_root: "ab".repeat(32),
                record_count: 4,
                contributors: vec![ContributorRecords {
                    address: contributor.to_string(),
                    records: 4,
                }],
            }),
    );
    let mut app = chain_app(&chain, &[(&user, 100_000)]);
    let code_id = app.store_code(Box::new(
        ContractWrapper::new(execute_in_app, instantiate_in_app, query)
            .with_migrate(migrate_in_app),
    ));
    let license = app
        .instantiate_contract(
            code_id,
            owner.clone(),
            &InstantiateMsg { denom: None },
            &[],
            "model-license",
            Some(owner.to_string()),
        )
        .unwrap();
    // The owner points the adapter at the contract (on chain, through the models module).
    chain.update(|chain| {
        chain
            .adapters
            .insert(ADAPTER, adapter(&owner, Some(&license)));
    });

    app.execute_contract(
        owner.clone(),
        license.clone(),
        &ExecuteMsg::SetTerms {
            adapter_id: ADAPTER,
            terms: Terms {
                price_per_inference: Uint128::new(500),
                subscription: Some(SubscriptionTerms {
                    price: Uint128::new(40_000),
                    duration_blocks: 1_000,
                }),
                allow_list_only: false,
                contributor_share_bps: 2_500,
            },
        },
        &[],
    )
    .unwrap();

    app.execute_contract(
        user.clone(),
        license.clone(),
        &ExecuteMsg::Subscribe {
            adapter_id: ADAPTER,
        },
        &coins(40_000, "uopen"),
    )
    .unwrap();
    assert_eq!(balance(&app, &user), 60_000);
    assert_eq!(balance(&app, &license), 40_000);
    let can: CanInferResponse = app
        .wrap()
        .query_wasm_smart(
            &license,
            &QueryMsg::CanInfer {
                adapter_id: ADAPTER,
                user: user.to_string(),
            },
        )
        .unwrap();
    assert_eq!(
        can,
        CanInferResponse {
            allowed: true,
            price: Uint128::zero()
        }
    );

    for who in [&owner, &contributor] {
        app.execute_contract(who.clone(), license.clone(), &ExecuteMsg::Withdraw {}, &[])
            .unwrap();
    }
    assert_eq!(balance(&app, &owner), 30_000);
    assert_eq!(balance(&app, &contributor), 10_000);
    assert_eq!(balance(&app, &license), 0);

    // A failed payment leaves every balance as it was.
    app.execute_contract(
        user.clone(),
        license.clone(),
        &ExecuteMsg::Subscribe {
            adapter_id: ADAPTER,
        },
        &coins(39_999, "uopen"),
    )
    .unwrap_err();
    assert_eq!(balance(&app, &user), 60_000);
    assert_eq!(balance(&app, &license), 0);

    // Migrating to the same code keeps the terms.
    app.migrate_contract(owner, license.clone(), &MigrateMsg {}, code_id)
        .unwrap();
    let terms: TermsResponse = app
        .wrap()
        .query_wasm_smart(
            &license,
            &QueryMsg::Terms {
                adapter_id: ADAPTER,
            },
        )
        .unwrap();
    assert_eq!(terms.terms.price_per_inference, Uint128::new(500));
}
