//! `cosmos.slashing.v1beta1.Query`, answered from a state snapshot through the keeper.

use cosmrs::proto::cosmos::slashing::v1beta1::{
    QueryParamsRequest, QueryParamsResponse, QuerySigningInfoRequest, QuerySigningInfoResponse,
    QuerySigningInfosRequest, QuerySigningInfosResponse,
};
use openledger_framework::pagination::paginate;
use openledger_framework::{KvRead, QueryRouter, Result};

use crate::{SlashingError, SlashingKeeper, keys, parse_valcons};

const Q: &str = "/cosmos.slashing.v1beta1.Query/";

pub fn params(k: &SlashingKeeper, s: &dyn KvRead) -> Result<QueryParamsResponse> {
    let mut s = s;
    Ok(QueryParamsResponse {
        params: Some(k.params(&mut s)?.to_proto()),
    })
}

pub fn signing_info(
    k: &SlashingKeeper,
    s: &dyn KvRead,
    req: QuerySigningInfoRequest,
) -> Result<QuerySigningInfoResponse> {
    let mut s = s;
    if req.cons_address.is_empty() {
        return Err(SlashingError::InvalidRequest("empty consensus address".into()).into());
    }
    let cons = parse_valcons(&req.cons_address)?;
    let info = k.signing_info(&mut s, &cons)?.ok_or_else(|| {
        SlashingError::NoSigningInfoFound(format!(
            "SigningInfo not found for validator {}",
            req.cons_address
        ))
    })?;
    Ok(QuerySigningInfoResponse {
        val_signing_info: Some(info.to_proto()),
    })
}

pub fn signing_infos(
    k: &SlashingKeeper,
    s: &dyn KvRead,
    req: QuerySigningInfosRequest,
) -> Result<QuerySigningInfosResponse> {
    let mut s = s;
    let items = k
        .all_signing_infos(&mut s)?
        .into_iter()
        .map(|i| (keys::signing_info(&i.address), i.to_proto()))
        .collect();
    let (info, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QuerySigningInfosResponse {
        info,
        pagination: Some(pagination),
    })
}

pub fn register(keeper: SlashingKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        &format!("{Q}Params"),
        move |s: &dyn KvRead, _: QueryParamsRequest| params(&k, s),
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}SigningInfo"),
        move |s: &dyn KvRead, req: QuerySigningInfoRequest| signing_info(&k, s, req),
    );
    let k = keeper;
    r.add(
        &format!("{Q}SigningInfos"),
        move |s: &dyn KvRead, req: QuerySigningInfosRequest| signing_infos(&k, s, req),
    );
}
