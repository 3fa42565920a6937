//! The mint module (Cosmos SDK `x/mint`): every block the inflation rate moves toward the one
//! that brings the bonded ratio to `goal_bonded` (by at most `inflation_rate_change` a year,
//! within [`inflation_min`, `inflation_max`]), annual provisions are `inflation × supply` of
//! the bond denom, and `annual_provisions / blocks_per_year` (truncated) is minted into the
//! `mint` module account and sent to the fee collector, where distribution finds it.
//!
//! [`inflation_min`]: params::MintParams::inflation_min
//! [`inflation_max`]: params::MintParams::inflation_max

pub mod error;
pub mod genesis;
pub mod keys;
pub mod msgs;
pub mod params;
pub mod query;

use openledger_bank::BankKeeper;
use openledger_framework::{
    AbciError, Address, Coin, Coins, Ctx, Dec, Event, KvRead, Module, MsgServiceRouter,
    QueryRouter, Result, StateRead, math,
};
use openledger_staking::StakingKeeper;
use prost::Message;

pub use error::MintError;
pub use params::{MintParams, Minter};

/// The mint module's name, store prefix and module account (which needs the minter permission).
pub const MODULE_NAME: &str = keys::PREFIX;

fn overflow(what: &str) -> AbciError {
    MintError::Overflow(what.to_string()).into()
}

/// The next inflation rate (the SDK's `NextInflationRate`): the current one moved by
/// `(1 − bonded_ratio / goal_bonded) × inflation_rate_change / blocks_per_year`, clamped to
/// [min, max]. Rounding as the SDK's `LegacyDec` (half to even).
pub fn next_inflation_rate(m: &Minter, p: &MintParams, bonded_ratio: Dec) -> Result<Dec> {
    let ratio = math::quo_round(bonded_ratio, p.goal_bonded).ok_or_else(|| overflow("ratio"))?;
    let (below_goal, distance) = if ratio <= Dec::ONE {
        (
            true,
            Dec::from_atomics(Dec::ONE.atomics() - ratio.atomics()),
        )
    } else {
        (
            false,
            Dec::from_atomics(ratio.atomics() - Dec::ONE.atomics()),
        )
    };
    let per_year =
        math::mul_round(distance, p.inflation_rate_change).ok_or_else(|| overflow("change"))?;
    let blocks = math::from_int(u128::from(p.blocks_per_year)).ok_or_else(|| overflow("blocks"))?;
    let per_block = math::quo_round(per_year, blocks).ok_or_else(|| overflow("change"))?;
    let inflation = if below_goal {
        math::add(m.inflation, per_block).ok_or_else(|| overflow("inflation"))?
    } else {
        // Below zero only if below the minimum anyway: the clamp gives the same.
        Dec::from_atomics(m.inflation.atomics().saturating_sub(per_block.atomics()))
    };
    Ok(inflation.clamp(p.inflation_min, p.inflation_max.max(p.inflation_min)))
}

/// `inflation × supply` (exact).
pub fn next_annual_provisions(m: &Minter, supply: u128) -> Result<Dec> {
    m.inflation
        .atomics()
        .checked_mul(supply)
        .map(Dec::from_atomics)
        .ok_or_else(|| overflow("annual provisions"))
}

/// `annual_provisions / blocks_per_year`, truncated to an integer amount.
pub fn block_provision(m: &Minter, p: &MintParams) -> u128 {
    math::truncate(Dec::from_atomics(
        m.annual_provisions.atomics() / u128::from(p.blocks_per_year.max(1)),
    ))
}

/// Keeper of the minter and the mint params.
#[derive(Clone)]
pub struct MintKeeper {
    bank: BankKeeper,
    staking: StakingKeeper,
    authority: Address,
    fee_collector: &'static str,
}

impl MintKeeper {
    /// `authority` signs `MsgUpdateParams` (the gov module account); minted coins go to the
    /// `fee_collector` module account.
    pub fn new(
        bank: BankKeeper,
        staking: StakingKeeper,
        authority: Address,
        fee_collector: &'static str,
    ) -> Self {
        Self {
            bank,
            staking,
            authority,
            fee_collector,
        }
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn params(&self, r: &mut impl StateRead) -> Result<MintParams> {
        match r.read(keys::params())? {
            None => Ok(MintParams::default()),
            Some(b) => {
                let p = params_proto(&b)?;
                MintParams::from_proto(&p)
                    .map_err(|e| MintError::Corrupt(format!("params: {e}")).into())
            }
        }
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &MintParams) -> Result<()> {
        p.validate()?;
        ctx.set(keys::params().into(), p.to_proto().encode_to_vec())
    }

    pub fn minter(&self, r: &mut impl StateRead) -> Result<Minter> {
        match r.read(keys::minter())? {
            None => Ok(Minter::default()),
            Some(b) => {
                let m = cosmrs::proto::cosmos::mint::v1beta1::Minter::decode(b.as_slice())
                    .map_err(|e| MintError::Corrupt(format!("minter: {e}")))?;
                Ok(Minter::from_proto(&m).map_err(|e| MintError::Corrupt(e.to_string()))?)
            }
        }
    }

    pub fn set_minter(&self, ctx: &mut Ctx<'_>, m: &Minter) -> Result<()> {
        ctx.set(keys::minter().into(), m.to_proto().encode_to_vec())
    }

    /// The supply of the bond denom (`StakingTokenSupply`).
    pub fn staking_token_supply(&self, ctx: &mut Ctx<'_>) -> Result<u128> {
        let denom = self.staking.bond_denom(ctx)?;
        self.bank.supply(&mut ctx.state(), &denom)
    }

    /// Bonded tokens over the bond denom's supply, truncated (`BondedRatio`).
    pub fn bonded_ratio(&self, ctx: &mut Ctx<'_>) -> Result<Dec> {
        let supply = self.staking_token_supply(ctx)?;
        if supply == 0 {
            return Ok(Dec::ZERO);
        }
        let bonded = self.staking.total_bonded_tokens(ctx)?;
        let bonded = math::from_int(bonded).ok_or_else(|| overflow("bonded"))?;
        Ok(Dec::from_atomics(bonded.atomics() / supply))
    }

    /// The module's begin block: new inflation and annual provisions, then mint this block's
    /// provision and send it to the fee collector.
    pub fn begin_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let mut minter = self.minter(ctx)?;
        let p = self.params(ctx)?;
        let supply = self.staking_token_supply(ctx)?;
        let bonded_ratio = self.bonded_ratio(ctx)?;
        minter.inflation = next_inflation_rate(&minter, &p, bonded_ratio)?;
        minter.annual_provisions = next_annual_provisions(&minter, supply)?;
        self.set_minter(ctx, &minter)?;
        let amount = block_provision(&minter, &p);
        if amount > 0 {
            let coins = Coins::from_vec(vec![Coin::new(amount, p.mint_denom.clone())])?;
            self.bank.mint(ctx, MODULE_NAME, &coins)?;
            self.bank
                .send_module_to_module(ctx, MODULE_NAME, self.fee_collector, &coins)?;
        }
        ctx.emit(
            Event::new("mint")
                .attr("bonded_ratio", bonded_ratio.to_string())
                .attr("inflation", minter.inflation.to_string())
                .attr("annual_provisions", minter.annual_provisions.to_string())
                .attr("amount", amount.to_string()),
        );
        Ok(())
    }
}

fn params_proto(b: &[u8]) -> Result<cosmrs::proto::cosmos::mint::v1beta1::Params> {
    cosmrs::proto::cosmos::mint::v1beta1::Params::decode(b)
        .map_err(|e| MintError::Corrupt(format!("params: {e}")).into())
}

/// The mint module as the application drives it.
#[derive(Clone)]
pub struct MintModule {
    pub keeper: MintKeeper,
}

impl MintModule {
    pub fn new(keeper: MintKeeper) -> Self {
        Self { keeper }
    }
}

impl Module for MintModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        genesis: &serde_json::Value,
    ) -> std::result::Result<(), AbciError> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(
        &self,
        state: &dyn KvRead,
    ) -> std::result::Result<serde_json::Value, AbciError> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn begin_block(&self, ctx: &mut Ctx<'_>) -> std::result::Result<(), AbciError> {
        self.keeper.begin_block(ctx)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn inflation_moves_toward_the_goal_within_bounds() {
        let p = MintParams::default();
        let m = Minter::default();
        // Nothing bonded: +0.13 / 6311520 a block, rounded half to even.
        let up = next_inflation_rate(&m, &p, Dec::ZERO).unwrap();
        assert_eq!(up, d("0.130000020597257079"));
        // At the goal: unchanged.
        assert_eq!(
            next_inflation_rate(&m, &p, p.goal_bonded).unwrap(),
            m.inflation
        );
        // All bonded: (1 - 1/0.67) × 0.13 = -0.064029850746268657 a year.
        let down = next_inflation_rate(&m, &p, Dec::ONE).unwrap();
        assert!(down < m.inflation);
        assert_eq!(
            m.inflation.atomics() - down.atomics(),
            math::quo_round(d("0.064029850746268657"), d("6311520"))
                .unwrap()
                .atomics()
        );
        let at_max = Minter {
            inflation: p.inflation_max,
            ..m.clone()
        };
        assert_eq!(
            next_inflation_rate(&at_max, &p, Dec::ZERO).unwrap(),
            p.inflation_max
        );
        let at_min = Minter {
            inflation: p.inflation_min,
            ..m
        };
        assert_eq!(
            next_inflation_rate(&at_min, &p, Dec::ONE).unwrap(),
            p.inflation_min
        );
    }

    #[test]
    fn provisions_are_exact() {
        let p = MintParams::default();
        let mut m = Minter::default();
        m.annual_provisions = next_annual_provisions(&m, 1_000_000_000_000).unwrap();
        assert_eq!(m.annual_provisions, d("130000000000"));
        // 130000000000 / 6311520 = 20597.18...
        assert_eq!(block_provision(&m, &p), 20_597);
    }
}
