//! The staking module (Cosmos `x/staking` semantics, `cosmos.staking.v1beta1` messages, queries
//! and genesis): validators with commission and a consensus key, delegations in shares,
//! unbonding and redelegation with completion times matured in end block, the bonded and
//! not-bonded pools, and the validator set changes returned to CometBFT.
//!
//! Layout: [`types`] (typed validators, delegations, …), the keeper's storage accessors in this
//! file, [`validator`] (create/edit), [`delegation`] (delegate, undelegate, redelegate, cancel),
//! [`end_block`] (the active set, queues, historical info), [`slash`] (the hooks slashing uses),
//! [`msgs`], [`query`], [`genesis`] (with gentxs).
//!
//! Invariants (tested): the bonded pool holds exactly the tokens of the bonded validators; the
//! not-bonded pool holds the tokens of the others plus every unbonding entry's balance.

pub mod delegation;
pub mod end_block;
pub mod error;
pub mod genesis;
pub mod hooks;
pub mod keys;
pub mod math;
pub mod msgs;
pub mod params;
pub mod query;
pub mod slash;
#[cfg(feature = "testutil")]
pub mod testutil;
pub mod types;
pub mod validator;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use openledger_bank::BankKeeper;
use openledger_framework::coins::parse_amount;
use openledger_framework::{
    Address, Coin, Coins, Ctx, KvRead, Module, MsgServiceRouter, QueryRouter, Result, StateRead,
};
use prost::Message;

pub use error::StakingError;
pub use hooks::{MultiStakingHooks, StakingHooks};
pub use types::{
    BondStatus, Commission, Delegation, Redelegation, RedelegationEntry, Time, UnbondingDelegation,
    UnbondingEntry, Validator, ValidatorUpdate, cons_address, valoper,
};

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// Module account holding the tokens of bonded validators.
pub const BONDED_POOL: &str = "bonded_tokens_pool";
/// Module account holding the tokens of unbonding/unbonded validators and of unbonding entries.
pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";
/// Tokens per unit of CometBFT voting power (10^6 uopen = 1 OPEN = power 1).
pub const POWER_REDUCTION: u128 = 1_000_000;

fn load<M: Message + Default>(r: &mut impl StateRead, key: &str) -> Result<Option<M>> {
    match r.read(key)? {
        None => Ok(None),
        Some(b) => M::decode(b.as_slice())
            .map(Some)
            .map_err(|e| StakingError::Corrupt(format!("{key}: {e}")).into()),
    }
}

fn decode<M: Message + Default>(key: &str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| StakingError::Corrupt(format!("{key}: {e}")).into())
}

fn read_i64(r: &mut impl StateRead, key: &str) -> Result<Option<i64>> {
    match r.read(key)? {
        None => Ok(None),
        Some(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or_else(|| StakingError::Corrupt(format!("{key}: not an integer")).into()),
    }
}

/// Keeper of validators, delegations and the pools: the only way into staking state. Other
/// modules (distribution, slashing, gov) use its public methods; see [`slash`] for the hooks
/// slashing needs and [`StakingHooks`] for the notifications distribution needs.
#[derive(Clone)]
pub struct StakingKeeper {
    bank: BankKeeper,
    authority: Address,
    hooks: Arc<OnceLock<Arc<dyn StakingHooks>>>,
}

impl StakingKeeper {
    /// `authority` is the only signer allowed to send `MsgUpdateParams` (the gov module account).
    pub fn new(bank: BankKeeper, authority: Address) -> Self {
        Self {
            bank,
            authority,
            hooks: Arc::new(OnceLock::new()),
        }
    }

    /// Installs the hooks (distribution's), once; every clone of this keeper sees them. Returns
    /// false if hooks were already set.
    pub fn set_hooks(&self, hooks: Arc<dyn StakingHooks>) -> bool {
        self.hooks.set(hooks).is_ok()
    }

    pub(crate) fn hooks(&self) -> Option<&Arc<dyn StakingHooks>> {
        self.hooks.get()
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn bank(&self) -> &BankKeeper {
        &self.bank
    }

    // --- params ---

    pub fn params(&self, r: &mut impl StateRead) -> Result<pb::Params> {
        Ok(load(r, keys::params())?.unwrap_or_else(params::default_params))
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &pb::Params) -> Result<()> {
        params::validate(p)?;
        ctx.set(keys::params().into(), p.encode_to_vec())
    }

    pub fn bond_denom(&self, r: &mut impl StateRead) -> Result<String> {
        Ok(self.params(r)?.bond_denom)
    }

    // --- validators ---

    pub fn validator(&self, r: &mut impl StateRead, op: &Address) -> Result<Option<Validator>> {
        match load::<pb::Validator>(r, &keys::validator(op))? {
            None => Ok(None),
            Some(v) => Ok(Some(Validator::from_proto(&v)?)),
        }
    }

    /// The validator, or `NoValidatorFound`.
    pub fn must_validator(&self, r: &mut impl StateRead, op: &Address) -> Result<Validator> {
        self.validator(r, op)?
            .ok_or_else(|| StakingError::NoValidatorFound(valoper(op)).into())
    }

    /// The validator whose consensus key has this address (`sha256(pubkey)[..20]`, what
    /// CometBFT reports in commit info and misbehaviour).
    pub fn validator_by_cons_addr(
        &self,
        r: &mut impl StateRead,
        cons: &Address,
    ) -> Result<Option<Validator>> {
        let Some(hex) = r.read(&keys::by_cons_addr(cons))? else {
            return Ok(None);
        };
        let op = std::str::from_utf8(&hex)
            .ok()
            .and_then(|h| Address::from_hex(h).ok())
            .ok_or_else(|| StakingError::Corrupt("consensus address index".into()))?;
        self.validator(r, &op)
    }

    /// Every validator, by operator address.
    pub fn all_validators(&self, r: &mut impl StateRead) -> Result<Vec<Validator>> {
        r.read_prefix(keys::all_validators())?
            .into_iter()
            .map(|(k, v)| Ok(Validator::from_proto(&decode::<pb::Validator>(&k, &v)?)?))
            .collect()
    }

    /// The validators in the set last sent to CometBFT, by operator address.
    pub fn bonded_validators(&self, r: &mut impl StateRead) -> Result<Vec<Validator>> {
        let mut out = Vec::new();
        for op in self.last_validator_powers(r)?.keys() {
            out.push(self.must_validator(r, op)?);
        }
        Ok(out)
    }

    pub(crate) fn set_validator(&self, ctx: &mut Ctx<'_>, v: &Validator) -> Result<()> {
        ctx.set(keys::validator(&v.operator), v.to_proto().encode_to_vec())
    }

    pub(crate) fn remove_validator(&self, ctx: &mut Ctx<'_>, v: &Validator) -> Result<()> {
        ctx.delete(keys::validator(&v.operator))?;
        ctx.delete(keys::by_cons_addr(&v.cons_address()))?;
        if let Some(h) = self.hooks() {
            h.after_validator_removed(ctx, &v.cons_address(), &v.operator)?;
        }
        Ok(())
    }

    /// Whether the validator double-signed and may never be unjailed.
    pub fn is_tombstoned(&self, r: &mut impl StateRead, op: &Address) -> Result<bool> {
        Ok(r.read(&keys::tombstoned(op))?.is_some())
    }

    // --- the last validator set ---

    /// Power of each validator in the set last sent to CometBFT.
    pub fn last_validator_powers(&self, r: &mut impl StateRead) -> Result<BTreeMap<Address, i64>> {
        let mut out = BTreeMap::new();
        for (k, v) in r.read_prefix(keys::all_last_powers())? {
            let op = keys::trailing_address(&k)
                .ok_or_else(|| StakingError::Corrupt(format!("{k}: bad address")))?;
            let power = std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StakingError::Corrupt(format!("{k}: bad power")))?;
            out.insert(op, power);
        }
        Ok(out)
    }

    /// A validator's voting power in the set last sent to CometBFT (0 when not in it).
    pub fn validator_power(&self, r: &mut impl StateRead, op: &Address) -> Result<i64> {
        Ok(read_i64(r, &keys::last_power(op))?.unwrap_or(0))
    }

    /// Sum of the powers last sent to CometBFT.
    pub fn last_total_power(&self, r: &mut impl StateRead) -> Result<i64> {
        Ok(read_i64(r, keys::last_total_power())?.unwrap_or(0))
    }

    /// The whole current set as CometBFT should have it, by operator address (for `InitChain`
    /// when starting from an exported genesis).
    pub fn validator_set(&self, r: &mut impl StateRead) -> Result<Vec<ValidatorUpdate>> {
        let mut out = Vec::new();
        for (op, power) in self.last_validator_powers(r)? {
            let v = self.must_validator(r, &op)?;
            out.push(ValidatorUpdate {
                pub_key_ed25519: v.consensus_pubkey,
                power,
            });
        }
        Ok(out)
    }

    // --- pools ---

    fn pool_balance(&self, r: &mut impl StateRead, pool: &str) -> Result<u128> {
        let denom = self.bond_denom(r)?;
        let key = openledger_bank::keys::balance(&Address::module(pool), &denom);
        match r.read(&key)? {
            None => Ok(0),
            Some(b) => {
                let s = std::str::from_utf8(&b)
                    .map_err(|e| StakingError::Corrupt(format!("{key}: {e}")))?;
                Ok(parse_amount(s)?)
            }
        }
    }

    /// Tokens in the bonded pool: the stake of the bonded validators.
    pub fn total_bonded_tokens(&self, r: &mut impl StateRead) -> Result<u128> {
        self.pool_balance(r, BONDED_POOL)
    }

    /// Tokens in the not-bonded pool: stake of other validators and unbonding entries.
    pub fn total_not_bonded_tokens(&self, r: &mut impl StateRead) -> Result<u128> {
        self.pool_balance(r, NOT_BONDED_POOL)
    }

    pub(crate) fn coins(&self, ctx: &mut Ctx<'_>, amount: u128) -> Result<Coins> {
        let denom = self.bond_denom(ctx)?;
        Ok(Coins::from_vec(vec![Coin::new(amount, denom)])?)
    }

    /// Moves `amount` bond-denom tokens between the pools (nothing when zero or the same pool).
    pub(crate) fn move_pool(
        &self,
        ctx: &mut Ctx<'_>,
        from: &str,
        to: &str,
        amount: u128,
    ) -> Result<()> {
        if amount == 0 || from == to {
            return Ok(());
        }
        let coins = self.coins(ctx, amount)?;
        self.bank.send_module_to_module(ctx, from, to, &coins)
    }

    pub(crate) fn burn(&self, ctx: &mut Ctx<'_>, pool: &str, amount: u128) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        let coins = self.coins(ctx, amount)?;
        self.bank.burn(ctx, pool, &coins)
    }

    /// The pool a validator's tokens live in.
    pub fn pool_of(v: &Validator) -> &'static str {
        if v.is_bonded() {
            BONDED_POOL
        } else {
            NOT_BONDED_POOL
        }
    }

    // --- delegations ---

    pub fn delegation(
        &self,
        r: &mut impl StateRead,
        del: &Address,
        val: &Address,
    ) -> Result<Option<Delegation>> {
        match load::<pb::Delegation>(r, &keys::delegation(del, val))? {
            None => Ok(None),
            Some(d) => Ok(Some(Delegation::from_proto(&d)?)),
        }
    }

    pub fn delegations_of(&self, r: &mut impl StateRead, del: &Address) -> Result<Vec<Delegation>> {
        r.read_prefix(&keys::delegations_of(del))?
            .into_iter()
            .map(|(k, v)| Ok(Delegation::from_proto(&decode::<pb::Delegation>(&k, &v)?)?))
            .collect()
    }

    pub fn delegations_to(&self, r: &mut impl StateRead, val: &Address) -> Result<Vec<Delegation>> {
        let mut out = Vec::new();
        for (k, _) in r.read_prefix(&keys::delegations_to(val))? {
            let del = keys::trailing_address(&k)
                .ok_or_else(|| StakingError::Corrupt(format!("{k}: bad address")))?;
            if let Some(d) = self.delegation(r, &del, val)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    pub fn all_delegations(&self, r: &mut impl StateRead) -> Result<Vec<Delegation>> {
        r.read_prefix(keys::all_delegations())?
            .into_iter()
            .map(|(k, v)| Ok(Delegation::from_proto(&decode::<pb::Delegation>(&k, &v)?)?))
            .collect()
    }

    pub(crate) fn set_delegation(&self, ctx: &mut Ctx<'_>, d: &Delegation) -> Result<()> {
        ctx.set(
            keys::delegation(&d.delegator, &d.validator),
            d.to_proto().encode_to_vec(),
        )?;
        ctx.set(
            keys::delegation_by_val(&d.validator, &d.delegator),
            Vec::new(),
        )
    }

    pub(crate) fn remove_delegation(&self, ctx: &mut Ctx<'_>, d: &Delegation) -> Result<()> {
        if let Some(h) = self.hooks() {
            h.before_delegation_removed(ctx, &d.delegator, &d.validator)?;
        }
        ctx.delete(keys::delegation(&d.delegator, &d.validator))?;
        ctx.delete(keys::delegation_by_val(&d.validator, &d.delegator))
    }

    // --- unbonding delegations ---

    pub fn unbonding_delegation(
        &self,
        r: &mut impl StateRead,
        del: &Address,
        val: &Address,
    ) -> Result<Option<UnbondingDelegation>> {
        match load::<pb::UnbondingDelegation>(r, &keys::unbonding(del, val))? {
            None => Ok(None),
            Some(u) => Ok(Some(UnbondingDelegation::from_proto(&u)?)),
        }
    }

    pub fn unbonding_delegations_of(
        &self,
        r: &mut impl StateRead,
        del: &Address,
    ) -> Result<Vec<UnbondingDelegation>> {
        r.read_prefix(&keys::unbondings_of(del))?
            .into_iter()
            .map(|(k, v)| {
                Ok(UnbondingDelegation::from_proto(&decode::<
                    pb::UnbondingDelegation,
                >(&k, &v)?)?)
            })
            .collect()
    }

    pub fn unbonding_delegations_from(
        &self,
        r: &mut impl StateRead,
        val: &Address,
    ) -> Result<Vec<UnbondingDelegation>> {
        let mut out = Vec::new();
        for (k, _) in r.read_prefix(&keys::unbondings_from(val))? {
            let del = keys::trailing_address(&k)
                .ok_or_else(|| StakingError::Corrupt(format!("{k}: bad address")))?;
            if let Some(u) = self.unbonding_delegation(r, &del, val)? {
                out.push(u);
            }
        }
        Ok(out)
    }

    pub fn all_unbonding_delegations(
        &self,
        r: &mut impl StateRead,
    ) -> Result<Vec<UnbondingDelegation>> {
        r.read_prefix(keys::all_unbondings())?
            .into_iter()
            .map(|(k, v)| {
                Ok(UnbondingDelegation::from_proto(&decode::<
                    pb::UnbondingDelegation,
                >(&k, &v)?)?)
            })
            .collect()
    }

    /// Saves an unbonding delegation, or removes it when it has no entries left.
    pub(crate) fn set_unbonding(&self, ctx: &mut Ctx<'_>, u: &UnbondingDelegation) -> Result<()> {
        let key = keys::unbonding(&u.delegator, &u.validator);
        let index = keys::unbonding_by_val(&u.validator, &u.delegator);
        if u.entries.is_empty() {
            ctx.delete(key)?;
            ctx.delete(index)
        } else {
            ctx.set(key, u.to_proto().encode_to_vec())?;
            ctx.set(index, Vec::new())
        }
    }

    // --- redelegations ---

    pub fn redelegation(
        &self,
        r: &mut impl StateRead,
        del: &Address,
        src: &Address,
        dst: &Address,
    ) -> Result<Option<Redelegation>> {
        match load::<pb::Redelegation>(r, &keys::redelegation(del, src, dst))? {
            None => Ok(None),
            Some(x) => Ok(Some(Redelegation::from_proto(&x)?)),
        }
    }

    pub fn redelegations_of(
        &self,
        r: &mut impl StateRead,
        del: &Address,
    ) -> Result<Vec<Redelegation>> {
        r.read_prefix(&keys::redelegations_of(del))?
            .into_iter()
            .map(|(k, v)| {
                Ok(Redelegation::from_proto(&decode::<pb::Redelegation>(
                    &k, &v,
                )?)?)
            })
            .collect()
    }

    pub fn all_redelegations(&self, r: &mut impl StateRead) -> Result<Vec<Redelegation>> {
        r.read_prefix(keys::all_redelegations())?
            .into_iter()
            .map(|(k, v)| {
                Ok(Redelegation::from_proto(&decode::<pb::Redelegation>(
                    &k, &v,
                )?)?)
            })
            .collect()
    }

    /// Redelegations whose source is `src`.
    pub fn redelegations_from(
        &self,
        r: &mut impl StateRead,
        src: &Address,
    ) -> Result<Vec<Redelegation>> {
        let mut out = Vec::new();
        for (k, _) in r.read_prefix(&keys::redelegations_from(src))? {
            let addrs = keys::addresses_after(&keys::redelegations_from(src), &k)
                .ok_or_else(|| StakingError::Corrupt(format!("{k}: bad addresses")))?;
            let [del, dst] = addrs.as_slice() else {
                return Err(StakingError::Corrupt(format!("{k}: bad addresses")).into());
            };
            if let Some(x) = self.redelegation(r, del, src, dst)? {
                out.push(x);
            }
        }
        Ok(out)
    }

    /// Whether `del` has a redelegation in progress into `dst` (which blocks redelegating out
    /// of `dst`, so that a slash can always follow the stake).
    pub fn has_receiving_redelegation(
        &self,
        r: &mut impl StateRead,
        del: &Address,
        dst: &Address,
    ) -> Result<bool> {
        Ok(!r
            .read_prefix(&keys::redelegations_to_by(dst, del))?
            .is_empty())
    }

    /// Saves a redelegation, or removes it (and its indexes) when it has no entries left.
    pub(crate) fn set_redelegation(&self, ctx: &mut Ctx<'_>, x: &Redelegation) -> Result<()> {
        let key = keys::redelegation(&x.delegator, &x.src, &x.dst);
        let by_src = keys::redelegation_by_src(&x.src, &x.delegator, &x.dst);
        let by_dst = keys::redelegation_by_dst(&x.dst, &x.delegator, &x.src);
        if x.entries.is_empty() {
            ctx.delete(key)?;
            ctx.delete(by_src)?;
            ctx.delete(by_dst)
        } else {
            ctx.set(key, x.to_proto().encode_to_vec())?;
            ctx.set(by_src, Vec::new())?;
            ctx.set(by_dst, Vec::new())
        }
    }

    // --- historical info ---

    pub fn historical_info(
        &self,
        r: &mut impl StateRead,
        height: i64,
    ) -> Result<Option<pb::HistoricalInfo>> {
        load(r, &keys::historical_info(height))
    }
}

/// The block time of `ctx`.
pub(crate) fn now(ctx: &Ctx<'_>) -> Time {
    Time::new(ctx.block.time_seconds, ctx.block.time_nanos as i32)
}

pub(crate) fn height(ctx: &Ctx<'_>) -> i64 {
    i64::try_from(ctx.block.height).unwrap_or(i64::MAX)
}

/// The staking module as the application drives it. Its `end_block` computes the validator
/// set changes and keeps them for [`StakingModule::take_validator_updates`], since
/// [`Module::end_block`] returns nothing.
#[derive(Clone)]
pub struct StakingModule {
    pub keeper: StakingKeeper,
    updates: Arc<Mutex<Vec<ValidatorUpdate>>>,
}

impl StakingModule {
    pub fn new(keeper: StakingKeeper) -> Self {
        Self {
            keeper,
            updates: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The validator set changes of the last `end_block` (empty if already taken): what
    /// `FinalizeBlock` returns as `validator_updates`.
    pub fn take_validator_updates(&self) -> Vec<ValidatorUpdate> {
        let mut guard = self.updates.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *guard)
    }
}

impl Module for StakingModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<()> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        self.keeper.track_historical_info(ctx)
    }

    fn end_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let updates = self.keeper.end_block_updates(ctx)?;
        *self.updates.lock().unwrap_or_else(|e| e.into_inner()) = updates;
        Ok(())
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
