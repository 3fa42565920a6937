//! Liveness: the SDK's `HandleValidatorSignature`, once per vote of the last commit.

use openledger_framework::{Address, Ctx, Event, Result};

use crate::{Params, SlashingKeeper, VALIDATOR_UPDATE_DELAY, height, now, valcons};

impl SlashingKeeper {
    /// Records whether the validator with consensus address `cons` signed the previous block
    /// and, when it missed too many of its window, slashes and jails it.
    ///
    /// Skipped (as the SDK skips jailed validators) when the validator is jailed, unknown to
    /// staking, or has no signing info: the SDK halts the chain on the last two, which can only
    /// follow a wiring mistake; here the vote is simply not counted.
    pub fn handle_validator_signature(
        &self,
        ctx: &mut Ctx<'_>,
        p: &Params,
        cons: &Address,
        power: i64,
        signed: bool,
    ) -> Result<()> {
        let h = height(ctx);
        let Some(v) = self.staking.validator_by_cons_addr(ctx, cons)? else {
            return Ok(());
        };
        if v.jailed {
            return Ok(());
        }
        let Some(mut info) = self.signing_info(ctx, cons)? else {
            return Ok(());
        };
        let window = p.signed_blocks_window;
        let index = info.index_offset.rem_euclid(window);
        info.index_offset = info.index_offset.saturating_add(1);

        let previous = self.is_missed(ctx, cons, index)?;
        let missed = !signed;
        if previous != missed {
            self.set_missed(ctx, cons, index, missed)?;
            info.missed_blocks_counter += if missed { 1 } else { -1 };
        }
        let addr = valcons(cons);
        if missed {
            ctx.emit(
                Event::new("liveness")
                    .attr("address", addr.clone())
                    .attr("missed_blocks", info.missed_blocks_counter.to_string())
                    .attr("height", h.to_string()),
            );
        }

        let min_height = info.start_height.saturating_add(window);
        if h > min_height && info.missed_blocks_counter > p.max_missed_blocks() {
            // The stake that signed the block: the last commit is of h − 1, whose validator
            // set was chosen at h − 1 − VALIDATOR_UPDATE_DELAY.
            let distribution_height = h - VALIDATOR_UPDATE_DELAY - 1;
            let burned = self.staking.slash(
                ctx,
                cons,
                distribution_height,
                power,
                p.slash_fraction_downtime,
            )?;
            ctx.emit(
                Event::new("slash")
                    .attr("address", addr.clone())
                    .attr("power", power.to_string())
                    .attr("reason", "missing_signature")
                    .attr("jailed", addr)
                    .attr("burned_coins", burned.to_string()),
            );
            self.staking.jail(ctx, cons)?;
            info.jailed_until = now(ctx).plus(p.downtime_jail_duration);
            // A fresh window, so that the validator is not slashed again as soon as it
            // rebonds; the bonded hook sets the new start height.
            info.missed_blocks_counter = 0;
            info.index_offset = 0;
            self.clear_missed_blocks(ctx, cons)?;
        }
        self.set_signing_info(ctx, &info)
    }
}
