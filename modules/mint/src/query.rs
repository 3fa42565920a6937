//! `cosmos.mint.v1beta1.Query`. `Inflation` and `AnnualProvisions` answer a `LegacyDec` in
//! `bytes`, which the SDK fills with the decimal's atomics as ASCII digits.

use cosmrs::proto::cosmos::mint::v1beta1::*;
use openledger_framework::math::proto_dec;
use openledger_framework::{KvRead, QueryRouter};

use crate::MintKeeper;

const Q: &str = "/cosmos.mint.v1beta1.Query/";

pub fn register(keeper: MintKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        &format!("{Q}Params"),
        move |s: &dyn KvRead, _: QueryParamsRequest| {
            let mut s = s;
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?.to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Inflation"),
        move |s: &dyn KvRead, _: QueryInflationRequest| {
            let mut s = s;
            Ok(QueryInflationResponse {
                inflation: proto_dec(k.minter(&mut s)?.inflation).into_bytes(),
            })
        },
    );
    let k = keeper;
    r.add(
        &format!("{Q}AnnualProvisions"),
        move |s: &dyn KvRead, _: QueryAnnualProvisionsRequest| {
            let mut s = s;
            Ok(QueryAnnualProvisionsResponse {
                annual_provisions: proto_dec(k.minter(&mut s)?.annual_provisions).into_bytes(),
            })
        },
    );
}
