//! A stand-in for the chain's side of the bindings, for contract unit tests (native only).
//!
//! [`MockChain`] holds the Datanets, records, adapters, provenance, attribution records and
//! earnings a test needs and answers [`OpenLedgerQuery`] the way the chain does, including its
//! "not found" errors; [`mock_dependencies`] puts it behind a `MockQuerier` with an `open`
//! address prefix. A cw-multi-test custom module can answer with [`MockChain::query`] too.

use std::collections::BTreeMap;

use cosmwasm_std::testing::{MockApi, MockQuerier, MockStorage};
use cosmwasm_std::{
    Binary, ContractResult, OwnedDeps, StdError, StdResult, SystemResult, Uint128, to_json_binary,
};

use crate::query::{
    AdapterResponse, AttributionRecordResponse, ContributorEarningsResponse, DatanetResponse,
    OpenLedgerQuery, ProvenanceResponse, RecordResponse,
};

/// The bech32 prefix of OpenLedger addresses.
pub const ADDRESS_PREFIX: &str = "open";

/// An `open…` address for tests, derived from `name` (as `MockApi::addr_make`).
pub fn addr(name: &str) -> cosmwasm_std::Addr {
    MockApi::default()
        .with_prefix(ADDRESS_PREFIX)
        .addr_make(name)
}

/// The chain state the custom queries read.
#[derive(Clone, Debug, Default)]
pub struct MockChain {
    pub datanets: BTreeMap<u64, DatanetResponse>,
    pub records: BTreeMap<(u64, u64), RecordResponse>,
    pub adapters: BTreeMap<u64, AdapterResponse>,
    pub provenance: BTreeMap<u64, ProvenanceResponse>,
    pub attribution_records: BTreeMap<u64, AttributionRecordResponse>,
    pub earnings: BTreeMap<String, ContributorEarningsResponse>,
}

impl MockChain {
    pub fn with_datanet(mut self, datanet: DatanetResponse) -> Self {
        self.datanets.insert(datanet.id, datanet);
        self
    }

    pub fn with_record(mut self, record: RecordResponse) -> Self {
        self.records.insert((record.datanet_id, record.id), record);
        self
    }

    pub fn with_adapter(mut self, adapter: AdapterResponse) -> Self {
        self.adapters.insert(adapter.id, adapter);
        self
    }

    pub fn with_provenance(mut self, provenance: ProvenanceResponse) -> Self {
        self.provenance.insert(provenance.adapter_id, provenance);
        self
    }

    pub fn with_attribution_record(mut self, record: AttributionRecordResponse) -> Self {
        self.attribution_records.insert(record.request_id, record);
        self
    }

    pub fn with_earnings(mut self, earnings: ContributorEarningsResponse) -> Self {
        self.earnings.insert(earnings.address.clone(), earnings);
        self
    }

    /// Answers a query as the chain does: the response's JSON, or a "not found" error.
    pub fn query(&self, query: &OpenLedgerQuery) -> StdResult<Binary> {
        match query {
            OpenLedgerQuery::Datanet { id } => found(self.datanets.get(id), "datanet", id),
            OpenLedgerQuery::Record {
                datanet_id,
                record_id,
            } => found(
                self.records.get(&(*datanet_id, *record_id)),
                &format!("datanet {datanet_id} record"),
                record_id,
            ),
            OpenLedgerQuery::Adapter { id } => found(self.adapters.get(id), "adapter", id),
            OpenLedgerQuery::Provenance { adapter_id } => found(
                self.provenance.get(adapter_id),
                "provenance of adapter",
                adapter_id,
            ),
            OpenLedgerQuery::AttributionRecord { request_id } => found(
                self.attribution_records.get(request_id),
                "attribution record of request",
                request_id,
            ),
            OpenLedgerQuery::ContributorEarnings { address } => {
                let earnings = self.earnings.get(address).cloned().unwrap_or_else(|| {
                    ContributorEarningsResponse {
                        address: address.clone(),
                        total_earned: Uint128::zero(),
                        attributions: 0,
                    }
                });
                to_json_binary(&earnings)
            }
        }
    }
}

fn found<T: serde::Serialize>(
    value: Option<&T>,
    what: &str,
    id: &impl std::fmt::Display,
) -> StdResult<Binary> {
    match value {
        Some(value) => to_json_binary(value),
        None => Err(StdError::not_found(format!("{what} {id}"))),
    }
}

/// A `MockQuerier` whose custom queries `chain` answers.
pub fn mock_querier(chain: MockChain) -> MockQuerier<OpenLedgerQuery> {
    MockQuerier::new(&[]).with_custom_handler(move |query| {
        SystemResult::Ok(match chain.query(query) {
            Ok(binary) => ContractResult::Ok(binary),
            Err(err) => ContractResult::Err(err.to_string()),
        })
    })
}

/// Dependencies for unit tests of a contract that uses the bindings: `open` addresses, and
/// `chain` answering the custom queries.
pub fn mock_dependencies(
    chain: MockChain,
) -> OwnedDeps<MockStorage, MockApi, MockQuerier<OpenLedgerQuery>, OpenLedgerQuery> {
    OwnedDeps {
        storage: MockStorage::default(),
        api: MockApi::default().with_prefix(ADDRESS_PREFIX),
        querier: mock_querier(chain),
        custom_query_type: std::marker::PhantomData,
    }
}

#[cfg(feature = "multitest")]
mod multitest;
#[cfg(feature = "multitest")]
pub use multitest::{ChainApp, ChainModule, chain_app, escrow_address};
