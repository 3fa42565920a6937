use cosmwasm_std::{QuerierWrapper, QueryRequest, StdResult};
use serde::de::DeserializeOwned;

use crate::query::{
    AdapterResponse, AttributionRecordResponse, ContributorEarningsResponse, DatanetResponse,
    OpenLedgerQuery, ProvenanceResponse, RecordResponse,
};

/// Typed access to the chain's OpenLedger state: `OpenLedgerQuerier::new(&deps.querier)`.
pub struct OpenLedgerQuerier<'a> {
    querier: &'a QuerierWrapper<'a, OpenLedgerQuery>,
}

impl<'a> OpenLedgerQuerier<'a> {
    pub fn new(querier: &'a QuerierWrapper<'a, OpenLedgerQuery>) -> Self {
        Self { querier }
    }

    pub fn datanet(&self, id: u64) -> StdResult<DatanetResponse> {
        self.query(OpenLedgerQuery::Datanet { id })
    }

    pub fn record(&self, datanet_id: u64, record_id: u64) -> StdResult<RecordResponse> {
        self.query(OpenLedgerQuery::Record {
            datanet_id,
            record_id,
        })
    }

    pub fn adapter(&self, id: u64) -> StdResult<AdapterResponse> {
        self.query(OpenLedgerQuery::Adapter { id })
    }

    pub fn provenance(&self, adapter_id: u64) -> StdResult<ProvenanceResponse> {
        self.query(OpenLedgerQuery::Provenance { adapter_id })
    }

    pub fn attribution_record(&self, request_id: u64) -> StdResult<AttributionRecordResponse> {
        self.query(OpenLedgerQuery::AttributionRecord { request_id })
    }

    pub fn contributor_earnings(
        &self,
        address: impl Into<String>,
    ) -> StdResult<ContributorEarningsResponse> {
        self.query(OpenLedgerQuery::ContributorEarnings {
            address: address.into(),
        })
    }

    fn query<T: DeserializeOwned>(&self, query: OpenLedgerQuery) -> StdResult<T> {
        self.querier.query(&QueryRequest::Custom(query))
    }
}
