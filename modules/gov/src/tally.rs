//! The tally, exactly as the Cosmos SDK v0.50 (`x/gov/keeper/tally.go`), in its fixed-point
//! arithmetic ([`crate::math`]):
//!
//! - every bonded validator's voting power is its delegator shares, worth
//!   `shares × bonded tokens / delegator shares` tokens;
//! - a voter's delegations to bonded validators vote with the voter's options, and their shares
//!   are taken out of those validators' own vote;
//! - a validator that voted votes the shares left (delegators who did not vote inherit it);
//! - quorum: voted power / total bonded tokens ≥ quorum (else fail; burn per
//!   `burn_vote_quorum`); nobody but abstainers: fail; veto: no_with_veto / voted power >
//!   veto threshold (fail; burn per `burn_vote_veto`); pass when yes / (voted − abstain) >
//!   threshold.

use std::collections::BTreeMap;

use cosmrs::proto::cosmos::gov::v1 as pb;
use openledger_framework::{AbciError, Address, Dec, Result, StateRead};

use crate::math::{int_dec, mul, mul_int, quo, quo_wide, truncate};
use crate::msgs::parse_options;
use crate::{GovError, GovKeeper, GovParams, VoteOption};

/// What a tally decides.
#[derive(Debug, Clone, PartialEq)]
pub struct TallyOutcome {
    pub passes: bool,
    pub burn_deposits: bool,
    /// Votes per option, in tokens (truncated), as the proposal records them.
    pub result: pb::TallyResult,
}

pub fn empty_result() -> pb::TallyResult {
    pb::TallyResult {
        yes_count: "0".into(),
        abstain_count: "0".into(),
        no_count: "0".into(),
        no_with_veto_count: "0".into(),
    }
}

struct ValidatorInfo {
    bonded_tokens: u128,
    delegator_shares: Dec,
    deductions: Dec,
    vote: Vec<(VoteOption, Dec)>,
}

fn overflow() -> AbciError {
    GovError::Overflow("tally".into()).into()
}

fn add(a: Dec, b: Dec) -> Result<Dec> {
    a.atomics()
        .checked_add(b.atomics())
        .map(Dec::from_atomics)
        .ok_or_else(overflow)
}

/// `shares × tokens / total_shares`; zero when the validator has no shares.
fn power(shares: Dec, tokens: u128, total_shares: Dec) -> Result<Dec> {
    if total_shares.is_zero() {
        return Ok(Dec::ZERO);
    }
    quo_wide(mul_int(shares, tokens).ok_or_else(overflow)?, total_shares).ok_or_else(overflow)
}

fn index(o: VoteOption) -> usize {
    match o {
        VoteOption::Yes => 0,
        VoteOption::Abstain => 1,
        VoteOption::No => 2,
        VoteOption::NoWithVeto | VoteOption::Unspecified => 3,
    }
}

fn credit(results: &mut [Dec; 4], options: &[(VoteOption, Dec)], power: Dec) -> Result<()> {
    for (o, weight) in options {
        let sub = mul(power, *weight).ok_or_else(overflow)?;
        results[index(*o)] = add(results[index(*o)], sub)?;
    }
    Ok(())
}

/// Tallies the votes of proposal `id` (reads only; the end blocker deletes the votes).
pub fn tally(
    keeper: &GovKeeper,
    r: &mut impl StateRead,
    id: u64,
    params: &GovParams,
) -> Result<TallyOutcome> {
    let staking = keeper.staking();
    let mut validators: BTreeMap<Address, ValidatorInfo> = BTreeMap::new();
    for v in staking.bonded_validators(r)? {
        validators.insert(
            v.operator,
            ValidatorInfo {
                bonded_tokens: if v.is_bonded() { v.tokens } else { 0 },
                delegator_shares: v.delegator_shares,
                deductions: Dec::ZERO,
                vote: Vec::new(),
            },
        );
    }

    let mut results = [Dec::ZERO; 4];
    let mut total = Dec::ZERO;
    for vote in keeper.votes(r, id)? {
        let voter = Address::from_bech32(&vote.voter)
            .map_err(|e| GovError::Corrupt(format!("vote on {id}: {e}")))?;
        let options = parse_options(&vote.options)
            .map_err(|e| GovError::Corrupt(format!("vote on {id}: {e}")))?;
        if let Some(v) = validators.get_mut(&voter) {
            v.vote = options.clone();
        }
        for d in staking.delegations_of(r, &voter)? {
            let Some(v) = validators.get_mut(&d.validator) else {
                continue;
            };
            v.deductions = add(v.deductions, d.shares)?;
            let vp = power(d.shares, v.bonded_tokens, v.delegator_shares)?;
            credit(&mut results, &options, vp)?;
            total = add(total, vp)?;
        }
    }

    for v in validators.values() {
        if v.vote.is_empty() {
            continue;
        }
        let left = Dec::from_atomics(
            v.delegator_shares
                .atomics()
                .saturating_sub(v.deductions.atomics()),
        );
        let vp = power(left, v.bonded_tokens, v.delegator_shares)?;
        credit(&mut results, &v.vote, vp)?;
        total = add(total, vp)?;
    }

    let [yes, abstain, no, veto] = results;
    let result = pb::TallyResult {
        yes_count: truncate(yes).to_string(),
        abstain_count: truncate(abstain).to_string(),
        no_count: truncate(no).to_string(),
        no_with_veto_count: truncate(veto).to_string(),
    };
    let outcome = |passes, burn_deposits| TallyOutcome {
        passes,
        burn_deposits,
        result: result.clone(),
    };

    let total_bonded = staking.total_bonded_tokens(r)?;
    if total_bonded == 0 {
        return Ok(outcome(false, false));
    }
    let percent_voting =
        quo(total, int_dec(total_bonded).ok_or_else(overflow)?).ok_or_else(overflow)?;
    if percent_voting < params.quorum {
        return Ok(outcome(false, params.burn_vote_quorum));
    }
    let non_abstain = Dec::from_atomics(total.atomics().saturating_sub(abstain.atomics()));
    if non_abstain.is_zero() {
        return Ok(outcome(false, false));
    }
    if quo(veto, total).ok_or_else(overflow)? > params.veto_threshold {
        return Ok(outcome(false, params.burn_vote_veto));
    }
    if quo(yes, non_abstain).ok_or_else(overflow)? > params.threshold {
        return Ok(outcome(true, false));
    }
    let _ = no;
    Ok(outcome(false, false))
}
