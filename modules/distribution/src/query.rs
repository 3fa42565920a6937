//! `cosmos.distribution.v1beta1.Query`, answered from a state snapshot through the keeper.
//! Reward queries end the validator's current period as the SDK does, in a throw-away branch
//! of the snapshot.

use cosmrs::proto::cosmos::distribution::v1beta1::*;
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::pagination::paginate;
use openledger_framework::{
    Address, BlockInfo, Ctx, GasMeter, KvRead, Overlay, QueryRouter, Result,
};
use openledger_staking::valoper;

use crate::dec_coins::DecCoins;
use crate::msgs::{parse_account, parse_valoper};
use crate::{DistributionError, DistributionKeeper, keys};

const Q: &str = "/cosmos.distribution.v1beta1.Query/";

impl DistributionKeeper {
    /// Runs `f` over a branch of `state` that is thrown away: how queries compute rewards as if
    /// the validator's period ended now, without writing.
    pub fn simulate<T>(
        &self,
        state: &dyn KvRead,
        f: impl FnOnce(&mut Ctx<'_>) -> Result<T>,
    ) -> Result<T> {
        let block = BlockInfo::default();
        let mut overlay = Overlay::new(state);
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &block,
            ExecMode::Simulate,
            &mut overlay,
            &mut gas,
            &mut events,
        );
        f(&mut ctx)
    }

    /// What `del` could withdraw from `val` now (the `DelegationRewards` query).
    pub fn delegation_rewards(
        &self,
        state: &dyn KvRead,
        del: &Address,
        val: &Address,
    ) -> Result<DecCoins> {
        self.simulate(state, |ctx| {
            let v = self.must_staking_validator(ctx, val)?;
            let d = self
                .staking
                .delegation(ctx, del, val)?
                .ok_or_else(|| crate::rewards::no_delegation(del, val))?;
            let end = self.increment_validator_period(ctx, &v)?;
            self.calculate_delegation_rewards(ctx, &v, &d, end, None)
        })
    }
}

fn total_rewards(
    k: &DistributionKeeper,
    s: &dyn KvRead,
    req: QueryDelegationTotalRewardsRequest,
) -> Result<QueryDelegationTotalRewardsResponse> {
    let del = parse_account(
        "delegator",
        &req.delegator_address,
        DistributionError::EmptyDelegatorAddr,
    )?;
    k.simulate(s, |ctx| {
        let mut total = DecCoins::new();
        let mut rewards = Vec::new();
        for d in k.staking.delegations_of(ctx, &del)? {
            let v = k.must_staking_validator(ctx, &d.validator)?;
            let end = k.increment_validator_period(ctx, &v)?;
            let r = k.calculate_delegation_rewards(ctx, &v, &d, end, None)?;
            total = total.add(&r).map_err(crate::keeper::dc_err)?;
            rewards.push(DelegationDelegatorReward {
                validator_address: valoper(&d.validator),
                reward: r.to_proto(),
            });
        }
        Ok(QueryDelegationTotalRewardsResponse {
            rewards,
            total: total.to_proto(),
        })
    })
}

fn validator_slashes(
    k: &DistributionKeeper,
    s: &dyn KvRead,
    req: QueryValidatorSlashesRequest,
) -> Result<QueryValidatorSlashesResponse> {
    let val = parse_valoper(&req.validator_address)?;
    if req.ending_height < req.starting_height {
        return Err(
            SdkError::InvalidRequest("starting height greater than ending height".into()).into(),
        );
    }
    let mut r = s;
    // Filtered by the height of the slash (the SDK filters this field by period, a known bug).
    let items = k
        .slash_events(&mut r, &val)?
        .into_iter()
        .filter(|e| {
            e.height >= req.starting_height
                && (req.ending_height == 0 || e.height <= req.ending_height)
        })
        .map(|e| {
            (
                keys::slash_event(&val, e.height, e.validator_period),
                ValidatorSlashEvent {
                    validator_period: e.validator_period,
                    fraction: openledger_framework::math::proto_dec(e.fraction),
                },
            )
        })
        .collect();
    let (slashes, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QueryValidatorSlashesResponse {
        slashes,
        pagination: Some(pagination),
    })
}

pub fn register(keeper: DistributionKeeper, r: &mut QueryRouter) {
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
        &format!("{Q}ValidatorDistributionInfo"),
        move |s: &dyn KvRead, req: QueryValidatorDistributionInfoRequest| {
            let val = parse_valoper(&req.validator_address)?;
            let mut r = s;
            k.must_staking_validator(&mut r, &val)?;
            // The operator's own delegation: its account has the operator's bytes.
            if k.staking.delegation(&mut r, &val, &val)?.is_none() {
                return Err(DistributionError::NoDelegationExists(format!(
                    "{} to {}",
                    val.to_bech32(),
                    valoper(&val)
                ))
                .into());
            }
            let self_bond_rewards = k.delegation_rewards(s, &val, &val)?;
            Ok(QueryValidatorDistributionInfoResponse {
                operator_address: val.to_bech32(),
                self_bond_rewards: self_bond_rewards.to_proto(),
                commission: k.accumulated_commission(&mut r, &val)?.to_proto(),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}ValidatorOutstandingRewards"),
        move |s: &dyn KvRead, req: QueryValidatorOutstandingRewardsRequest| {
            let val = parse_valoper(&req.validator_address)?;
            let mut r = s;
            k.must_staking_validator(&mut r, &val)?;
            Ok(QueryValidatorOutstandingRewardsResponse {
                rewards: Some(ValidatorOutstandingRewards {
                    rewards: k.outstanding_rewards(&mut r, &val)?.to_proto(),
                }),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}ValidatorCommission"),
        move |s: &dyn KvRead, req: QueryValidatorCommissionRequest| {
            let val = parse_valoper(&req.validator_address)?;
            let mut r = s;
            k.must_staking_validator(&mut r, &val)?;
            Ok(QueryValidatorCommissionResponse {
                commission: Some(ValidatorAccumulatedCommission {
                    commission: k.accumulated_commission(&mut r, &val)?.to_proto(),
                }),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}ValidatorSlashes"),
        move |s: &dyn KvRead, req: QueryValidatorSlashesRequest| validator_slashes(&k, s, req),
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegationRewards"),
        move |s: &dyn KvRead, req: QueryDelegationRewardsRequest| {
            let del = parse_account(
                "delegator",
                &req.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let val = parse_valoper(&req.validator_address)?;
            Ok(QueryDelegationRewardsResponse {
                rewards: k.delegation_rewards(s, &del, &val)?.to_proto(),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegationTotalRewards"),
        move |s: &dyn KvRead, req: QueryDelegationTotalRewardsRequest| total_rewards(&k, s, req),
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegatorValidators"),
        move |s: &dyn KvRead, req: QueryDelegatorValidatorsRequest| {
            let del = parse_account(
                "delegator",
                &req.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let mut r = s;
            Ok(QueryDelegatorValidatorsResponse {
                validators: k
                    .staking
                    .delegations_of(&mut r, &del)?
                    .iter()
                    .map(|d| valoper(&d.validator))
                    .collect(),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}DelegatorWithdrawAddress"),
        move |s: &dyn KvRead, req: QueryDelegatorWithdrawAddressRequest| {
            let del = parse_account(
                "delegator",
                &req.delegator_address,
                DistributionError::EmptyDelegatorAddr,
            )?;
            let mut r = s;
            Ok(QueryDelegatorWithdrawAddressResponse {
                withdraw_address: k.withdraw_addr(&mut r, &del)?.to_bech32(),
            })
        },
    );
    let k = keeper;
    r.add(
        &format!("{Q}CommunityPool"),
        move |s: &dyn KvRead, _: QueryCommunityPoolRequest| {
            let mut r = s;
            Ok(QueryCommunityPoolResponse {
                pool: k.community_pool(&mut r)?.to_proto(),
            })
        },
    );
}
