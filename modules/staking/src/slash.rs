//! What the slashing module calls: slash, jail, unjail, tombstone. A validator is named by its
//! consensus address, as CometBFT's commit info and misbehaviour name it.

use openledger_framework::{Address, Ctx, Dec, Event, Result};

use crate::math::{mul_dec_floor, mul_div_ceil, mul_div_floor};
use crate::{
    NOT_BONDED_POOL, POWER_REDUCTION, StakingError, StakingKeeper, Validator, height, keys, now,
    valoper,
};

impl StakingKeeper {
    /// Slashes the validator with consensus address `cons` for an infraction at
    /// `infraction_height`, when it had `power`: burns `fraction` of the stake it had then
    /// (`power × 10^6 × fraction`), taking first from unbonding delegations and redelegations
    /// that started at or after the infraction (each by `fraction` of its initial balance), and
    /// the rest from the validator's tokens (so every delegator's share loses value alike).
    /// Returns the tokens burned. A validator that no longer exists is ignored (returns 0).
    pub fn slash(
        &self,
        ctx: &mut Ctx<'_>,
        cons: &Address,
        infraction_height: i64,
        power: i64,
        fraction: Dec,
    ) -> Result<u128> {
        if fraction > Dec::ONE {
            return Err(StakingError::InvalidRequest(format!(
                "slash fraction {fraction} is above 1"
            ))
            .into());
        }
        let current = height(ctx);
        if infraction_height > current {
            return Err(StakingError::FutureInfraction {
                infraction: infraction_height,
                current,
            }
            .into());
        }
        let Some(v) = self.validator_by_cons_addr(ctx, cons)? else {
            return Ok(0);
        };
        let op = v.operator;
        let power = u128::try_from(power.max(0)).unwrap_or(0);
        let amount = mul_dec_floor(power.saturating_mul(POWER_REDUCTION), fraction)
            .ok_or_else(|| StakingError::Overflow("slash amount".into()))?;
        let mut remaining = amount;
        let mut burned = 0u128;
        if infraction_height < current {
            let (from_ubd, ubd_burned) =
                self.slash_unbondings(ctx, &op, infraction_height, fraction)?;
            remaining = remaining.saturating_sub(from_ubd);
            burned += ubd_burned;
            let (from_red, red_burned) =
                self.slash_redelegations(ctx, &op, infraction_height, fraction)?;
            remaining = remaining.saturating_sub(from_red);
            burned += red_burned;
        }
        // Reload: slashing redelegations may not touch this validator, but be exact.
        let mut v = self.must_validator(ctx, &op)?;
        let from_tokens = remaining.min(v.tokens);
        if from_tokens > 0
            && let Some(h) = self.hooks()
        {
            // Rounded up, as the SDK's `QuoRoundUp`: distribution rebuilds each delegation's
            // stake through this fraction and must never find more than the shares are worth.
            let effective = mul_div_ceil(from_tokens, Dec::ONE.atomics(), v.tokens)
                .map(Dec::from_atomics)
                .unwrap_or(Dec::ONE);
            h.before_validator_slashed(ctx, &op, effective)?;
        }
        v.tokens -= from_tokens;
        self.set_validator(ctx, &v)?;
        self.burn(ctx, Self::pool_of(&v), from_tokens)?;
        burned += from_tokens;
        ctx.emit(
            Event::new("slash")
                .attr(
                    "address",
                    cons.with_prefix(openledger_framework::address::VALCONS_PREFIX),
                )
                .attr("power", power.to_string())
                .attr("burned_coins", burned.to_string()),
        );
        Ok(burned)
    }

    /// Cuts the unbonding entries from `op` created at or after `infraction_height` that have
    /// not matured. Returns (the slash they account for, the tokens actually burned).
    fn slash_unbondings(
        &self,
        ctx: &mut Ctx<'_>,
        op: &Address,
        infraction_height: i64,
        fraction: Dec,
    ) -> Result<(u128, u128)> {
        let now = now(ctx);
        let mut total_slash = 0u128;
        let mut burn = 0u128;
        for mut ubd in self.unbonding_delegations_from(ctx, op)? {
            let mut changed = false;
            for e in ubd.entries.iter_mut() {
                if e.creation_height < infraction_height || e.completion_time <= now {
                    continue;
                }
                let slash = mul_dec_floor(e.initial_balance, fraction).unwrap_or(e.initial_balance);
                total_slash = total_slash.saturating_add(slash);
                let cut = slash.min(e.balance);
                e.balance -= cut;
                burn += cut;
                changed |= cut > 0;
            }
            if changed {
                self.set_unbonding(ctx, &ubd)?;
            }
        }
        self.burn(ctx, NOT_BONDED_POOL, burn)?;
        Ok((total_slash, burn))
    }

    /// Cuts redelegations out of `op` started at or after `infraction_height`: the destination
    /// delegation loses `fraction` of the shares the entry bought, and those tokens are burned.
    fn slash_redelegations(
        &self,
        ctx: &mut Ctx<'_>,
        op: &Address,
        infraction_height: i64,
        fraction: Dec,
    ) -> Result<(u128, u128)> {
        let now = now(ctx);
        let mut total_slash = 0u128;
        let mut burned = 0u128;
        for red in self.redelegations_from(ctx, op)? {
            for e in &red.entries {
                if e.creation_height < infraction_height || e.completion_time <= now {
                    continue;
                }
                let slash = mul_dec_floor(e.initial_balance, fraction).unwrap_or(e.initial_balance);
                total_slash = total_slash.saturating_add(slash);
                let shares = mul_div_floor(
                    e.shares_dst.atomics(),
                    fraction.atomics(),
                    Dec::ONE.atomics(),
                )
                .map(Dec::from_atomics)
                .unwrap_or(e.shares_dst);
                let Some(d) = self.delegation(ctx, &red.delegator, &red.dst)? else {
                    continue;
                };
                let shares = shares.min(d.shares);
                if shares.is_zero() {
                    continue;
                }
                let Some(mut dst) = self.validator(ctx, &red.dst)? else {
                    continue;
                };
                let pool = Self::pool_of(&dst);
                let tokens = self.unbond(ctx, &red.delegator, &mut dst, shares)?;
                self.burn(ctx, pool, tokens)?;
                burned += tokens;
            }
        }
        Ok((total_slash, burned))
    }

    /// Jails a validator: it leaves the active set at the end of the block.
    pub fn jail(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<()> {
        let mut v = self.must_by_cons(ctx, cons)?;
        if v.jailed {
            return Err(StakingError::ValidatorJailed(valoper(&v.operator)).into());
        }
        self.jail_validator(ctx, &mut v)
    }

    pub(crate) fn jail_validator(&self, ctx: &mut Ctx<'_>, v: &mut Validator) -> Result<()> {
        v.jailed = true;
        self.set_validator(ctx, v)?;
        ctx.emit(Event::new("jail").attr("validator", valoper(&v.operator)));
        Ok(())
    }

    /// Unjails a validator so it may rejoin the set at the end of the block. Refused when it is
    /// not jailed, is tombstoned, or its operator's self-delegation is below the minimum. (The
    /// jail duration is slashing's business.)
    pub fn unjail(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<()> {
        let mut v = self.must_by_cons(ctx, cons)?;
        self.check_unjail(ctx, &v)?;
        v.jailed = false;
        self.set_validator(ctx, &v)?;
        ctx.emit(Event::new("unjail").attr("validator", valoper(&v.operator)));
        Ok(())
    }

    /// The staking-side conditions of `MsgUnjail`.
    pub fn check_unjail(&self, ctx: &mut Ctx<'_>, v: &Validator) -> Result<()> {
        let op = valoper(&v.operator);
        if !v.jailed {
            return Err(StakingError::ValidatorNotJailed(op).into());
        }
        if self.is_tombstoned(ctx, &v.operator)? {
            return Err(StakingError::ValidatorTombstoned(op).into());
        }
        let own = self
            .delegation(ctx, &v.operator, &v.operator)?
            .map_or(0, |d| v.tokens_for_shares(d.shares));
        if own < v.min_self_delegation {
            return Err(StakingError::SelfDelegationBelowMinimum {
                amount: own.to_string(),
                min: v.min_self_delegation.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// Marks a validator tombstoned (double sign): it stays jailed for good.
    pub fn tombstone(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<()> {
        let v = self.must_by_cons(ctx, cons)?;
        ctx.set(keys::tombstoned(&v.operator), vec![1])
    }

    fn must_by_cons(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<Validator> {
        self.validator_by_cons_addr(ctx, cons)?.ok_or_else(|| {
            StakingError::NoValidatorForConsAddr(
                cons.with_prefix(openledger_framework::address::VALCONS_PREFIX),
            )
            .into()
        })
    }
}
