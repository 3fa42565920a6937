//! `app_state.mint` in genesis.json, in the Cosmos SDK's JSON shape:
//! `{"minter": {"inflation", "annual_provisions"}, "params": {"mint_denom", …,
//! "blocks_per_year": "6311520"}}`, decimals as `"0.130000000000000000"`.

use openledger_framework::json::U64;
use openledger_framework::math::parse_json_dec;
use openledger_framework::{AbciError, Ctx, KvRead};
use serde::{Deserialize, Serialize};

use crate::MintError;
use crate::{MintKeeper, MintParams, Minter};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub minter: Option<MinterJson>,
    #[serde(default)]
    pub params: Option<ParamsJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinterJson {
    pub inflation: String,
    pub annual_provisions: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    pub mint_denom: String,
    pub inflation_rate_change: String,
    pub inflation_max: String,
    pub inflation_min: String,
    pub goal_bonded: String,
    pub blocks_per_year: U64,
}

fn gerr(e: impl std::fmt::Display) -> MintError {
    MintError::Genesis(e.to_string())
}

fn dec(what: &str, s: &str) -> Result<openledger_framework::Dec, MintError> {
    parse_json_dec(s).map_err(|e| gerr(format!("{what}: {e}")))
}

pub fn init(
    keeper: &MintKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let g: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(gerr)?
    };
    let params = match &g.params {
        None => MintParams::default(),
        Some(p) => MintParams {
            mint_denom: p.mint_denom.clone(),
            inflation_rate_change: dec("inflation_rate_change", &p.inflation_rate_change)?,
            inflation_max: dec("inflation_max", &p.inflation_max)?,
            inflation_min: dec("inflation_min", &p.inflation_min)?,
            goal_bonded: dec("goal_bonded", &p.goal_bonded)?,
            blocks_per_year: p.blocks_per_year.0,
        },
    };
    params.validate().map_err(gerr)?;
    let minter = match &g.minter {
        None => Minter::default(),
        Some(m) => Minter {
            inflation: dec("inflation", &m.inflation)?,
            annual_provisions: dec("annual_provisions", &m.annual_provisions)?,
        },
    };
    keeper.set_params(ctx, &params)?;
    keeper.set_minter(ctx, &minter)
}

pub fn export(keeper: &MintKeeper, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let mut s = state;
    let p = keeper.params(&mut s)?;
    let m = keeper.minter(&mut s)?;
    let g = GenesisState {
        minter: Some(MinterJson {
            inflation: m.inflation.to_string(),
            annual_provisions: m.annual_provisions.to_string(),
        }),
        params: Some(ParamsJson {
            mint_denom: p.mint_denom,
            inflation_rate_change: p.inflation_rate_change.to_string(),
            inflation_max: p.inflation_max.to_string(),
            inflation_min: p.inflation_min.to_string(),
            goal_bonded: p.goal_bonded.to_string(),
            blocks_per_year: U64(p.blocks_per_year),
        }),
    };
    serde_json::to_value(g).map_err(|e| MintError::Corrupt(e.to_string()).into())
}
