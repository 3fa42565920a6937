//! F1 fee distribution (Cosmos SDK `x/distribution/keeper/{validator,delegation}.go`): each
//! validator keeps a cumulative reward ratio per period (rewards per token of stake); a
//! delegation remembers the period it started in and its stake then, so its rewards are
//! `stake × (ratio(end) − ratio(start))`, cut at each slash event in between by the slashed
//! fraction. Every division truncates, so no one can withdraw more than was allocated.

use openledger_framework::math::{self, mul_div_round};
use openledger_framework::{AbciError, Address, Coins, Ctx, Dec, Event};
use openledger_staking::{Delegation, Validator, valoper};

use crate::dec_coins::DecCoins;
use crate::keeper::{CurrentRewards, HistoricalRewards, Result, StartingInfo, dc_err};
use crate::{DistributionError, DistributionKeeper, MODULE_NAME, keys};

/// The SDK's tolerance (v0.50) between the stake rebuilt across slash events and the stake the
/// delegation's shares are worth now: three units of the last decimal place.
const STAKE_MARGIN: u128 = 3;

fn height_of(ctx: &Ctx<'_>) -> u64 {
    ctx.block.height
}

impl DistributionKeeper {
    /// Fresh records for a new validator: period 0 with ratio zero (one reference: the
    /// current period's predecessor), current period 1, no commission, nothing outstanding.
    pub(crate) fn initialize_validator(&self, ctx: &mut Ctx<'_>, val: &Address) -> Result<()> {
        self.set_historical_rewards(
            ctx,
            val,
            0,
            &HistoricalRewards {
                cumulative_reward_ratio: DecCoins::new(),
                reference_count: 1,
            },
        )?;
        self.set_current_rewards(
            ctx,
            val,
            &CurrentRewards {
                rewards: DecCoins::new(),
                period: 1,
            },
        )?;
        self.set_accumulated_commission(ctx, val, &DecCoins::new())?;
        self.set_outstanding_rewards(ctx, val, &DecCoins::new())
    }

    /// The validator's current rewards, initializing its records first if distribution never
    /// saw it (a validator written by a non-exported staking genesis, which runs no hooks).
    pub(crate) fn current_or_init(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
    ) -> Result<CurrentRewards> {
        if let Some(c) = self.current_rewards(ctx, val)? {
            return Ok(c);
        }
        self.initialize_validator(ctx, val)?;
        Ok(CurrentRewards {
            rewards: DecCoins::new(),
            period: 1,
        })
    }

    /// Ends the validator's current period: folds its current rewards into the cumulative
    /// ratio (per token, truncated) and starts the next period. A validator without tokens
    /// cannot have a ratio: its current rewards go to the community pool. Returns the period
    /// that ended.
    pub fn increment_validator_period(&self, ctx: &mut Ctx<'_>, v: &Validator) -> Result<u64> {
        let val = v.operator;
        let rewards = self.current_or_init(ctx, &val)?;
        let current = if v.tokens == 0 {
            let outstanding = self
                .outstanding_rewards(ctx, &val)?
                .checked_sub(&rewards.rewards)
                .map_err(dc_err)?;
            self.add_to_community_pool(ctx, &rewards.rewards)?;
            self.set_outstanding_rewards(ctx, &val, &outstanding)?;
            DecCoins::new()
        } else {
            let tokens = math::from_int(v.tokens)
                .ok_or_else(|| DistributionError::Overflow("validator tokens".into()))?;
            rewards.rewards.quo_dec_truncate(tokens).map_err(dc_err)?
        };
        let previous = rewards
            .period
            .checked_sub(1)
            .ok_or_else(|| DistributionError::Corrupt(format!("{}: period 0", valoper(&val))))?;
        let historical = self.must_historical(ctx, &val, previous)?;
        self.decrement_reference_count(ctx, &val, previous)?;
        self.set_historical_rewards(
            ctx,
            &val,
            rewards.period,
            &HistoricalRewards {
                cumulative_reward_ratio: historical
                    .cumulative_reward_ratio
                    .add(&current)
                    .map_err(dc_err)?,
                reference_count: 1,
            },
        )?;
        self.set_current_rewards(
            ctx,
            &val,
            &CurrentRewards {
                rewards: DecCoins::new(),
                period: rewards.period + 1,
            },
        )?;
        Ok(rewards.period)
    }

    fn must_historical(
        &self,
        r: &mut impl openledger_framework::StateRead,
        val: &Address,
        period: u64,
    ) -> Result<HistoricalRewards> {
        self.historical_rewards(r, val, period)?.ok_or_else(|| {
            DistributionError::Corrupt(format!(
                "no historical rewards of {} for period {period}",
                valoper(val)
            ))
            .into()
        })
    }

    pub(crate) fn increment_reference_count(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        period: u64,
    ) -> Result<()> {
        let mut h = self.must_historical(ctx, val, period)?;
        if h.reference_count >= 2 {
            return Err(DistributionError::Invariant(format!(
                "reference count of {} period {period} would exceed 2",
                valoper(val)
            ))
            .into());
        }
        h.reference_count += 1;
        self.set_historical_rewards(ctx, val, period, &h)
    }

    pub(crate) fn decrement_reference_count(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        period: u64,
    ) -> Result<()> {
        let mut h = self.must_historical(ctx, val, period)?;
        if h.reference_count == 0 {
            return Err(DistributionError::Invariant(format!(
                "negative reference count of {} period {period}",
                valoper(val)
            ))
            .into());
        }
        h.reference_count -= 1;
        if h.reference_count == 0 {
            ctx.delete(keys::historical(val, period))
        } else {
            self.set_historical_rewards(ctx, val, period, &h)
        }
    }

    /// Starts a delegation's accounting at the period that just ended (the hooks incremented
    /// it), with its stake in tokens now (truncated).
    pub(crate) fn initialize_delegation(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        del: &Address,
    ) -> Result<()> {
        let current = self.current_or_init(ctx, val)?;
        let previous_period = current.period.saturating_sub(1);
        self.increment_reference_count(ctx, val, previous_period)?;
        let v = self.must_staking_validator(ctx, val)?;
        let d = self
            .staking
            .delegation(ctx, del, val)?
            .ok_or_else(|| no_delegation(del, val))?;
        let stake = tokens_from_shares_truncated(&v, d.shares)?;
        self.set_starting_info(
            ctx,
            val,
            del,
            &StartingInfo {
                previous_period,
                stake,
                height: height_of(ctx),
            },
        )
    }

    pub(crate) fn must_staking_validator(
        &self,
        r: &mut impl openledger_framework::StateRead,
        val: &Address,
    ) -> Result<Validator> {
        self.staking
            .validator(r, val)?
            .ok_or_else(|| DistributionError::NoValidatorExists(valoper(val)).into())
    }

    /// `stake × (ratio(end) − ratio(start))`, truncated.
    fn rewards_between(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        start: u64,
        end: u64,
        stake: Dec,
    ) -> Result<DecCoins> {
        if start > end {
            return Err(DistributionError::Invariant(format!(
                "starting period {start} after ending period {end}"
            ))
            .into());
        }
        let starting = self.must_historical(ctx, val, start)?;
        let ending = self.must_historical(ctx, val, end)?;
        let difference = ending
            .cumulative_reward_ratio
            .checked_sub(&starting.cumulative_reward_ratio)
            .map_err(dc_err)?;
        difference.mul_dec_truncate(stake).map_err(dc_err)
    }

    /// The rewards a delegation has earned up to `ending_period` (which must have ended).
    /// `height` is the current block height; queries, which do not know it, pass `None`
    /// (every slash event after the start counts, as no later one can exist).
    pub(crate) fn calculate_delegation_rewards(
        &self,
        ctx: &mut Ctx<'_>,
        v: &Validator,
        d: &Delegation,
        ending_period: u64,
        height: Option<u64>,
    ) -> Result<DecCoins> {
        let val = v.operator;
        let info = self
            .starting_info(ctx, &val, &d.delegator)?
            .ok_or_else(|| no_dist_info(&d.delegator, &val))?;
        if Some(info.height) == height {
            // Started this block: nothing earned yet.
            return Ok(DecCoins::new());
        }
        let mut rewards = DecCoins::new();
        let mut start = info.previous_period;
        let mut stake = info.stake;
        let end_height = height.unwrap_or(u64::MAX);
        if end_height > info.height {
            for e in self.slash_events(ctx, &val)? {
                if e.height < info.height || e.height > end_height {
                    continue;
                }
                if e.validator_period > start {
                    let r = self.rewards_between(ctx, &val, start, e.validator_period, stake)?;
                    rewards = rewards.add(&r).map_err(dc_err)?;
                    let kept = math::sub(Dec::ONE, e.fraction).ok_or_else(|| {
                        DistributionError::Corrupt(format!("slash fraction {}", e.fraction))
                    })?;
                    stake = math::mul_trunc(stake, kept)
                        .ok_or_else(|| DistributionError::Overflow("stake".into()))?;
                    start = e.validator_period;
                }
            }
        }
        // The stake rebuilt period by period may exceed what the shares are worth by rounding.
        let current_stake = tokens_from_shares(v, d.shares)?;
        if stake > current_stake {
            if stake.atomics() <= current_stake.atomics().saturating_add(STAKE_MARGIN) {
                stake = current_stake;
            } else {
                return Err(DistributionError::Invariant(format!(
                    "calculated final stake for delegator {} ({stake}) greater than current stake ({current_stake})",
                    d.delegator
                ))
                .into());
            }
        }
        let last = self.rewards_between(ctx, &val, start, ending_period, stake)?;
        rewards.add(&last).map_err(dc_err)
    }

    /// Settles a delegation: ends the validator's period, pays the whole part of its rewards to
    /// the withdraw address, the fraction to the community pool, and drops its starting info
    /// (the caller re-initializes it, or the delegation is going away). The SDK's
    /// `withdrawDelegationRewards`.
    pub(crate) fn settle_delegation(
        &self,
        ctx: &mut Ctx<'_>,
        v: &Validator,
        d: &Delegation,
    ) -> Result<Coins> {
        let val = v.operator;
        let del = d.delegator;
        let info = self
            .starting_info(ctx, &val, &del)?
            .ok_or_else(|| no_dist_info(&del, &val))?;
        let ending_period = self.increment_validator_period(ctx, v)?;
        let raw =
            self.calculate_delegation_rewards(ctx, v, d, ending_period, Some(height_of(ctx)))?;
        let outstanding = self.outstanding_rewards(ctx, &val)?;
        // Rounding at the very last digits may ask for more than is left: cap it.
        let rewards = raw.intersect(&outstanding);
        let (whole, remainder) = rewards.truncate_decimal();
        if !whole.is_empty() {
            let to = self.withdraw_addr(ctx, &del)?;
            self.bank.send_from_module(ctx, MODULE_NAME, &to, &whole)?;
        }
        let left = outstanding.checked_sub(&rewards).map_err(dc_err)?;
        self.set_outstanding_rewards(ctx, &val, &left)?;
        self.add_to_community_pool(ctx, &remainder)?;
        self.decrement_reference_count(ctx, &val, info.previous_period)?;
        ctx.delete(keys::starting_info(&val, &del))?;
        let amount = if whole.is_empty() {
            // The SDK reports a zero coin of the bond denom.
            format!("0{}", self.staking.bond_denom(ctx)?)
        } else {
            whole.to_string()
        };
        ctx.emit(
            Event::new("withdraw_rewards")
                .attr("amount", amount)
                .attr("validator", valoper(&val))
                .attr("delegator", del.to_bech32()),
        );
        Ok(whole)
    }

    /// `MsgWithdrawDelegatorReward`: pays `del`'s rewards from `val` to its withdraw address and
    /// starts a new accounting period for the delegation. A delegation distribution never
    /// tracked (created by a non-exported staking genesis) starts being tracked now, with
    /// nothing to pay.
    pub fn withdraw_delegation_rewards(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        val: &Address,
    ) -> Result<Coins> {
        let v = self
            .staking
            .validator(ctx, val)?
            .ok_or_else(|| DistributionError::NoValidatorDistInfo(valoper(val)))?;
        let d = self
            .staking
            .delegation(ctx, del, val)?
            .ok_or_else(|| no_dist_info(del, val))?;
        let paid = if self.starting_info(ctx, val, del)?.is_some() {
            self.settle_delegation(ctx, &v, &d)?
        } else {
            self.increment_validator_period(ctx, &v)?;
            Coins::new()
        };
        self.initialize_delegation(ctx, val, del)?;
        Ok(paid)
    }

    /// `MsgWithdrawValidatorCommission`: pays the whole part of the accumulated commission to
    /// the operator's withdraw address; the fraction stays for later.
    pub fn withdraw_validator_commission(&self, ctx: &mut Ctx<'_>, val: &Address) -> Result<Coins> {
        let accumulated = self.accumulated_commission(ctx, val)?;
        if accumulated.is_empty() {
            return Err(DistributionError::NoValidatorCommission.into());
        }
        let (whole, remainder) = accumulated.truncate_decimal();
        self.set_accumulated_commission(ctx, val, &remainder)?;
        let paid = DecCoins::from_coins(&whole).map_err(dc_err)?;
        let outstanding = self
            .outstanding_rewards(ctx, val)?
            .checked_sub(&paid)
            .map_err(dc_err)?;
        self.set_outstanding_rewards(ctx, val, &outstanding)?;
        if !whole.is_empty() {
            let to = self.withdraw_addr(ctx, val)?;
            self.bank.send_from_module(ctx, MODULE_NAME, &to, &whole)?;
        }
        ctx.emit(Event::new("withdraw_commission").attr("amount", whole.to_string()));
        Ok(whole)
    }

    /// Records a slash: ends the validator's period (on its tokens before the cut), keeps that
    /// period referenced, and stores the event at this height.
    pub(crate) fn update_validator_slash_fraction(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        fraction: Dec,
    ) -> Result<()> {
        if fraction > Dec::ONE {
            return Err(DistributionError::InvalidRequest(format!(
                "slash fraction {fraction} is above 1"
            ))
            .into());
        }
        let v = self.must_staking_validator(ctx, val)?;
        let period = self.increment_validator_period(ctx, &v)?;
        self.increment_reference_count(ctx, val, period)?;
        self.set_slash_event(
            ctx,
            val,
            &crate::keeper::SlashEvent {
                height: height_of(ctx),
                validator_period: period,
                fraction,
            },
        )
    }

    /// Cleans up after a validator is removed from staking: pays its whole commission out, sends
    /// every leftover (commission dust, rounding dust of its delegators) to the community pool,
    /// and deletes its records.
    pub(crate) fn remove_validator_records(&self, ctx: &mut Ctx<'_>, val: &Address) -> Result<()> {
        let mut outstanding = self.outstanding_rewards(ctx, val)?;
        let commission = self.accumulated_commission(ctx, val)?;
        if !commission.is_empty() {
            outstanding = outstanding.checked_sub(&commission).map_err(dc_err)?;
            let (whole, remainder) = commission.truncate_decimal();
            self.add_to_community_pool(ctx, &remainder)?;
            if !whole.is_empty() {
                let to = self.withdraw_addr(ctx, val)?;
                self.bank.send_from_module(ctx, MODULE_NAME, &to, &whole)?;
            }
        }
        self.add_to_community_pool(ctx, &outstanding)?;
        ctx.delete(keys::outstanding(val))?;
        ctx.delete(keys::commission(val))?;
        self.delete_prefix(ctx, &keys::slash_events_of(val))?;
        self.delete_prefix(ctx, &keys::historicals_of(val))?;
        ctx.delete(keys::current(val))
    }
}

/// What `shares` of `v` are worth in tokens, truncated at the 18th decimal
/// (`TokensFromSharesTruncated`).
pub(crate) fn tokens_from_shares_truncated(v: &Validator, shares: Dec) -> Result<Dec> {
    share_value(v, shares, openledger_framework::math::mul_div_floor)
}

/// The same, rounded half to even (`TokensFromShares`).
pub(crate) fn tokens_from_shares(v: &Validator, shares: Dec) -> Result<Dec> {
    share_value(v, shares, mul_div_round)
}

fn share_value(v: &Validator, shares: Dec, f: fn(u128, u128, u128) -> Option<u128>) -> Result<Dec> {
    if v.delegator_shares.is_zero() {
        return Ok(Dec::ZERO);
    }
    let tokens = math::from_int(v.tokens)
        .ok_or_else(|| DistributionError::Overflow("validator tokens".into()))?;
    f(
        shares.atomics(),
        tokens.atomics(),
        v.delegator_shares.atomics(),
    )
    .map(Dec::from_atomics)
    .ok_or_else(|| AbciError::from(DistributionError::Overflow("stake".into())))
}

pub(crate) fn no_dist_info(del: &Address, val: &Address) -> AbciError {
    DistributionError::EmptyDelegationDistInfo(format!(
        "no delegation of {} to {}",
        del.to_bech32(),
        valoper(val)
    ))
    .into()
}

pub(crate) fn no_delegation(del: &Address, val: &Address) -> AbciError {
    DistributionError::NoDelegationExists(format!("{} to {}", del.to_bech32(), valoper(val))).into()
}
