//! Distribution params (`cosmos.distribution.v1beta1.Params`): defaults and validation as in
//! Cosmos SDK v0.50. `base_proposer_reward` and `bonus_proposer_reward` are deprecated there:
//! kept for the wire and genesis, must be valid decimals in [0, 1], and are not used.

use cosmrs::proto::cosmos::distribution::v1beta1::Params as ProtoParams;
use openledger_framework::Dec;
use openledger_framework::math::{parse_proto_dec, proto_dec};

use crate::DistributionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub community_tax: Dec,
    pub base_proposer_reward: Dec,
    pub bonus_proposer_reward: Dec,
    pub withdraw_addr_enabled: bool,
}

impl Default for Params {
    /// 2% community tax, withdraw addresses enabled (the SDK's defaults).
    fn default() -> Self {
        Self {
            community_tax: Dec::from_atomics(20_000_000_000_000_000),
            base_proposer_reward: Dec::ZERO,
            bonus_proposer_reward: Dec::ZERO,
            withdraw_addr_enabled: true,
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), DistributionError> {
        if self.community_tax > Dec::ONE {
            return Err(DistributionError::InvalidParams(format!(
                "community tax should be non-negative and less than one: {}",
                self.community_tax
            )));
        }
        for (what, d) in [
            ("base proposer reward", self.base_proposer_reward),
            ("bonus proposer reward", self.bonus_proposer_reward),
        ] {
            if d > Dec::ONE {
                return Err(DistributionError::InvalidParams(format!(
                    "{what} (deprecated) must be at most one: {d}"
                )));
            }
        }
        Ok(())
    }

    #[allow(deprecated)] // the proposer rewards: kept on the wire, unused (SDK v0.50)
    pub fn to_proto(&self) -> ProtoParams {
        ProtoParams {
            community_tax: proto_dec(self.community_tax),
            base_proposer_reward: proto_dec(self.base_proposer_reward),
            bonus_proposer_reward: proto_dec(self.bonus_proposer_reward),
            withdraw_addr_enabled: self.withdraw_addr_enabled,
        }
    }

    /// Parses and validates.
    #[allow(deprecated)]
    pub fn from_proto(p: &ProtoParams) -> Result<Self, DistributionError> {
        let dec = |what: &str, s: &str| {
            parse_proto_dec(s)
                .map_err(|e| DistributionError::InvalidParams(format!("{what} {s:?}: {e}")))
        };
        let out = Self {
            community_tax: dec("community tax", &p.community_tax)?,
            base_proposer_reward: dec("base proposer reward", &p.base_proposer_reward)?,
            bonus_proposer_reward: dec("bonus proposer reward", &p.bonus_proposer_reward)?,
            withdraw_addr_enabled: p.withdraw_addr_enabled,
        };
        out.validate()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let p = Params::default();
        p.validate().unwrap();
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
        let mut bad = p.to_proto();
        bad.community_tax = "1.5".into();
        assert!(Params::from_proto(&bad).is_err());
        let mut bad = p.to_proto();
        bad.community_tax = "-0.1".into();
        assert!(Params::from_proto(&bad).is_err());
        let mut one = p.to_proto();
        one.community_tax = "1.0".into();
        assert!(Params::from_proto(&one).is_ok());
    }
}
