//! Distribution listens to staking (the SDK's distribution `Hooks`): it settles a delegation's
//! rewards before its shares change, starts a new accounting period after, and records slashes
//! so rewards earned before a slash are paid on the stake as it was then.

use openledger_framework::{AbciError, Address, Ctx, Dec};
use openledger_staking::StakingHooks;

use crate::DistributionKeeper;
use crate::rewards::no_delegation;

impl StakingHooks for DistributionKeeper {
    fn after_validator_created(&self, ctx: &mut Ctx<'_>, op: &Address) -> Result<(), AbciError> {
        self.initialize_validator(ctx, op)
    }

    fn after_validator_removed(
        &self,
        ctx: &mut Ctx<'_>,
        _cons: &Address,
        op: &Address,
    ) -> Result<(), AbciError> {
        self.remove_validator_records(ctx, op)
    }

    fn before_delegation_created(
        &self,
        ctx: &mut Ctx<'_>,
        _del: &Address,
        val: &Address,
    ) -> Result<(), AbciError> {
        let v = self.must_staking_validator(ctx, val)?;
        self.increment_validator_period(ctx, &v)?;
        Ok(())
    }

    /// Withdraws the delegator's rewards to its withdraw address (SDK behaviour). A delegation
    /// distribution never tracked (non-exported staking genesis) has nothing to settle.
    fn before_delegation_shares_modified(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        val: &Address,
    ) -> Result<(), AbciError> {
        let v = self.must_staking_validator(ctx, val)?;
        let d = self
            .staking
            .delegation(ctx, del, val)?
            .ok_or_else(|| no_delegation(del, val))?;
        if self.starting_info(ctx, val, del)?.is_some() {
            self.settle_delegation(ctx, &v, &d)?;
        } else {
            self.increment_validator_period(ctx, &v)?;
        }
        Ok(())
    }

    fn after_delegation_modified(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        val: &Address,
    ) -> Result<(), AbciError> {
        self.initialize_delegation(ctx, val, del)
    }

    fn before_validator_slashed(
        &self,
        ctx: &mut Ctx<'_>,
        op: &Address,
        fraction: Dec,
    ) -> Result<(), AbciError> {
        let v = self.must_staking_validator(ctx, op)?;
        let fraction = rounded_up_fraction(v.tokens, fraction);
        self.update_validator_slash_fraction(ctx, op, fraction)
    }
}

/// The slashed fraction of a validator's `tokens`, rounded UP at the 18th decimal as the SDK's
/// staking computes it (`QuoRoundUp(tokensToBurn, tokens)`), so the stake F1 rebuilds after
/// the slash never exceeds what the delegators' shares are worth. Staking hands us
/// `floor(burned / tokens)`; the burned amount is recovered from it (exactly, whenever
/// `tokens < 10^18`) and the fraction recomputed rounding up. A fraction already rounded up is
/// recognised and kept.
pub(crate) fn rounded_up_fraction(tokens: u128, fraction: Dec) -> Dec {
    use openledger_framework::math::{mul_div_ceil, mul_div_floor};
    let one = Dec::ONE.atomics();
    let f = fraction.atomics();
    if tokens == 0 || f == 0 || f >= one {
        return fraction.min(Dec::ONE);
    }
    let candidates = [mul_div_ceil(f, tokens, one), mul_div_floor(f, tokens, one)];
    for burned in candidates.into_iter().flatten() {
        let (Some(down), Some(up)) = (
            mul_div_floor(burned, one, tokens),
            mul_div_ceil(burned, one, tokens),
        ) else {
            continue;
        };
        if down == f || up == f {
            return Dec::from_atomics(up.min(one));
        }
    }
    Dec::from_atomics((f + 1).min(one))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_fractions_round_up() {
        let d = |s: &str| s.parse::<Dec>().unwrap();
        // Exact: unchanged.
        assert_eq!(rounded_up_fraction(20_000_000, d("0.1")), d("0.1"));
        // 1 of 3 tokens: staking says 0.333…333, the SDK 0.333…334.
        assert_eq!(
            rounded_up_fraction(3, d("0.333333333333333333")),
            d("0.333333333333333334")
        );
        // Already rounded up: kept.
        assert_eq!(
            rounded_up_fraction(3, d("0.333333333333333334")),
            d("0.333333333333333334")
        );
        assert_eq!(rounded_up_fraction(7, Dec::ONE), Dec::ONE);
        assert_eq!(rounded_up_fraction(0, d("0.5")), d("0.5"));
    }
}
