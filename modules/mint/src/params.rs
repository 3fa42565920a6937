//! Mint params and the minter (`cosmos.mint.v1beta1`), typed, with the SDK's validation.

use cosmrs::proto::cosmos::mint::v1beta1 as pb;
use openledger_framework::Dec;
use openledger_framework::coins::{BASE_DENOM, validate_denom};
use openledger_framework::math::{parse_proto_dec, proto_dec};

use crate::MintError;

/// Blocks per year at ~5 s blocks: 60 × 60 × 8766 / 5 (the SDK's default).
pub const DEFAULT_BLOCKS_PER_YEAR: u64 = 6_311_520;

fn pct(n: u128) -> Dec {
    Dec::from_atomics(n * 10_000_000_000_000_000)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintParams {
    pub mint_denom: String,
    /// Maximum annual change of the inflation rate.
    pub inflation_rate_change: Dec,
    pub inflation_max: Dec,
    pub inflation_min: Dec,
    /// The bonded ratio inflation steers toward.
    pub goal_bonded: Dec,
    pub blocks_per_year: u64,
}

impl Default for MintParams {
    fn default() -> Self {
        Self {
            mint_denom: BASE_DENOM.to_string(),
            inflation_rate_change: pct(13),
            inflation_max: pct(20),
            inflation_min: pct(7),
            goal_bonded: pct(67),
            blocks_per_year: DEFAULT_BLOCKS_PER_YEAR,
        }
    }
}

impl MintParams {
    pub fn validate(&self) -> Result<(), MintError> {
        let bad = |m: String| Err(MintError::InvalidParams(m));
        if self.mint_denom.trim().is_empty() {
            return bad("mint denom cannot be blank".into());
        }
        validate_denom(&self.mint_denom).map_err(|e| MintError::InvalidParams(e.to_string()))?;
        for (what, d) in [
            ("inflation rate change", self.inflation_rate_change),
            ("max inflation", self.inflation_max),
            ("min inflation", self.inflation_min),
        ] {
            if d > Dec::ONE {
                return bad(format!("{what} too large: {d}"));
            }
        }
        if self.goal_bonded.is_zero() {
            return bad(format!(
                "goal bonded must be positive: {}",
                self.goal_bonded
            ));
        }
        if self.goal_bonded > Dec::ONE {
            return bad(format!("goal bonded too large: {}", self.goal_bonded));
        }
        if self.blocks_per_year == 0 {
            return bad("blocks per year must be positive: 0".into());
        }
        if self.inflation_max < self.inflation_min {
            return bad(format!(
                "max inflation ({}) must be greater than or equal to min inflation ({})",
                self.inflation_max, self.inflation_min
            ));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            mint_denom: self.mint_denom.clone(),
            inflation_rate_change: proto_dec(self.inflation_rate_change),
            inflation_max: proto_dec(self.inflation_max),
            inflation_min: proto_dec(self.inflation_min),
            goal_bonded: proto_dec(self.goal_bonded),
            blocks_per_year: self.blocks_per_year,
        }
    }

    /// Parses and validates.
    pub fn from_proto(p: &pb::Params) -> Result<Self, MintError> {
        let dec = |what: &str, s: &str| {
            parse_proto_dec(s).map_err(|e| MintError::InvalidParams(format!("{what} {s:?}: {e}")))
        };
        let out = Self {
            mint_denom: p.mint_denom.clone(),
            inflation_rate_change: dec("inflation rate change", &p.inflation_rate_change)?,
            inflation_max: dec("max inflation", &p.inflation_max)?,
            inflation_min: dec("min inflation", &p.inflation_min)?,
            goal_bonded: dec("goal bonded", &p.goal_bonded)?,
            blocks_per_year: p.blocks_per_year,
        };
        out.validate()?;
        Ok(out)
    }
}

/// The inflation rate in force and the annual provisions it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minter {
    pub inflation: Dec,
    pub annual_provisions: Dec,
}

impl Default for Minter {
    /// 13% inflation, nothing provisioned yet (the SDK's default).
    fn default() -> Self {
        Self {
            inflation: pct(13),
            annual_provisions: Dec::ZERO,
        }
    }
}

impl Minter {
    pub fn to_proto(&self) -> pb::Minter {
        pb::Minter {
            inflation: proto_dec(self.inflation),
            annual_provisions: proto_dec(self.annual_provisions),
        }
    }

    pub fn from_proto(m: &pb::Minter) -> Result<Self, MintError> {
        let dec = |what: &str, s: &str| {
            parse_proto_dec(s).map_err(|e| MintError::InvalidMinter(format!("{what} {s:?}: {e}")))
        };
        Ok(Self {
            inflation: dec("inflation", &m.inflation)?,
            annual_provisions: dec("annual provisions", &m.annual_provisions)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let p = MintParams::default();
        p.validate().unwrap();
        assert_eq!(p.inflation_max.to_string(), "0.200000000000000000");
        assert_eq!(MintParams::from_proto(&p.to_proto()).unwrap(), p);
        for bad in [
            MintParams {
                mint_denom: String::new(),
                ..p.clone()
            },
            MintParams {
                goal_bonded: Dec::ZERO,
                ..p.clone()
            },
            MintParams {
                blocks_per_year: 0,
                ..p.clone()
            },
            MintParams {
                inflation_min: pct(30),
                ..p.clone()
            },
            MintParams {
                inflation_max: pct(120),
                ..p.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
