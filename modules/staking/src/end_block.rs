//! Block hooks: historical info in begin block; in end block the active set, its changes for
//! CometBFT, and the matured unbonding validators, unbonding delegations and redelegations.

use std::collections::{BTreeMap, BTreeSet};

use cosmrs::proto::cosmos::staking::v1beta1::HistoricalInfo;
use cosmrs::proto::tendermint::types::Header;
use openledger_framework::{Address, Ctx, Event, Result};
use prost::Message;

use crate::{
    BONDED_POOL, BondStatus, NOT_BONDED_POOL, POWER_REDUCTION, StakingKeeper, Time, Validator,
    ValidatorUpdate, height, keys, now, params, valoper,
};

impl StakingKeeper {
    /// Begin block: stores this height's header and bonded set (for IBC's light clients and the
    /// `HistoricalInfo` query) and prunes entries older than `historical_entries`.
    pub fn track_historical_info(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let p = self.params(ctx)?;
        let h = height(ctx);
        let keep = i64::from(p.historical_entries);
        // One entry falls out of the window per block; after `historical_entries` was lowered,
        // the older ones below it go too (walking down until a gap).
        let mut old = h - keep;
        while old > 0 && ctx.get(&keys::historical_info(old))?.is_some() {
            ctx.delete(keys::historical_info(old))?;
            old -= 1;
        }
        if keep == 0 {
            return Ok(());
        }
        let valset = self
            .bonded_validators(ctx)?
            .iter()
            .map(Validator::to_proto)
            .collect();
        let info = HistoricalInfo {
            header: Some(Header {
                chain_id: ctx.block.chain_id.clone(),
                height: h,
                time: Some(now(ctx).to_proto()),
                app_hash: ctx.block.app_hash.clone(),
                next_validators_hash: ctx.block.next_validators_hash.clone(),
                ..Default::default()
            }),
            valset,
        };
        ctx.set(keys::historical_info(h), info.encode_to_vec())
    }

    /// End block: recomputes the active set (the top `max_validators` by tokens among those not
    /// jailed with at least 10^6 tokens, ties by operator address), bonds newcomers and starts
    /// unbonding leavers (moving their tokens between the pools), then matures the queues.
    /// Returns the changes since the last block for CometBFT: newcomers and power changes in
    /// rank order, then leavers (power 0) by operator address.
    pub fn end_block_updates(&self, ctx: &mut Ctx<'_>) -> Result<Vec<ValidatorUpdate>> {
        let updates = self.apply_validator_set_updates(ctx)?;
        self.unbond_mature_validators(ctx)?;
        self.complete_mature_unbondings(ctx)?;
        self.complete_mature_redelegations(ctx)?;
        Ok(updates)
    }

    /// The active-set part of [`end_block_updates`](Self::end_block_updates), without the
    /// queues: also what gentx delivery returns as the first validator set.
    pub fn apply_validator_set_updates(&self, ctx: &mut Ctx<'_>) -> Result<Vec<ValidatorUpdate>> {
        let p = self.params(ctx)?;
        let last = self.last_validator_powers(ctx)?;
        let mut candidates: Vec<Validator> = self
            .all_validators(ctx)?
            .into_iter()
            .filter(|v| !v.jailed && v.tokens >= POWER_REDUCTION)
            .collect();
        candidates.sort_by(|a, b| b.tokens.cmp(&a.tokens).then(a.operator.cmp(&b.operator)));
        candidates.truncate(p.max_validators as usize);

        let mut updates = Vec::new();
        let mut next: BTreeMap<Address, i64> = BTreeMap::new();
        for mut v in candidates {
            if !v.is_bonded() {
                self.bond_validator(ctx, &mut v)?;
            }
            let power = v.power();
            if last.get(&v.operator) != Some(&power) {
                updates.push(ValidatorUpdate {
                    pub_key_ed25519: v.consensus_pubkey,
                    power,
                });
                ctx.set(
                    keys::last_power(&v.operator),
                    power.to_string().into_bytes(),
                )?;
            }
            next.insert(v.operator, power);
        }
        for op in last.keys().filter(|op| !next.contains_key(op)) {
            let mut v = self.must_validator(ctx, op)?;
            self.begin_unbonding_validator(ctx, &mut v, &p)?;
            updates.push(ValidatorUpdate {
                pub_key_ed25519: v.consensus_pubkey,
                power: 0,
            });
            ctx.delete(keys::last_power(op))?;
        }
        let total: i64 = next.values().fold(0i64, |a, b| a.saturating_add(*b));
        if total != self.last_total_power(ctx)? {
            ctx.set(
                keys::last_total_power().to_string(),
                total.to_string().into_bytes(),
            )?;
        }
        Ok(updates)
    }

    fn bond_validator(&self, ctx: &mut Ctx<'_>, v: &mut Validator) -> Result<()> {
        if v.status == BondStatus::Unbonding {
            ctx.delete(keys::validator_queue(&v.unbonding_time.key(), &v.operator))?;
        }
        self.move_pool(ctx, NOT_BONDED_POOL, BONDED_POOL, v.tokens)?;
        v.status = BondStatus::Bonded;
        v.unbonding_height = 0;
        v.unbonding_time = Time::default();
        self.set_validator(ctx, v)?;
        if let Some(h) = self.hooks() {
            h.after_validator_bonded(ctx, &v.cons_address(), &v.operator)?;
        }
        ctx.emit(Event::new("bond_validator").attr("validator", valoper(&v.operator)));
        Ok(())
    }

    fn begin_unbonding_validator(
        &self,
        ctx: &mut Ctx<'_>,
        v: &mut Validator,
        p: &cosmrs::proto::cosmos::staking::v1beta1::Params,
    ) -> Result<()> {
        self.move_pool(ctx, BONDED_POOL, NOT_BONDED_POOL, v.tokens)?;
        v.status = BondStatus::Unbonding;
        v.unbonding_height = height(ctx);
        v.unbonding_time = now(ctx).plus(params::unbonding_time(p));
        self.set_validator(ctx, v)?;
        ctx.set(
            keys::validator_queue(&v.unbonding_time.key(), &v.operator),
            Vec::new(),
        )?;
        if let Some(h) = self.hooks() {
            h.after_validator_begin_unbonding(ctx, &v.cons_address(), &v.operator)?;
        }
        ctx.emit(Event::new("begin_unbonding_validator").attr("validator", valoper(&v.operator)));
        Ok(())
    }

    /// Keys of a queue whose time has come, in time order.
    fn matured(&self, ctx: &mut Ctx<'_>, prefix: &str) -> Result<Vec<String>> {
        let now = now(ctx).key();
        let mut out = Vec::new();
        for (k, _) in ctx.prefix(prefix)? {
            match keys::queue_time(prefix, &k) {
                Some(t) if t <= now.as_str() => out.push(k),
                _ => break,
            }
        }
        Ok(out)
    }

    fn unbond_mature_validators(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let now = now(ctx);
        for k in self.matured(ctx, keys::validator_queue_all())? {
            ctx.delete(k.clone())?;
            let Some([op]) = keys::queue_addresses(keys::validator_queue_all(), &k)
                .and_then(|a| <[Address; 1]>::try_from(a).ok())
            else {
                continue;
            };
            let Some(mut v) = self.validator(ctx, &op)? else {
                continue;
            };
            if v.status != BondStatus::Unbonding || v.unbonding_time > now {
                continue;
            }
            v.status = BondStatus::Unbonded;
            if v.delegator_shares.is_zero() {
                self.remove_validator(ctx, &v)?;
            } else {
                self.set_validator(ctx, &v)?;
            }
        }
        Ok(())
    }

    fn complete_mature_unbondings(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let mut pairs = BTreeSet::new();
        for k in self.matured(ctx, keys::unbonding_queue_all())? {
            ctx.delete(k.clone())?;
            if let Some([del, val]) = keys::queue_addresses(keys::unbonding_queue_all(), &k)
                .and_then(|a| <[Address; 2]>::try_from(a).ok())
            {
                pairs.insert((del, val));
            }
        }
        for (del, val) in pairs {
            self.complete_unbonding(ctx, &del, &val)?;
        }
        Ok(())
    }

    fn complete_mature_redelegations(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let mut triples = BTreeSet::new();
        for k in self.matured(ctx, keys::redelegation_queue_all())? {
            ctx.delete(k.clone())?;
            if let Some([del, src, dst]) = keys::queue_addresses(keys::redelegation_queue_all(), &k)
                .and_then(|a| <[Address; 3]>::try_from(a).ok())
            {
                triples.insert((del, src, dst));
            }
        }
        for (del, src, dst) in triples {
            self.complete_redelegation(ctx, &del, &src, &dst)?;
        }
        Ok(())
    }
}
