//! `openledger.attribution.v1.Query`, answered from a state snapshot.

use openledger_datanet::merkle;
use openledger_framework::pagination::paginate;
use openledger_framework::{AbciError, Address, KvRead, QueryRouter, StateRead};
use openledger_proto::openledger::attribution::v1::*;
use prost::Message;

use crate::{AttributionError, AttributionKeeper, keys, parse_address, proof};

pub const RECORD_PROOF: &str = "/openledger.attribution.v1.Query/RecordProof";

/// The records an index prefix points at, keyed by index key (for pagination).
fn indexed(
    keeper: &AttributionKeeper,
    s: &dyn KvRead,
    prefix: &str,
) -> Result<Vec<(String, AttributionRecord)>, AbciError> {
    let mut r = s;
    let keys: Vec<String> = s.prefix(prefix)?.into_iter().map(|(k, _)| k).collect();
    keys.into_iter()
        .map(|k| {
            let id = keys::trailing_id(&k)
                .ok_or_else(|| AttributionError::Corrupt(format!("index key {k}")))?;
            Ok((k, keeper.must_record(&mut r, id)?))
        })
        .collect()
}

/// A record's path to its block root, and the root's place in the store.
pub fn record_proof(
    keeper: &AttributionKeeper,
    r: &mut impl StateRead,
    request_id: u64,
) -> Result<QueryRecordProofResponse, AbciError> {
    let record = keeper.must_record(r, request_id)?;
    let root = keeper
        .block_root(r, record.height)?
        .ok_or(AttributionError::RootNotFound(record.height))?;
    let mut leaves = Vec::with_capacity(root.request_ids.len());
    for id in &root.request_ids {
        leaves.push(proof::leaf_hash(&keeper.must_record(r, *id)?));
    }
    let index = record.leaf_index as usize;
    let siblings = merkle::proof(&leaves, index)
        .ok_or_else(|| AttributionError::Corrupt(format!("leaf index of record {request_id}")))?;
    Ok(QueryRecordProofResponse {
        leaf_hash: leaves[index].to_vec(),
        leaf_index: record.leaf_index,
        leaf_count: leaves.len() as u64,
        siblings: siblings.iter().map(|h| h.to_vec()).collect(),
        root: root.root.clone(),
        root_key: keys::block_root_in_store(record.height),
        root_value: root.encode_to_vec(),
        record: Some(record),
        root_proofs: Vec::new(),
        proof_height: 0,
    })
}

pub fn register(keeper: AttributionKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/Params",
        move |s: &dyn KvRead, _: QueryParamsRequest| {
            let mut s = s;
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/Request",
        move |s: &dyn KvRead, req: QueryRequestRequest| {
            let mut s = s;
            Ok(QueryRequestResponse {
                request: Some(k.must_request(&mut s, req.id)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/Record",
        move |s: &dyn KvRead, req: QueryRecordRequest| {
            let mut s = s;
            Ok(QueryRecordResponse {
                record: Some(k.must_record(&mut s, req.request_id)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/RecordsByAdapter",
        move |s: &dyn KvRead, req: QueryRecordsByAdapterRequest| {
            let items = indexed(&k, s, &keys::by_adapter_prefix(req.adapter_id))?;
            let (records, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryRecordsResponse {
                records,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/RecordsByContributor",
        move |s: &dyn KvRead, req: QueryRecordsByContributorRequest| {
            let addr = parse_address("address", &req.address)?;
            let items = indexed(&k, s, &keys::by_contributor_prefix(&addr))?;
            let (records, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryRecordsResponse {
                records,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/ContributorEarnings",
        move |s: &dyn KvRead, req: QueryContributorEarningsRequest| {
            let mut s = s;
            let addr: Address = parse_address("address", &req.address)?;
            Ok(QueryContributorEarningsResponse {
                earnings: Some(k.earnings(&mut s, &addr)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.attribution.v1.Query/BlockRoot",
        move |s: &dyn KvRead, req: QueryBlockRootRequest| {
            let mut s = s;
            Ok(QueryBlockRootResponse {
                block_root: Some(
                    k.block_root(&mut s, req.height)?
                        .ok_or(AttributionError::RootNotFound(req.height))?,
                ),
            })
        },
    );
    let k = keeper;
    r.add(
        RECORD_PROOF,
        move |s: &dyn KvRead, req: QueryRecordProofRequest| {
            let mut s = s;
            record_proof(&k, &mut s, req.request_id)
        },
    );
}
