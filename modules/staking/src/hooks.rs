//! Notifications other modules take from staking (the Cosmos SDK's `StakingHooks`).
//! Distribution's F1 accounting needs them: it must settle a delegator's rewards before the
//! delegation's shares change, and a validator's period before it is slashed.

use openledger_framework::{AbciError, Address, Ctx, Dec};

/// Every method defaults to doing nothing. Errors abort the staking operation (and so the tx).
pub trait StakingHooks: Send + Sync {
    fn after_validator_created(&self, _ctx: &mut Ctx<'_>, _op: &Address) -> Result<(), AbciError> {
        Ok(())
    }
    fn after_validator_removed(
        &self,
        _ctx: &mut Ctx<'_>,
        _cons: &Address,
        _op: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    fn after_validator_bonded(
        &self,
        _ctx: &mut Ctx<'_>,
        _cons: &Address,
        _op: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    fn after_validator_begin_unbonding(
        &self,
        _ctx: &mut Ctx<'_>,
        _cons: &Address,
        _op: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    /// Called before a new delegation is created.
    fn before_delegation_created(
        &self,
        _ctx: &mut Ctx<'_>,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    /// Called before an existing delegation's shares change.
    fn before_delegation_shares_modified(
        &self,
        _ctx: &mut Ctx<'_>,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    fn after_delegation_modified(
        &self,
        _ctx: &mut Ctx<'_>,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    fn before_delegation_removed(
        &self,
        _ctx: &mut Ctx<'_>,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), AbciError> {
        Ok(())
    }
    /// Called before a validator's tokens are cut by `fraction` of what it has now (the
    /// effective fraction, after unbonding entries and redelegations took their part).
    fn before_validator_slashed(
        &self,
        _ctx: &mut Ctx<'_>,
        _op: &Address,
        _fraction: Dec,
    ) -> Result<(), AbciError> {
        Ok(())
    }
}

/// Several hooks run in a fixed order (distribution before slashing, as in the Cosmos SDK), since
/// [`StakingKeeper::set_hooks`](crate::StakingKeeper::set_hooks) takes one. The first error stops
/// the rest.
pub struct MultiStakingHooks(pub Vec<std::sync::Arc<dyn StakingHooks>>);

macro_rules! fan_out {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        impl StakingHooks for MultiStakingHooks {
            $(fn $name(&self, ctx: &mut Ctx<'_>, $($arg: $ty),*) -> Result<(), AbciError> {
                for h in &self.0 {
                    h.$name(ctx, $($arg),*)?;
                }
                Ok(())
            })*
        }
    };
}

fan_out! {
    after_validator_created(op: &Address);
    after_validator_removed(cons: &Address, op: &Address);
    after_validator_bonded(cons: &Address, op: &Address);
    after_validator_begin_unbonding(cons: &Address, op: &Address);
    before_delegation_created(del: &Address, val: &Address);
    before_delegation_shares_modified(del: &Address, val: &Address);
    after_delegation_modified(del: &Address, val: &Address);
    before_delegation_removed(del: &Address, val: &Address);
    before_validator_slashed(op: &Address, fraction: Dec);
}
