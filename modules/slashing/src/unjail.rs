//! `MsgUnjail`: the SDK's `Keeper.Unjail`, then staking's unjail.

use openledger_framework::{Address, Ctx, Result};
use openledger_staking::genesis::format_time;
use openledger_staking::valoper;

use crate::{SlashingError, SlashingKeeper, now};

impl SlashingKeeper {
    /// Unjails the validator with operator address `op`, with the SDK's checks in its order:
    /// it exists, has a self-delegation of at least its minimum, is jailed, is not tombstoned
    /// and its jail time is over. (A jailed validator without signing info never bonded; it
    /// was jailed by staking and may unjail at once, as in the SDK.) Staking's own
    /// `check_unjail` runs again inside `unjail` and agrees.
    pub fn unjail(&self, ctx: &mut Ctx<'_>, op: &Address) -> Result<()> {
        let name = valoper(op);
        let v = self
            .staking
            .validator(ctx, op)?
            .ok_or_else(|| SlashingError::NoValidatorForAddress(name.clone()))?;
        let own = self
            .staking
            .delegation(ctx, op, op)?
            .ok_or_else(|| SlashingError::MissingSelfDelegation(name.clone()))?;
        let tokens = v.tokens_for_shares(own.shares);
        if tokens < v.min_self_delegation {
            return Err(SlashingError::SelfDelegationTooLowToUnjail {
                amount: tokens.to_string(),
                min: v.min_self_delegation.to_string(),
            }
            .into());
        }
        if !v.jailed {
            return Err(SlashingError::ValidatorNotJailed(name).into());
        }
        let cons = v.cons_address();
        if let Some(info) = self.signing_info(ctx, &cons)? {
            if info.tombstoned {
                return Err(SlashingError::ValidatorJailed(format!(
                    "{name} is tombstoned for double signing and can never be unjailed"
                ))
                .into());
            }
            if now(ctx) < info.jailed_until {
                return Err(SlashingError::ValidatorJailed(format!(
                    "{name} is jailed until {}",
                    format_time(info.jailed_until)
                ))
                .into());
            }
        }
        self.staking.unjail(ctx, &cons)
    }
}
