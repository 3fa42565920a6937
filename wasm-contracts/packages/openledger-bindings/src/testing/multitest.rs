//! The chain's side of the bindings as a cw-multi-test custom module.

use std::cell::RefCell;
use std::rc::Rc;

use anyhow::{Result as AnyResult, bail};
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::testing::MockStorage;
use cosmwasm_std::{
    Addr, Api, BankMsg, Binary, BlockInfo, CosmosMsg, CustomMsg, CustomQuery, Empty, Event,
    Querier, Storage, coins,
};
use cw_multi_test::{App, AppBuilder, AppResponse, BankKeeper, CosmosRouter, Module, WasmKeeper};
use serde::de::DeserializeOwned;

use super::{ADDRESS_PREFIX, MockChain};
use crate::{OpenLedgerMsg, OpenLedgerQuery};

/// The account [`ChainModule`] escrows inference fees in.
pub fn escrow_address() -> Addr {
    MockApi::default()
        .with_prefix(ADDRESS_PREFIX)
        .addr_make("attribution_escrow")
}

/// A cw-multi-test app with `open` addresses whose custom module is a [`ChainModule`].
pub type ChainApp =
    App<BankKeeper, MockApi, MockStorage, ChainModule, WasmKeeper<OpenLedgerMsg, OpenLedgerQuery>>;

/// Builds a [`ChainApp`] around `chain` with the given uopen balances.
pub fn chain_app(chain: &ChainModule, balances: &[(&Addr, u128)]) -> ChainApp {
    AppBuilder::new_custom()
        .with_api(MockApi::default().with_prefix(ADDRESS_PREFIX))
        .with_custom(chain.clone())
        .build(|router, _api, storage| {
            for (address, amount) in balances {
                router
                    .bank
                    .init_balance(storage, address, coins(*amount, "uopen"))
                    .expect("initial balance");
            }
        })
}

const NEXT_REQUEST_ID: &[u8] = b"openledger_stub/next_request_id";

/// Answers [`OpenLedgerQuery`] from a [`MockChain`] and executes [`OpenLedgerMsg`] roughly as
/// the chain does: `RequestInference` moves `max_fee` uopen from the contract to an escrow
/// account and emits a `request_inference` event with the new request id. Clones share the
/// chain, so a test can change it after building the app.
#[derive(Clone, Default)]
pub struct ChainModule {
    chain: Rc<RefCell<MockChain>>,
}

impl ChainModule {
    pub fn new(chain: MockChain) -> Self {
        Self {
            chain: Rc::new(RefCell::new(chain)),
        }
    }

    /// Changes the chain state the queries read.
    pub fn update(&self, change: impl FnOnce(&mut MockChain)) {
        change(&mut self.chain.borrow_mut());
    }
}

impl Module for ChainModule {
    type ExecT = OpenLedgerMsg;
    type QueryT = OpenLedgerQuery;
    type SudoT = Empty;

    fn execute<ExecC, QueryC>(
        &self,
        api: &dyn Api,
        storage: &mut dyn Storage,
        router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        block: &BlockInfo,
        sender: Addr,
        msg: OpenLedgerMsg,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + DeserializeOwned + 'static,
        QueryC: CustomQuery + DeserializeOwned + 'static,
    {
        match msg {
            OpenLedgerMsg::RequestInference {
                adapter_id,
                prompt,
                max_tokens,
                max_fee,
            } => {
                if !self.chain.borrow().adapters.contains_key(&adapter_id) {
                    bail!("adapter {adapter_id} not found");
                }
                if prompt.is_empty() || max_tokens == 0 {
                    bail!("empty prompt or zero max_tokens");
                }
                let request_id = storage
                    .get(NEXT_REQUEST_ID)
                    .and_then(|raw| raw.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(1);
                storage.set(NEXT_REQUEST_ID, &(request_id + 1).to_be_bytes());
                if !max_fee.is_zero() {
                    let escrow = BankMsg::Send {
                        to_address: escrow_address().into_string(),
                        amount: coins(max_fee.u128(), "uopen"),
                    };
                    router.execute(api, storage, block, sender.clone(), CosmosMsg::Bank(escrow))?;
                }
                Ok(AppResponse {
                    events: vec![
                        Event::new("request_inference")
                            .add_attribute("request_id", request_id.to_string())
                            .add_attribute("adapter_id", adapter_id.to_string())
                            .add_attribute("requester", sender)
                            .add_attribute("fee", max_fee),
                    ],
                    ..AppResponse::default()
                })
            }
        }
    }

    fn query(
        &self,
        _api: &dyn Api,
        _storage: &dyn Storage,
        _querier: &dyn Querier,
        _block: &BlockInfo,
        request: OpenLedgerQuery,
    ) -> AnyResult<Binary> {
        Ok(self.chain.borrow().query(&request)?)
    }

    fn sudo<ExecC, QueryC>(
        &self,
        _api: &dyn Api,
        _storage: &mut dyn Storage,
        _router: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        _block: &BlockInfo,
        _msg: Empty,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + DeserializeOwned + 'static,
        QueryC: CustomQuery + DeserializeOwned + 'static,
    {
        bail!("the OpenLedger stub has no sudo messages")
    }
}
