//! Double signing: what the SDK's `x/evidence` does with CometBFT's misbehaviour
//! (`HandleEquivocationEvidence`), for duplicate votes and light-client attacks alike.

use openledger_framework::{Ctx, Event, Misbehavior, Result};
use openledger_staking::{BondStatus, Time};

use crate::{
    DOUBLE_SIGN_JAIL_END, Params, SigningInfo, SlashingKeeper, VALIDATOR_UPDATE_DELAY, height, now,
    valcons,
};

/// What became of one piece of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceOutcome {
    /// Slashed, jailed and tombstoned; the tokens burned.
    Punished { burned: u128 },
    /// No validator has this consensus address, or it is unbonded.
    UnknownOrUnbonded,
    /// The validator is already tombstoned (punished once for good).
    AlreadyTombstoned,
    /// Older than staking's unbonding time (the stake may have left), or from the future.
    OutOfRange,
}

impl SlashingKeeper {
    /// Handles one piece of evidence as `x/evidence` does.
    ///
    /// Evidence is too old when `block time − evidence time` exceeds staking's
    /// `unbonding_time` (the SDK uses CometBFT's evidence max age, which must not exceed the
    /// unbonding time; after it the delegations that signed may be gone, so slashing them is
    /// no longer sound). Evidence for a height above the current one is ignored too.
    pub fn handle_misbehavior(
        &self,
        ctx: &mut Ctx<'_>,
        p: &Params,
        m: &Misbehavior,
    ) -> Result<EvidenceOutcome> {
        let cons = m.validator;
        let Some(v) = self.staking.validator_by_cons_addr(ctx, &cons)? else {
            return Ok(EvidenceOutcome::UnknownOrUnbonded);
        };
        if v.status == BondStatus::Unbonded {
            return Ok(EvidenceOutcome::UnknownOrUnbonded);
        }
        let h = height(ctx);
        let infraction_time = Time::new(m.time_seconds, m.time_nanos.min(999_999_999) as i32);
        let max_age = openledger_staking::params::unbonding_time(&self.staking.params(ctx)?);
        if m.height > h || infraction_time.plus(max_age) < now(ctx) {
            return Ok(EvidenceOutcome::OutOfRange);
        }
        let mut info = self
            .signing_info(ctx, &cons)?
            .unwrap_or_else(|| SigningInfo::new(cons, h));
        if info.tombstoned {
            return Ok(EvidenceOutcome::AlreadyTombstoned);
        }
        // The stake that signed at the infraction height was chosen VALIDATOR_UPDATE_DELAY
        // blocks before it.
        let distribution_height = m.height - VALIDATOR_UPDATE_DELAY;
        let burned = self.staking.slash(
            ctx,
            &cons,
            distribution_height,
            m.power,
            p.slash_fraction_double_sign,
        )?;
        let addr = valcons(&cons);
        ctx.emit(
            Event::new("slash")
                .attr("address", addr.clone())
                .attr("power", m.power.to_string())
                .attr("reason", "double_sign")
                .attr("burned_coins", burned.to_string()),
        );
        if !v.jailed {
            self.staking.jail(ctx, &cons)?;
            ctx.emit(Event::new("slash").attr("jailed", addr.clone()));
        }
        info.jailed_until = DOUBLE_SIGN_JAIL_END;
        info.tombstoned = true;
        self.set_signing_info(ctx, &info)?;
        self.staking.tombstone(ctx, &cons)?;
        Ok(EvidenceOutcome::Punished { burned })
    }
}
