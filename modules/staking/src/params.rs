//! Staking params: defaults (the SDK's, with `uopen`) and validation.

use cosmrs::proto::cosmos::staking::v1beta1::Params;
use cosmrs::proto::tendermint::google::protobuf::Duration;
use openledger_framework::coins::{BASE_DENOM, validate_denom};
use openledger_framework::{Coin, Dec};

use crate::StakingError;
use crate::math::{parse_proto_dec, proto_dec};

/// 21 days, the Cosmos Hub's unbonding time.
pub const DEFAULT_UNBONDING_SECONDS: i64 = 21 * 24 * 3600;

pub fn default_params() -> Params {
    Params {
        unbonding_time: Some(Duration {
            seconds: DEFAULT_UNBONDING_SECONDS,
            nanos: 0,
        }),
        max_validators: 100,
        max_entries: 7,
        historical_entries: 10_000,
        bond_denom: BASE_DENOM.to_string(),
        min_commission_rate: proto_dec(Dec::ZERO),
    }
}

/// The unbonding time as `(seconds, nanos)`.
pub fn unbonding_time(p: &Params) -> (i64, i32) {
    p.unbonding_time
        .as_ref()
        .map_or((DEFAULT_UNBONDING_SECONDS, 0), |d| (d.seconds, d.nanos))
}

pub fn min_commission_rate(p: &Params) -> Result<Dec, StakingError> {
    if p.min_commission_rate.is_empty() {
        return Ok(Dec::ZERO);
    }
    parse_proto_dec("min commission rate", &p.min_commission_rate)
}

pub fn validate(p: &Params) -> Result<(), StakingError> {
    let bad = |m: &str| Err(StakingError::InvalidParams(m.to_string()));
    match &p.unbonding_time {
        Some(d) if d.seconds > 0 && (0..1_000_000_000).contains(&d.nanos) => {}
        Some(d) if d.seconds == 0 && d.nanos > 0 && d.nanos < 1_000_000_000 => {}
        _ => return bad("unbonding time must be positive"),
    }
    if p.max_validators == 0 {
        return bad("max validators must be positive");
    }
    if p.max_entries == 0 {
        return bad("max entries must be positive");
    }
    validate_denom(&p.bond_denom)
        .map_err(|e| StakingError::InvalidParams(format!("bond denom: {e}")))?;
    if min_commission_rate(p)? > Dec::ONE {
        return bad("min commission rate cannot be above 100%");
    }
    Ok(())
}

/// A positive amount of the bond denom.
pub(crate) fn check_bond_coin(bond_denom: &str, c: &Coin) -> Result<(), StakingError> {
    if c.denom != bond_denom {
        return Err(StakingError::BadDenom {
            got: c.denom.clone(),
            expected: bond_denom.to_string(),
        });
    }
    if c.amount == 0 {
        return Err(StakingError::BadDelegationAmount(
            "amount must be positive".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_params_are_refused() {
        let p = default_params();
        validate(&p).unwrap();
        assert_eq!(unbonding_time(&p), (DEFAULT_UNBONDING_SECONDS, 0));
        for bad in [
            Params {
                max_validators: 0,
                ..p.clone()
            },
            Params {
                max_entries: 0,
                ..p.clone()
            },
            Params {
                unbonding_time: None,
                ..p.clone()
            },
            Params {
                bond_denom: "x".into(),
                ..p.clone()
            },
            Params {
                min_commission_rate: "1.5".into(),
                ..p.clone()
            },
        ] {
            assert!(validate(&bad).is_err(), "{bad:?}");
        }
    }
}
