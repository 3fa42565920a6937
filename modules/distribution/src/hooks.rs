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
        self.update_validator_slash_fraction(ctx, op, fraction)
    }
}
