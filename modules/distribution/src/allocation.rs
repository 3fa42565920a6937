//! Begin block: everything in the fee collector (the previous block's fees and what mint just
//! minted) moves to the distribution module account and is allocated to the validators of the
//! previous block's commit by voting power, after the community tax (Cosmos SDK
//! `AllocateTokens`).

use openledger_framework::{Address, Ctx, Dec, Event, VoteInfo, math};
use openledger_staking::{Validator, valoper};

use crate::dec_coins::DecCoins;
use crate::keeper::{Result, dc_err};
use crate::{DistributionError, DistributionKeeper, MODULE_NAME};

impl DistributionKeeper {
    /// The module's begin block. Allocation needs the previous block's votes: it is skipped at
    /// height 1 (as in the SDK) and when `last_commit` is empty (the fees wait in the fee
    /// collector for the next block).
    pub fn begin_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        if ctx.block.height > 1 && !ctx.block.last_commit.is_empty() {
            let votes = ctx.block.last_commit.clone();
            let total: i64 = votes
                .iter()
                .map(|v| v.power.max(0))
                .fold(0i64, i64::saturating_add);
            self.allocate_tokens(ctx, total, &votes)?;
        }
        if let Some(proposer) = ctx.block.proposer {
            self.set_previous_proposer(ctx, &proposer)?;
        }
        Ok(())
    }

    /// Moves the fee collector's whole balance to the distribution module and allocates it:
    /// `community_tax` and any rounding remainder to the community pool, the rest to each voter
    /// by its share of `total_power`. With no power at all, everything goes to the pool.
    pub fn allocate_tokens(
        &self,
        ctx: &mut Ctx<'_>,
        total_power: i64,
        votes: &[VoteInfo],
    ) -> Result<()> {
        let collector = Address::module(self.fee_collector);
        let fees = self.bank.all_balances(&mut ctx.state(), &collector)?;
        if fees.is_empty() {
            return Ok(());
        }
        self.bank
            .send_module_to_module(ctx, self.fee_collector, MODULE_NAME, &fees)?;
        let collected = DecCoins::from_coins(&fees).map_err(dc_err)?;
        if total_power <= 0 {
            return self.add_to_community_pool(ctx, &collected);
        }
        let tax = self.params(ctx)?.community_tax;
        let vote_multiplier = math::sub(Dec::ONE, tax)
            .ok_or_else(|| DistributionError::Corrupt(format!("community tax {tax}")))?;
        let fee_multiplier = collected
            .mul_dec_truncate(vote_multiplier)
            .map_err(dc_err)?;
        let total = int_dec(total_power)?;
        let mut remaining = collected;
        for vote in votes {
            let Some(v) = self.staking.validator_by_cons_addr(ctx, &vote.validator)? else {
                // A validator that is gone: its share stays in `remaining`, for the pool.
                continue;
            };
            let fraction = math::quo_trunc(int_dec(vote.power.max(0))?, total)
                .ok_or_else(|| DistributionError::Overflow("power fraction".into()))?;
            let reward = fee_multiplier.mul_dec_truncate(fraction).map_err(dc_err)?;
            self.allocate_tokens_to_validator(ctx, &v, &reward)?;
            remaining = remaining.checked_sub(&reward).map_err(dc_err)?;
        }
        self.add_to_community_pool(ctx, &remaining)
    }

    /// Credits `tokens` (already in the distribution module account) to a validator: its
    /// commission rate's share (rounded) to its accumulated commission, the rest to its
    /// delegators' current rewards; all of it to its outstanding rewards.
    pub fn allocate_tokens_to_validator(
        &self,
        ctx: &mut Ctx<'_>,
        v: &Validator,
        tokens: &DecCoins,
    ) -> Result<()> {
        let val = v.operator;
        let commission = tokens.mul_dec(v.commission.rate).map_err(dc_err)?;
        let shared = tokens.checked_sub(&commission).map_err(dc_err)?;
        ctx.emit(
            Event::new("commission")
                .attr("amount", commission.to_string())
                .attr("validator", valoper(&val)),
        );
        let mut current = self.current_or_init(ctx, &val)?;
        let accumulated = self
            .accumulated_commission(ctx, &val)?
            .add(&commission)
            .map_err(dc_err)?;
        self.set_accumulated_commission(ctx, &val, &accumulated)?;
        current.rewards = current.rewards.add(&shared).map_err(dc_err)?;
        self.set_current_rewards(ctx, &val, &current)?;
        ctx.emit(
            Event::new("rewards")
                .attr("amount", tokens.to_string())
                .attr("validator", valoper(&val)),
        );
        let outstanding = self
            .outstanding_rewards(ctx, &val)?
            .add(tokens)
            .map_err(dc_err)?;
        self.set_outstanding_rewards(ctx, &val, &outstanding)
    }
}

fn int_dec(n: i64) -> Result<Dec> {
    math::from_int(u128::try_from(n.max(0)).unwrap_or(0))
        .ok_or_else(|| DistributionError::Overflow("power".into()).into())
}
