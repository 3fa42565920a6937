//! What slashing does when staking's validators change (the SDK's slashing `Hooks`).

use openledger_framework::{AbciError, Address, Ctx};
use openledger_staking::StakingHooks;

use crate::{SigningInfo, SlashingKeeper, height};

/// Slashing's [`StakingHooks`]: install them on the staking keeper (beside distribution's, in
/// `MultiStakingHooks`).
#[derive(Clone)]
pub struct SlashingHooks {
    keeper: SlashingKeeper,
}

impl SlashingHooks {
    pub fn new(keeper: SlashingKeeper) -> Self {
        Self { keeper }
    }
}

impl StakingHooks for SlashingHooks {
    /// A validator entering the bonded set gets a signing info starting now; one that had a
    /// record (bonded before) keeps it with its start height moved to now, as in SDK v0.50,
    /// so its first window after an unjail is a whole one.
    fn after_validator_bonded(
        &self,
        ctx: &mut Ctx<'_>,
        cons: &Address,
        _op: &Address,
    ) -> Result<(), AbciError> {
        let h = height(ctx);
        let info = match self.keeper.signing_info(ctx, cons)? {
            Some(info) => SigningInfo {
                start_height: h,
                ..info
            },
            None => SigningInfo::new(*cons, h),
        };
        self.keeper.set_signing_info(ctx, &info)
    }

    /// A removed validator's bitmap and signing info go. A tombstoned record stays, so that
    /// the consensus key stays tombstoned if a new validator ever reuses it (as the SDK, which
    /// never deletes signing infos, keeps it).
    fn after_validator_removed(
        &self,
        ctx: &mut Ctx<'_>,
        cons: &Address,
        _op: &Address,
    ) -> Result<(), AbciError> {
        self.keeper.clear_missed_blocks(ctx, cons)?;
        match self.keeper.signing_info(ctx, cons)? {
            Some(mut info) if info.tombstoned => {
                info.missed_blocks_counter = 0;
                info.index_offset = 0;
                self.keeper.set_signing_info(ctx, &info)
            }
            Some(_) => self.keeper.delete_signing_info(ctx, cons),
            None => Ok(()),
        }
    }
}
