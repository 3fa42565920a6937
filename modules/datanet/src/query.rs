//! `openledger.datanet.v1.Query`, answered from a state snapshot.

use openledger_framework::pagination::paginate;
use openledger_framework::{AbciError, Address, KvRead, QueryRouter};
use openledger_proto::openledger::datanet::v1::*;
use prost::Message;

use crate::{DatanetError, DatanetKeeper, keys};

fn decode<M: Message + Default>(key: &str, bytes: &[u8]) -> Result<M, AbciError> {
    M::decode(bytes).map_err(|e| DatanetError::Corrupt(format!("{key}: {e}")).into())
}

fn records(
    k: &DatanetKeeper,
    s: &dyn KvRead,
    req: &QueryRecordsRequest,
) -> Result<QueryRecordsResponse, AbciError> {
    let mut r = s;
    k.must_datanet(&mut r, req.datanet_id)?;
    let status = RecordStatus::try_from(req.status)
        .map_err(|_| DatanetError::InvalidRequest(format!("unknown status {}", req.status)))?;
    // The narrowest index gives the candidate ids; the other filter is applied to each record.
    let ids: Vec<u64> = if !req.contributor.is_empty() {
        let addr = Address::from_bech32(&req.contributor)?;
        s.prefix(&keys::by_contributor_prefix(req.datanet_id, &addr))?
            .iter()
            .filter_map(|(key, _)| keys::trailing_id(key))
            .collect()
    } else if status != RecordStatus::Unspecified {
        k.record_ids_with_status(&mut r, req.datanet_id, status)?
    } else {
        s.prefix(&keys::records_of(req.datanet_id))?
            .iter()
            .filter_map(|(key, _)| keys::trailing_id(key))
            .collect()
    };
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let rec = k.must_record(&mut r, req.datanet_id, id)?;
        if status != RecordStatus::Unspecified && rec.status != status as i32 {
            continue;
        }
        items.push((format!("{id:020}"), rec));
    }
    let (records, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QueryRecordsResponse {
        records,
        pagination: Some(pagination),
    })
}

pub fn register(keeper: DatanetKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        "/openledger.datanet.v1.Query/Params",
        move |s: &dyn KvRead, _: QueryParamsRequest| {
            let mut s = s;
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.datanet.v1.Query/Datanet",
        move |s: &dyn KvRead, req: QueryDatanetRequest| {
            let mut s = s;
            Ok(QueryDatanetResponse {
                datanet: Some(k.must_datanet(&mut s, req.id)?),
            })
        },
    );
    r.add(
        "/openledger.datanet.v1.Query/Datanets",
        move |s: &dyn KvRead, req: QueryDatanetsRequest| {
            let items = s
                .prefix(keys::all_datanets())?
                .into_iter()
                .map(|(key, v)| {
                    let d: Datanet = decode(&key, &v)?;
                    Ok((key, d))
                })
                .collect::<Result<Vec<_>, AbciError>>()?;
            let (datanets, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryDatanetsResponse {
                datanets,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.datanet.v1.Query/Record",
        move |s: &dyn KvRead, req: QueryRecordRequest| {
            let mut s = s;
            k.must_datanet(&mut s, req.datanet_id)?;
            Ok(QueryRecordResponse {
                record: Some(k.must_record(&mut s, req.datanet_id, req.record_id)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.datanet.v1.Query/Records",
        move |s: &dyn KvRead, req: QueryRecordsRequest| records(&k, s, &req),
    );
    let k = keeper.clone();
    r.add(
        "/openledger.datanet.v1.Query/Version",
        move |s: &dyn KvRead, req: QueryVersionRequest| {
            let mut s = s;
            k.must_datanet(&mut s, req.datanet_id)?;
            Ok(QueryVersionResponse {
                version: Some(k.must_version(&mut s, req.datanet_id, req.version)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/openledger.datanet.v1.Query/RecordProof",
        move |s: &dyn KvRead, req: QueryRecordProofRequest| {
            let mut s = s;
            k.must_datanet(&mut s, req.datanet_id)?;
            k.record_proof(&mut s, req.datanet_id, req.version, req.record_id)
        },
    );
    let k = keeper;
    r.add(
        "/openledger.datanet.v1.Query/ContributorStats",
        move |s: &dyn KvRead, req: QueryContributorStatsRequest| {
            let mut s = s;
            let addr = Address::from_bech32(&req.contributor)?;
            if req.datanet_id != 0 {
                k.must_datanet(&mut s, req.datanet_id)?;
            }
            Ok(QueryContributorStatsResponse {
                stats: Some(k.stats(&mut s, req.datanet_id, &addr)?),
            })
        },
    );
}
