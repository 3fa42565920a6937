//! `cosmos.staking.v1beta1.Query`, answered from a state snapshot through the keeper.

use cosmrs::proto::cosmos::staking::v1beta1::*;
use openledger_framework::pagination::paginate;
use openledger_framework::{Coin, KvRead, QueryRouter, Result};

use crate::types::{parse_account, parse_valoper};
use crate::{Delegation as Del, StakingError, StakingKeeper, keys, valoper};

const Q: &str = "/cosmos.staking.v1beta1.Query/";

/// A delegation with what its shares are worth now.
fn delegation_response(
    k: &StakingKeeper,
    s: &mut &dyn KvRead,
    d: &Del,
    denom: &str,
) -> Result<DelegationResponse> {
    let v = k.must_validator(s, &d.validator)?;
    Ok(DelegationResponse {
        delegation: Some(d.to_proto()),
        balance: Some(Coin::new(v.tokens_for_shares(d.shares), denom).to_proto()),
    })
}

fn validators(
    k: &StakingKeeper,
    s: &dyn KvRead,
    req: QueryValidatorsRequest,
) -> Result<QueryValidatorsResponse> {
    let mut r = s;
    let status = if req.status.is_empty() {
        None
    } else {
        Some(BondStatus::from_str_name(&req.status).ok_or_else(|| {
            StakingError::InvalidRequest(format!("invalid validator status {}", req.status))
        })?)
    };
    let items = k
        .all_validators(&mut r)?
        .into_iter()
        .filter(|v| status.is_none_or(|st| st == BondStatus::Unspecified || v.status == st))
        .map(|v| (keys::validator(&v.operator), v.to_proto()))
        .collect();
    let (validators, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QueryValidatorsResponse {
        validators,
        pagination: Some(pagination),
    })
}

pub fn register(keeper: StakingKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        &format!("{Q}Validators"),
        move |s: &dyn KvRead, req: QueryValidatorsRequest| validators(&k, s, req),
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Validator"),
        move |s: &dyn KvRead, req: QueryValidatorRequest| {
            let mut s = s;
            let op = parse_valoper(&req.validator_addr)?;
            Ok(QueryValidatorResponse {
                validator: Some(k.must_validator(&mut s, &op)?.to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Delegation"),
        move |s: &dyn KvRead, req: QueryDelegationRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let val = parse_valoper(&req.validator_addr)?;
            let d =
                k.delegation(&mut s, &del, &val)?
                    .ok_or_else(|| StakingError::NoDelegation {
                        delegator: req.delegator_addr.clone(),
                        validator: req.validator_addr.clone(),
                    })?;
            let denom = k.bond_denom(&mut s)?;
            Ok(QueryDelegationResponse {
                delegation_response: Some(delegation_response(&k, &mut s, &d, &denom)?),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegatorDelegations"),
        move |s: &dyn KvRead, req: QueryDelegatorDelegationsRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let denom = k.bond_denom(&mut s)?;
            let mut items = Vec::new();
            for d in k.delegations_of(&mut s, &del)? {
                items.push((
                    keys::delegation(&d.delegator, &d.validator),
                    delegation_response(&k, &mut s, &d, &denom)?,
                ));
            }
            let (delegation_responses, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryDelegatorDelegationsResponse {
                delegation_responses,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}ValidatorDelegations"),
        move |s: &dyn KvRead, req: QueryValidatorDelegationsRequest| {
            let mut s = s;
            let val = parse_valoper(&req.validator_addr)?;
            let denom = k.bond_denom(&mut s)?;
            let mut items = Vec::new();
            for d in k.delegations_to(&mut s, &val)? {
                items.push((
                    keys::delegation_by_val(&d.validator, &d.delegator),
                    delegation_response(&k, &mut s, &d, &denom)?,
                ));
            }
            let (delegation_responses, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryValidatorDelegationsResponse {
                delegation_responses,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}UnbondingDelegation"),
        move |s: &dyn KvRead, req: QueryUnbondingDelegationRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let val = parse_valoper(&req.validator_addr)?;
            let u = k.unbonding_delegation(&mut s, &del, &val)?.ok_or_else(|| {
                StakingError::NoUnbondingDelegation {
                    delegator: req.delegator_addr.clone(),
                    validator: req.validator_addr.clone(),
                }
            })?;
            Ok(QueryUnbondingDelegationResponse {
                unbond: Some(u.to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegatorUnbondingDelegations"),
        move |s: &dyn KvRead, req: QueryDelegatorUnbondingDelegationsRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let items = k
                .unbonding_delegations_of(&mut s, &del)?
                .into_iter()
                .map(|u| (keys::unbonding(&u.delegator, &u.validator), u.to_proto()))
                .collect();
            let (unbonding_responses, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryDelegatorUnbondingDelegationsResponse {
                unbonding_responses,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}ValidatorUnbondingDelegations"),
        move |s: &dyn KvRead, req: QueryValidatorUnbondingDelegationsRequest| {
            let mut s = s;
            let val = parse_valoper(&req.validator_addr)?;
            let items = k
                .unbonding_delegations_from(&mut s, &val)?
                .into_iter()
                .map(|u| {
                    (
                        keys::unbonding_by_val(&u.validator, &u.delegator),
                        u.to_proto(),
                    )
                })
                .collect();
            let (unbonding_responses, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryValidatorUnbondingDelegationsResponse {
                unbonding_responses,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Redelegations"),
        move |s: &dyn KvRead, req: QueryRedelegationsRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let src = if req.src_validator_addr.is_empty() {
                None
            } else {
                Some(parse_valoper(&req.src_validator_addr)?)
            };
            let dst = if req.dst_validator_addr.is_empty() {
                None
            } else {
                Some(parse_valoper(&req.dst_validator_addr)?)
            };
            let mut items = Vec::new();
            for x in k.redelegations_of(&mut s, &del)? {
                if src.is_some_and(|a| a != x.src) || dst.is_some_and(|a| a != x.dst) {
                    continue;
                }
                let dst_v = k.validator(&mut s, &x.dst)?;
                let entries = x
                    .to_proto()
                    .entries
                    .into_iter()
                    .zip(&x.entries)
                    .map(|(p, e)| RedelegationEntryResponse {
                        redelegation_entry: Some(p),
                        balance: dst_v
                            .as_ref()
                            .map_or(0, |v| v.tokens_for_shares(e.shares_dst))
                            .to_string(),
                    })
                    .collect();
                items.push((
                    keys::redelegation(&x.delegator, &x.src, &x.dst),
                    RedelegationResponse {
                        redelegation: Some(x.to_proto()),
                        entries,
                    },
                ));
            }
            let (redelegation_responses, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryRedelegationsResponse {
                redelegation_responses,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegatorValidators"),
        move |s: &dyn KvRead, req: QueryDelegatorValidatorsRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let mut items = Vec::new();
            for d in k.delegations_of(&mut s, &del)? {
                let v = k.must_validator(&mut s, &d.validator)?;
                items.push((keys::validator(&v.operator), v.to_proto()));
            }
            let (validators, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryDelegatorValidatorsResponse {
                validators,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegatorValidator"),
        move |s: &dyn KvRead, req: QueryDelegatorValidatorRequest| {
            let mut s = s;
            let del = parse_account("delegator", &req.delegator_addr)?;
            let val = parse_valoper(&req.validator_addr)?;
            if k.delegation(&mut s, &del, &val)?.is_none() {
                return Err(StakingError::NoDelegation {
                    delegator: req.delegator_addr.clone(),
                    validator: valoper(&val),
                }
                .into());
            }
            Ok(QueryDelegatorValidatorResponse {
                validator: Some(k.must_validator(&mut s, &val)?.to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}HistoricalInfo"),
        move |s: &dyn KvRead, req: QueryHistoricalInfoRequest| {
            let mut s = s;
            if req.height < 0 {
                return Err(
                    StakingError::InvalidRequest("height must not be negative".into()).into(),
                );
            }
            let hist = k
                .historical_info(&mut s, req.height)?
                .ok_or(StakingError::NoHistoricalInfo(req.height))?;
            Ok(QueryHistoricalInfoResponse { hist: Some(hist) })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Pool"),
        move |s: &dyn KvRead, _: QueryPoolRequest| {
            let mut s = s;
            Ok(QueryPoolResponse {
                pool: Some(Pool {
                    not_bonded_tokens: k.total_not_bonded_tokens(&mut s)?.to_string(),
                    bonded_tokens: k.total_bonded_tokens(&mut s)?.to_string(),
                }),
            })
        },
    );
    let k = keeper;
    r.add(
        &format!("{Q}Params"),
        move |s: &dyn KvRead, _: QueryParamsRequest| {
            let mut s = s;
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?),
            })
        },
    );
}
