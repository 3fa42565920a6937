//! Block rewards' second half, `x/distribution`: F1 fee distribution to validators and
//! delegators and the community pool, with Cosmos SDK v0.50 semantics, the
//! `cosmos.distribution.v1beta1` messages, queries and genesis JSON. What it distributes comes
//! from the fee collector, where the mint module (`openledger-mint`) sends each block's
//! provision. All decimals are 18-digit fixed point; reward state is kept in `DecCoins` exactly
//! as the SDK keeps it.
//!
//! # Wiring (for the application)
//!
//! ```text
//! // (with openledger_mint::MintModule before it in the begin-block order)
//! let distr_keeper = DistributionKeeper::new(bank.clone(), staking.clone(), gov_addr, FEE_COLLECTOR);
//! let distribution = DistributionModule::new(distr_keeper.clone());
//! staking.set_hooks(Arc::new(MultiStakingHooks(vec![
//!     Arc::new(distr_keeper),          // distribution FIRST (it settles rewards before slashing acts)
//!     Arc::new(slashing_hooks),
//! ])));
//! ```
//!
//! - Module accounts: `"mint"` (`openledger_mint::MODULE_NAME`) needs the **minter** permission
//!   (it calls `bank.mint(ctx, "mint", …)`); `"distribution"` ([`MODULE_NAME`]) needs **no**
//!   permission (it only receives and sends). Neither burns. `fee_collector` is the auth
//!   module account fees go to (`openledger_auth::FEE_COLLECTOR`). Whether `"distribution"`
//!   is in bank's blocked list does not matter to this crate (it moves coins with
//!   `send_to_module` / `send_from_module`); withdraw addresses and community-pool spends to
//!   blocked addresses are refused, so put every module account in the list, as the SDK does.
//! - Begin block order: `mint` then `distribution` (then slashing, staking …), as in the SDK:
//!   distribution allocates what is in the fee collector, i.e. the previous block's fees plus
//!   what mint just minted.
//! - FinalizeBlock must fill `BlockInfo::last_commit` from `decided_last_commit` (consensus
//!   address, power, signed) and `BlockInfo::proposer`. Allocation is skipped at height 1 and
//!   whenever `last_commit` is empty (fees then wait in the fee collector).
//! - Genesis order: bank before distribution (distribution checks its module account balance
//!   equals the whole part of community pool + outstanding rewards); staking gentxs after
//!   every module's genesis (they run the hooks that create distribution's records). A
//!   non-exported staking genesis that lists validators directly runs no hooks: distribution
//!   then initializes such a validator lazily at its first allocation/delegation change, and a
//!   delegation it never tracked starts earning at its next change or withdraw.
//! - Messages: registered by type in [`msgs::register`];
//!   queries are registered by each module's `register_queries` at the standard gRPC paths.

pub mod allocation;
pub mod dec_coins;
pub mod error;
pub mod genesis;
pub mod hooks;
pub mod keeper;
pub mod keys;
pub mod msgs;
pub mod params;
pub mod query;
pub mod rewards;

use openledger_framework::{AbciError, Ctx, KvRead, Module, MsgServiceRouter, QueryRouter};

pub use dec_coins::DecCoins;
pub use error::DistributionError;
pub use keeper::{CurrentRewards, DistributionKeeper, HistoricalRewards, SlashEvent, StartingInfo};
pub use params::Params;

/// The distribution module's name, store prefix and module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// The distribution module as the application drives it.
#[derive(Clone)]
pub struct DistributionModule {
    pub keeper: DistributionKeeper,
}

impl DistributionModule {
    pub fn new(keeper: DistributionKeeper) -> Self {
        Self { keeper }
    }
}

impl Module for DistributionModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), AbciError> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>) -> Result<(), AbciError> {
        self.keeper.begin_block(ctx)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
