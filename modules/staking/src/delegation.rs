//! Delegating, undelegating, redelegating and cancelling an unbonding.

use openledger_framework::{Address, Coin, Ctx, Dec, Event, Result};

use crate::math::mul_div_ceil;
use crate::{
    BONDED_POOL, Delegation, NOT_BONDED_POOL, Redelegation, RedelegationEntry, StakingError,
    StakingKeeper, Time, UnbondingDelegation, UnbondingEntry, Validator, height, keys, now, params,
    valoper,
};

/// Where the tokens of a delegation come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The delegator's balance.
    Account,
    /// The not-bonded pool (a cancelled unbonding, a redelegation from a non-bonded validator).
    NotBondedPool,
    /// The bonded pool (a redelegation from a bonded validator).
    BondedPool,
}

impl StakingKeeper {
    /// Adds `amount` tokens to `v` for `del`, taking them from `source` into the validator's
    /// pool; saves the validator and the delegation. Returns the shares issued.
    pub fn delegate(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        v: &mut Validator,
        amount: u128,
        source: TokenSource,
    ) -> Result<Dec> {
        let shares = v.shares_for_tokens(amount)?;
        let existing = self.delegation(ctx, del, &v.operator)?;
        if let Some(h) = self.hooks() {
            if existing.is_some() {
                h.before_delegation_shares_modified(ctx, del, &v.operator)?;
            } else {
                h.before_delegation_created(ctx, del, &v.operator)?;
            }
        }
        let pool = Self::pool_of(v);
        match source {
            TokenSource::Account => {
                let coins = self.coins(ctx, amount)?;
                self.bank.send_to_module(ctx, del, pool, &coins)?;
            }
            TokenSource::NotBondedPool => self.move_pool(ctx, NOT_BONDED_POOL, pool, amount)?,
            TokenSource::BondedPool => self.move_pool(ctx, BONDED_POOL, pool, amount)?,
        }
        v.tokens = v
            .tokens
            .checked_add(amount)
            .ok_or_else(|| StakingError::Overflow("validator tokens".into()))?;
        v.delegator_shares = add_dec(v.delegator_shares, shares)?;
        self.set_validator(ctx, v)?;
        let mut d = existing.unwrap_or(Delegation {
            delegator: *del,
            validator: v.operator,
            shares: Dec::ZERO,
        });
        d.shares = add_dec(d.shares, shares)?;
        self.set_delegation(ctx, &d)?;
        if let Some(h) = self.hooks() {
            h.after_delegation_modified(ctx, del, &v.operator)?;
        }
        Ok(shares)
    }

    /// The shares to remove for unbonding `amount` tokens of `del`'s delegation to `v`
    /// (all of them when the amount is the whole delegation up to rounding).
    pub fn shares_to_unbond(
        &self,
        r: &mut impl openledger_framework::StateRead,
        del: &Address,
        v: &Validator,
        amount: u128,
    ) -> Result<Dec> {
        let d =
            self.delegation(r, del, &v.operator)?
                .ok_or_else(|| StakingError::NoDelegation {
                    delegator: del.to_bech32(),
                    validator: valoper(&v.operator),
                })?;
        if v.tokens == 0 {
            return Err(StakingError::DelegatorShareExRateInvalid(valoper(&v.operator)).into());
        }
        let truncated = v.shares_for_tokens(amount)?;
        let delegated = v.tokens_for_shares(d.shares);
        if truncated > d.shares {
            return Err(StakingError::NotEnoughDelegationShares {
                requested: amount.to_string(),
                delegated: delegated.to_string(),
            }
            .into());
        }
        let rounded_up = mul_div_ceil(amount, v.delegator_shares.atomics(), v.tokens)
            .map(Dec::from_atomics)
            .ok_or_else(|| StakingError::Overflow("shares".into()))?;
        Ok(rounded_up.min(d.shares))
    }

    /// Removes `shares` of `del`'s delegation to `v` and the tokens they are worth from the
    /// validator (the tokens stay in the validator's pool; the caller moves them). Jails the
    /// validator when its operator's self-delegation falls below the minimum. Removes the
    /// validator when it is unbonded and has no shares left. Returns the tokens.
    pub fn unbond(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        v: &mut Validator,
        shares: Dec,
    ) -> Result<u128> {
        let mut d =
            self.delegation(ctx, del, &v.operator)?
                .ok_or_else(|| StakingError::NoDelegation {
                    delegator: del.to_bech32(),
                    validator: valoper(&v.operator),
                })?;
        if shares > d.shares {
            return Err(StakingError::NotEnoughDelegationShares {
                requested: shares.to_string(),
                delegated: d.shares.to_string(),
            }
            .into());
        }
        if let Some(h) = self.hooks() {
            h.before_delegation_shares_modified(ctx, del, &v.operator)?;
        }
        d.shares = Dec::from_atomics(d.shares.atomics() - shares.atomics());
        let is_self = *del == v.operator;
        if is_self && !v.jailed && v.tokens_for_shares(d.shares) < v.min_self_delegation {
            self.jail_validator(ctx, v)?;
        }
        if d.shares.is_zero() {
            self.remove_delegation(ctx, &d)?;
        } else {
            self.set_delegation(ctx, &d)?;
            if let Some(h) = self.hooks() {
                h.after_delegation_modified(ctx, del, &v.operator)?;
            }
        }
        let tokens = if shares == v.delegator_shares {
            v.tokens
        } else {
            v.tokens_for_shares(shares)
        };
        v.tokens -= tokens;
        v.delegator_shares = Dec::from_atomics(v.delegator_shares.atomics() - shares.atomics());
        if v.delegator_shares.is_zero() && v.status == crate::BondStatus::Unbonded {
            self.remove_validator(ctx, v)?;
        } else {
            self.set_validator(ctx, v)?;
        }
        Ok(tokens)
    }

    /// `MsgUndelegate`: the tokens leave the validator now and reach the delegator at the
    /// returned completion time (block time + unbonding time).
    pub fn undelegate(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        val: &Address,
        amount: &Coin,
    ) -> Result<(Time, u128)> {
        let p = self.params(ctx)?;
        crate::params::check_bond_coin(&p.bond_denom, amount)?;
        let mut v = self.must_validator(ctx, val)?;
        let shares = self.shares_to_unbond(ctx, del, &v, amount.amount)?;
        let mut ubd = self
            .unbonding_delegation(ctx, del, val)?
            .unwrap_or(UnbondingDelegation {
                delegator: *del,
                validator: *val,
                entries: Vec::new(),
            });
        if ubd.entries.len() >= p.max_entries as usize {
            return Err(StakingError::MaxEntries(p.max_entries).into());
        }
        let was_bonded = v.is_bonded();
        let tokens = self.unbond(ctx, del, &mut v, shares)?;
        if was_bonded {
            self.move_pool(ctx, BONDED_POOL, NOT_BONDED_POOL, tokens)?;
        }
        let completion = now(ctx).plus(params::unbonding_time(&p));
        if tokens > 0 {
            ubd.entries.push(UnbondingEntry {
                creation_height: height(ctx),
                completion_time: completion,
                initial_balance: tokens,
                balance: tokens,
            });
            self.set_unbonding(ctx, &ubd)?;
            ctx.set(
                keys::unbonding_queue(&completion.key(), del, val),
                Vec::new(),
            )?;
        }
        ctx.emit(
            Event::new("unbond")
                .attr("validator", valoper(val))
                .attr("delegator", del.to_bech32())
                .attr("amount", format!("{tokens}{}", p.bond_denom))
                .attr("completion_time", format!("{}", completion.seconds)),
        );
        Ok((completion, tokens))
    }

    /// `MsgBeginRedelegate`: moves stake from `src` to `dst` at once; the entry stays until the
    /// completion time so a slash of `src` for an earlier infraction still reaches it.
    pub fn begin_redelegation(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        src: &Address,
        dst: &Address,
        amount: &Coin,
    ) -> Result<Time> {
        if src == dst {
            return Err(StakingError::SelfRedelegation.into());
        }
        let p = self.params(ctx)?;
        crate::params::check_bond_coin(&p.bond_denom, amount)?;
        let mut src_v = self.must_validator(ctx, src)?;
        self.must_validator(ctx, dst)?;
        if self.has_receiving_redelegation(ctx, del, src)? {
            return Err(StakingError::TransitiveRedelegation(valoper(src)).into());
        }
        let mut red = self
            .redelegation(ctx, del, src, dst)?
            .unwrap_or(Redelegation {
                delegator: *del,
                src: *src,
                dst: *dst,
                entries: Vec::new(),
            });
        if red.entries.len() >= p.max_entries as usize {
            return Err(StakingError::MaxEntries(p.max_entries).into());
        }
        let shares = self.shares_to_unbond(ctx, del, &src_v, amount.amount)?;
        let src_status = src_v.status;
        let src_unbonding_time = src_v.unbonding_time;
        let tokens = self.unbond(ctx, del, &mut src_v, shares)?;
        if tokens == 0 {
            return Err(StakingError::BadDelegationAmount(
                "amount is too small to redelegate".into(),
            )
            .into());
        }
        let source = if src_status == crate::BondStatus::Bonded {
            TokenSource::BondedPool
        } else {
            TokenSource::NotBondedPool
        };
        let mut dst_v = self.must_validator(ctx, dst)?;
        let shares_dst = self.delegate(ctx, del, &mut dst_v, tokens, source)?;
        let now = now(ctx);
        let completion = match src_status {
            crate::BondStatus::Bonded => now.plus(params::unbonding_time(&p)),
            crate::BondStatus::Unbonding => src_unbonding_time,
            _ => now,
        };
        if completion > now {
            red.entries.push(RedelegationEntry {
                creation_height: height(ctx),
                completion_time: completion,
                initial_balance: tokens,
                shares_dst,
            });
            self.set_redelegation(ctx, &red)?;
            ctx.set(
                keys::redelegation_queue(&completion.key(), del, src, dst),
                Vec::new(),
            )?;
        }
        ctx.emit(
            Event::new("redelegate")
                .attr("source_validator", valoper(src))
                .attr("destination_validator", valoper(dst))
                .attr("amount", format!("{tokens}{}", p.bond_denom))
                .attr("completion_time", format!("{}", completion.seconds)),
        );
        Ok(completion)
    }

    /// `MsgCancelUnbondingDelegation`: delegates back (part of) the unbonding entry created at
    /// `creation_height`.
    pub fn cancel_unbonding(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        val: &Address,
        amount: &Coin,
        creation_height: i64,
    ) -> Result<()> {
        let p = self.params(ctx)?;
        crate::params::check_bond_coin(&p.bond_denom, amount)?;
        let mut v = self.must_validator(ctx, val)?;
        if v.jailed {
            return Err(StakingError::ValidatorJailed(valoper(val)).into());
        }
        let mut ubd = self.unbonding_delegation(ctx, del, val)?.ok_or_else(|| {
            StakingError::NoUnbondingDelegation {
                delegator: del.to_bech32(),
                validator: valoper(val),
            }
        })?;
        let now = now(ctx);
        let idx = ubd
            .entries
            .iter()
            .position(|e| e.creation_height == creation_height && e.completion_time > now)
            .ok_or(StakingError::NoUnbondingEntry(creation_height))?;
        let entry = &mut ubd.entries[idx];
        if amount.amount > entry.balance {
            return Err(StakingError::BadCancelAmount {
                requested: amount.to_string(),
                balance: format!("{}{}", entry.balance, p.bond_denom),
            }
            .into());
        }
        entry.balance -= amount.amount;
        entry.initial_balance = entry.initial_balance.saturating_sub(amount.amount);
        if entry.balance == 0 {
            ubd.entries.remove(idx);
        }
        self.delegate(ctx, del, &mut v, amount.amount, TokenSource::NotBondedPool)?;
        self.set_unbonding(ctx, &ubd)?;
        ctx.emit(
            Event::new("cancel_unbonding_delegation")
                .attr("validator", valoper(val))
                .attr("delegator", del.to_bech32())
                .attr("amount", amount.to_string())
                .attr("creation_height", creation_height.to_string()),
        );
        Ok(())
    }

    /// Pays out the matured entries of an unbonding delegation. Returns the tokens paid.
    pub fn complete_unbonding(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        val: &Address,
    ) -> Result<u128> {
        let Some(mut ubd) = self.unbonding_delegation(ctx, del, val)? else {
            return Ok(0);
        };
        let now = now(ctx);
        let mut paid = 0u128;
        ubd.entries.retain(|e| {
            if e.completion_time <= now {
                paid += e.balance;
                false
            } else {
                true
            }
        });
        self.set_unbonding(ctx, &ubd)?;
        if paid == 0 {
            return Ok(0);
        }
        let coins = self.coins(ctx, paid)?;
        self.bank
            .send_from_module(ctx, NOT_BONDED_POOL, del, &coins)?;
        ctx.emit(
            Event::new("complete_unbonding")
                .attr("validator", valoper(val))
                .attr("delegator", del.to_bech32())
                .attr("amount", paid.to_string()),
        );
        Ok(paid)
    }

    /// Drops the matured entries of a redelegation.
    pub fn complete_redelegation(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        src: &Address,
        dst: &Address,
    ) -> Result<()> {
        let Some(mut red) = self.redelegation(ctx, del, src, dst)? else {
            return Ok(());
        };
        let now = now(ctx);
        red.entries.retain(|e| e.completion_time > now);
        self.set_redelegation(ctx, &red)
    }
}

fn add_dec(a: Dec, b: Dec) -> Result<Dec> {
    a.atomics()
        .checked_add(b.atomics())
        .map(Dec::from_atomics)
        .ok_or_else(|| StakingError::Overflow("shares".into()).into())
}
