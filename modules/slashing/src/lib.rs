//! The slashing module: Cosmos `x/slashing` semantics (`cosmos.slashing.v1beta1` messages,
//! queries and genesis) plus the double-sign handling the SDK does in `x/evidence`.
//!
//! - Liveness ([`signing`]): every block, each vote of the previous block's commit updates the
//!   validator's [`SigningInfo`] and missed-blocks bitmap (sparse, one key per missed index: see
//!   [`keys`]); a validator past `start_height + signed_blocks_window` that missed more than
//!   `window − min_signed` of the window is slashed `slash_fraction_downtime` at height − 2,
//!   jailed until block time + `downtime_jail_duration`, and its window reset.
//! - Double sign ([`evidence`]): CometBFT's misbehaviour slashes `slash_fraction_double_sign` at
//!   evidence height − 1, jails the validator until 9999-12-31T23:59:59Z and tombstones it.
//!   Evidence is ignored for an unknown or unbonded validator, an already tombstoned one, a
//!   height above the current one, or when `block time − evidence time` exceeds staking's
//!   `unbonding_time` (where the SDK uses CometBFT's evidence max age).
//! - `MsgUnjail` ([`unjail`]) and `MsgUpdateParams` ([`msgs`]), queries ([`query`]), genesis
//!   in the SDK's JSON ([`genesis`]), the staking hooks ([`hooks`]).
//!
//! # Wiring (for the app)
//!
//! ```ignore
//! let slashing = SlashingKeeper::new(staking_keeper.clone(), gov_module_address);
//! // staking takes one hooks object: distribution's first, then slashing's, as in the SDK.
//! staking_keeper.set_hooks(Arc::new(MultiStakingHooks(vec![distr_hooks, slashing.hooks()])));
//! let module = SlashingModule::new(slashing);
//! ```
//! - Install the hooks before `InitChain`: gentxs bond validators during staking's genesis.
//! - No module account, no bank permissions: slashing burns through staking (the bonded and
//!   not-bonded pools need `Burner`, which staking already requires).
//! - Module list: after staking and distribution. Begin block order: distribution, slashing,
//!   then staking (the SDK's `distr, slashing, evidence, staking`); slashing has no end block.
//!   Genesis: after staking, so that the signing infos of `app_state.slashing` replace those
//!   the bonded hook wrote while staking's genesis (gentxs) bonded validators.
//! - `FinalizeBlock` must fill `BlockInfo::last_commit` from `decided_last_commit.votes`
//!   (`signed` false only for `BlockIDFlagAbsent`), `BlockInfo::misbehavior` from
//!   `misbehavior`, and the block height and time, before `begin_block`.
//! - The signer of `MsgUnjail` is the account with the operator's bytes; the signer of
//!   `MsgUpdateParams` is the authority (`validate_msg` returns them).

pub mod error;
pub mod evidence;
pub mod genesis;
pub mod hooks;
pub mod keys;
pub mod msgs;
pub mod params;
pub mod query;
pub mod signing;
pub mod types;
pub mod unjail;

use std::sync::Arc;

use cosmrs::proto::cosmos::slashing::v1beta1 as pb;
use openledger_framework::{
    Address, Ctx, KvRead, Module, MsgServiceRouter, QueryRouter, Result, StateRead, read_proto,
};
use openledger_staking::{StakingHooks, StakingKeeper, Time};
use prost::Message;

pub use error::SlashingError;
pub use hooks::SlashingHooks;
pub use params::Params;
pub use types::{DOUBLE_SIGN_JAIL_END, SigningInfo, parse_valcons, valcons};

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// CometBFT applies a validator set change two blocks after the block that made it
/// (`sdk.ValidatorUpdateDelay`).
pub const VALIDATOR_UPDATE_DELAY: i64 = 1;

fn corrupt(e: String) -> SlashingError {
    SlashingError::Corrupt(e)
}

/// The block time of `ctx`.
pub(crate) fn now(ctx: &Ctx<'_>) -> Time {
    Time::new(ctx.block.time_seconds, ctx.block.time_nanos as i32)
}

pub(crate) fn height(ctx: &Ctx<'_>) -> i64 {
    i64::try_from(ctx.block.height).unwrap_or(i64::MAX)
}

/// Keeper of signing infos, missed-block bitmaps and params: the only way into slashing state.
/// It acts on validators only through the staking keeper's public API.
#[derive(Clone)]
pub struct SlashingKeeper {
    staking: StakingKeeper,
    authority: Address,
}

impl SlashingKeeper {
    /// `authority` is the only signer allowed to send `MsgUpdateParams` (the gov module account).
    pub fn new(staking: StakingKeeper, authority: Address) -> Self {
        Self { staking, authority }
    }

    pub fn staking(&self) -> &StakingKeeper {
        &self.staking
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    /// The hooks to install on staking (through `MultiStakingHooks` beside distribution's).
    pub fn hooks(&self) -> Arc<dyn StakingHooks> {
        Arc::new(SlashingHooks::new(self.clone()))
    }

    // --- params ---

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params> {
        match read_proto::<pb::Params, _>(r, keys::params(), corrupt)? {
            None => Ok(Params::default()),
            Some(p) => {
                Ok(Params::from_proto(&p)
                    .map_err(|e| corrupt(format!("{}: {e}", keys::params())))?)
            }
        }
    }

    /// Validates and stores params. When `signed_blocks_window` changes, every validator's
    /// window starts afresh (bitmap cleared, counter and offset zero): bits recorded under the
    /// old window size would otherwise sit at indexes the new one never revisits, and the
    /// counter would never come down.
    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<()> {
        p.validate()?;
        let old = self.params(ctx)?;
        if old.signed_blocks_window != p.signed_blocks_window {
            for mut info in self.all_signing_infos(ctx)? {
                self.clear_missed_blocks(ctx, &info.address)?;
                info.missed_blocks_counter = 0;
                info.index_offset = 0;
                self.set_signing_info(ctx, &info)?;
            }
        }
        ctx.set(keys::params().into(), p.to_proto().encode_to_vec())
    }

    // --- signing infos ---

    pub fn signing_info(
        &self,
        r: &mut impl StateRead,
        cons: &Address,
    ) -> Result<Option<SigningInfo>> {
        match read_proto::<pb::ValidatorSigningInfo, _>(r, &keys::signing_info(cons), corrupt)? {
            None => Ok(None),
            Some(p) => {
                Ok(Some(SigningInfo::from_proto(&p).map_err(|e| {
                    corrupt(format!("{}: {e}", keys::signing_info(cons)))
                })?))
            }
        }
    }

    pub fn set_signing_info(&self, ctx: &mut Ctx<'_>, info: &SigningInfo) -> Result<()> {
        ctx.set(
            keys::signing_info(&info.address),
            info.to_proto().encode_to_vec(),
        )
    }

    pub(crate) fn delete_signing_info(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<()> {
        ctx.delete(keys::signing_info(cons))
    }

    /// Every signing info, by consensus address.
    pub fn all_signing_infos(&self, r: &mut impl StateRead) -> Result<Vec<SigningInfo>> {
        r.read_prefix(keys::all_signing_infos())?
            .into_iter()
            .map(|(k, v)| {
                let p = pb::ValidatorSigningInfo::decode(v.as_slice())
                    .map_err(|e| corrupt(format!("{k}: {e}")))?;
                Ok(SigningInfo::from_proto(&p).map_err(|e| corrupt(format!("{k}: {e}")))?)
            })
            .collect()
    }

    /// Whether the validator double-signed (its signing info says so).
    pub fn is_tombstoned(&self, r: &mut impl StateRead, cons: &Address) -> Result<bool> {
        Ok(self.signing_info(r, cons)?.is_some_and(|i| i.tombstoned))
    }

    // --- missed-blocks bitmap ---

    pub fn is_missed(&self, r: &mut impl StateRead, cons: &Address, index: i64) -> Result<bool> {
        Ok(r.read(&keys::missed_block(cons, index))?.is_some())
    }

    pub(crate) fn set_missed(
        &self,
        ctx: &mut Ctx<'_>,
        cons: &Address,
        index: i64,
        missed: bool,
    ) -> Result<()> {
        let key = keys::missed_block(cons, index);
        if missed {
            ctx.set(key, Vec::new())
        } else {
            ctx.delete(key)
        }
    }

    /// The window indexes the validator missed, ascending.
    pub fn missed_indexes(&self, r: &mut impl StateRead, cons: &Address) -> Result<Vec<i64>> {
        r.read_prefix(&keys::missed_blocks_of(cons))?
            .into_iter()
            .map(|(k, _)| {
                keys::missed_index(&k).ok_or_else(|| corrupt(format!("{k}: bad index")).into())
            })
            .collect()
    }

    pub(crate) fn clear_missed_blocks(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<()> {
        for (k, _) in ctx.prefix(&keys::missed_blocks_of(cons))? {
            ctx.delete(k)?;
        }
        Ok(())
    }

    // --- begin block ---

    /// Liveness for every vote of the last commit, then the block's misbehaviour, in the order
    /// CometBFT gives them.
    pub fn begin_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let block = ctx.block;
        if block.last_commit.is_empty() && block.misbehavior.is_empty() {
            return Ok(());
        }
        let p = self.params(ctx)?;
        for vote in &block.last_commit {
            self.handle_validator_signature(ctx, &p, &vote.validator, vote.power, vote.signed)?;
        }
        for m in &block.misbehavior {
            self.handle_misbehavior(ctx, &p, m)?;
        }
        Ok(())
    }
}

/// The slashing module as the application drives it.
#[derive(Clone)]
pub struct SlashingModule {
    pub keeper: SlashingKeeper,
}

impl SlashingModule {
    pub fn new(keeper: SlashingKeeper) -> Self {
        Self { keeper }
    }
}

impl Module for SlashingModule {
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
        self.keeper.begin_block(ctx)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
