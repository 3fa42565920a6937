//! Gov params (`cosmos.gov.v1.Params`): the SDK v0.50 defaults with `uopen`, validation as
//! the SDK's `Params.ValidateBasic`, and the typed form the keeper works with. Decimals are
//! plain decimal strings in gov v1 (`"0.334000000000000000"`), not `LegacyDec` atomics.

use cosmrs::proto::cosmos::gov::v1::Params;
use cosmrs::proto::tendermint::google::protobuf::Duration;
use openledger_framework::coins::BASE_DENOM;
use openledger_framework::{Address, Coin, Coins, Dec};

use crate::GovError;

pub const DEFAULT_MIN_DEPOSIT: u128 = 10_000_000;
pub const DEFAULT_EXPEDITED_MIN_DEPOSIT: u128 = 50_000_000;
pub const DEFAULT_PERIOD_SECONDS: i64 = 2 * 24 * 3600;
pub const DEFAULT_EXPEDITED_PERIOD_SECONDS: i64 = 24 * 3600;

fn dec(s: &str) -> String {
    // Constants below are valid decimals; the display form has 18 digits like the SDK's.
    s.parse::<Dec>().map(|d| d.to_string()).unwrap_or_default()
}

pub fn default_params() -> Params {
    Params {
        min_deposit: vec![Coin::new(DEFAULT_MIN_DEPOSIT, BASE_DENOM).to_proto()],
        max_deposit_period: Some(Duration {
            seconds: DEFAULT_PERIOD_SECONDS,
            nanos: 0,
        }),
        voting_period: Some(Duration {
            seconds: DEFAULT_PERIOD_SECONDS,
            nanos: 0,
        }),
        quorum: dec("0.334"),
        threshold: dec("0.5"),
        veto_threshold: dec("0.334"),
        min_initial_deposit_ratio: dec("0"),
        proposal_cancel_ratio: dec("0.5"),
        proposal_cancel_dest: String::new(),
        expedited_voting_period: Some(Duration {
            seconds: DEFAULT_EXPEDITED_PERIOD_SECONDS,
            nanos: 0,
        }),
        expedited_threshold: dec("0.667"),
        expedited_min_deposit: vec![
            Coin::new(DEFAULT_EXPEDITED_MIN_DEPOSIT, BASE_DENOM).to_proto(),
        ],
        burn_vote_quorum: false,
        burn_proposal_deposit_prevote: false,
        burn_vote_veto: true,
        min_deposit_ratio: dec("0.01"),
    }
}

/// The params, typed and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovParams {
    pub min_deposit: Coins,
    pub max_deposit_period: (i64, i32),
    pub voting_period: (i64, i32),
    pub quorum: Dec,
    pub threshold: Dec,
    pub veto_threshold: Dec,
    pub min_initial_deposit_ratio: Dec,
    pub min_deposit_ratio: Dec,
    pub burn_vote_quorum: bool,
    pub burn_proposal_deposit_prevote: bool,
    pub burn_vote_veto: bool,
}

fn bad(m: impl Into<String>) -> GovError {
    GovError::InvalidParams(m.into())
}

fn ratio(what: &str, s: &str) -> Result<Dec, GovError> {
    s.parse::<Dec>()
        .map_err(|_| bad(format!("invalid {what} string: {s:?}")))
}

fn period(what: &str, d: Option<&Duration>) -> Result<(i64, i32), GovError> {
    let d = d.ok_or_else(|| bad(format!("{what} must not be nil")))?;
    if !(0..1_000_000_000).contains(&d.nanos) || d.seconds < 0 || (d.seconds == 0 && d.nanos == 0) {
        return Err(bad(format!("{what} must be positive: {}s", d.seconds)));
    }
    Ok((d.seconds, d.nanos))
}

fn coins(what: &str, c: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Result<Coins, GovError> {
    let coins = Coins::from_proto(c).map_err(|e| bad(format!("invalid {what}: {e}")))?;
    if coins.is_empty() {
        return Err(bad(format!("invalid {what}: it must not be empty")));
    }
    Ok(coins)
}

/// Parses and validates params (the SDK's `Params.ValidateBasic`).
pub fn parse(p: &Params) -> Result<GovParams, GovError> {
    let min_deposit = coins("minimum deposit", &p.min_deposit)?;
    let expedited_min_deposit = coins("expedited minimum deposit", &p.expedited_min_deposit)?;
    // The expedited minimum must be above the minimum in every denom of the minimum.
    if min_deposit
        .iter()
        .all(|c| expedited_min_deposit.amount_of(&c.denom) <= c.amount)
    {
        return Err(bad(format!(
            "expedited minimum deposit must be greater than minimum deposit: {expedited_min_deposit} <= {min_deposit}"
        )));
    }
    let quorum = ratio("quorum", &p.quorum)?;
    if quorum > Dec::ONE {
        return Err(bad(format!("quorum too large: {quorum}")));
    }
    let threshold = ratio("threshold", &p.threshold)?;
    if threshold.is_zero() {
        return Err(bad(format!("vote threshold must be positive: {threshold}")));
    }
    if threshold > Dec::ONE {
        return Err(bad(format!("vote threshold too large: {threshold}")));
    }
    let expedited_threshold = ratio("expedited threshold", &p.expedited_threshold)?;
    if expedited_threshold.is_zero() || expedited_threshold > Dec::ONE {
        return Err(bad(format!(
            "expedited vote threshold must be in (0, 1]: {expedited_threshold}"
        )));
    }
    if expedited_threshold <= threshold {
        return Err(bad(format!(
            "expedited vote threshold {expedited_threshold} must be greater than the regular threshold {threshold}"
        )));
    }
    let veto_threshold = ratio("veto threshold", &p.veto_threshold)?;
    if veto_threshold.is_zero() {
        return Err(bad(format!(
            "veto threshold must be positive: {veto_threshold}"
        )));
    }
    if veto_threshold > Dec::ONE {
        return Err(bad(format!("veto threshold too large: {veto_threshold}")));
    }
    let cancel = ratio("proposal cancel ratio", &p.proposal_cancel_ratio)?;
    if cancel > Dec::ONE {
        return Err(bad(format!("proposal cancel ratio too large: {cancel}")));
    }
    if !p.proposal_cancel_dest.is_empty() {
        Address::from_bech32(&p.proposal_cancel_dest)
            .map_err(|e| bad(format!("invalid proposal cancel dest: {e}")))?;
    }
    let max_deposit_period = period("maximum deposit period", p.max_deposit_period.as_ref())?;
    let voting_period = period("voting period", p.voting_period.as_ref())?;
    let expedited_period = period(
        "expedited voting period",
        p.expedited_voting_period.as_ref(),
    )?;
    if expedited_period >= voting_period {
        return Err(bad(format!(
            "expedited voting period {}s must be strictly less than the regular voting period {}s",
            expedited_period.0, voting_period.0
        )));
    }
    let min_initial_deposit_ratio = ratio(
        "minimum initial deposit ratio",
        &p.min_initial_deposit_ratio,
    )?;
    if min_initial_deposit_ratio > Dec::ONE {
        return Err(bad(format!(
            "minimum initial deposit ratio too large: {min_initial_deposit_ratio}"
        )));
    }
    let min_deposit_ratio = ratio("minimum deposit ratio", &p.min_deposit_ratio)?;
    if min_deposit_ratio > Dec::ONE {
        return Err(bad(format!(
            "minimum deposit ratio too large: {min_deposit_ratio}"
        )));
    }
    Ok(GovParams {
        min_deposit,
        max_deposit_period,
        voting_period,
        quorum,
        threshold,
        veto_threshold,
        min_initial_deposit_ratio,
        min_deposit_ratio,
        burn_vote_quorum: p.burn_vote_quorum,
        burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
        burn_vote_veto: p.burn_vote_veto,
    })
}

pub fn validate(p: &Params) -> Result<(), GovError> {
    parse(p).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_sdks_and_valid() {
        let p = default_params();
        let g = parse(&p).unwrap();
        assert_eq!(g.min_deposit.amount_of("uopen"), 10_000_000);
        assert_eq!(g.quorum, "0.334".parse().unwrap());
        assert_eq!(p.quorum, "0.334000000000000000");
        assert_eq!(g.voting_period, (172_800, 0));
        assert!(g.burn_vote_veto && !g.burn_vote_quorum && !g.burn_proposal_deposit_prevote);
    }

    #[test]
    fn bad_params_are_refused() {
        let p = default_params();
        let cases: Vec<(Params, &str)> = vec![
            (
                Params {
                    quorum: "1.5".into(),
                    ..p.clone()
                },
                "quorum too large",
            ),
            (
                Params {
                    quorum: "-0.1".into(),
                    ..p.clone()
                },
                "invalid quorum",
            ),
            (
                Params {
                    threshold: "0".into(),
                    ..p.clone()
                },
                "threshold must be positive",
            ),
            (
                Params {
                    veto_threshold: "1.01".into(),
                    ..p.clone()
                },
                "veto threshold too large",
            ),
            (
                Params {
                    min_deposit: vec![],
                    ..p.clone()
                },
                "minimum deposit",
            ),
            (
                Params {
                    voting_period: None,
                    ..p.clone()
                },
                "voting period must not be nil",
            ),
            (
                Params {
                    max_deposit_period: Some(Duration {
                        seconds: 0,
                        nanos: 0,
                    }),
                    ..p.clone()
                },
                "maximum deposit period must be positive",
            ),
            (
                Params {
                    expedited_voting_period: p.voting_period,
                    ..p.clone()
                },
                "expedited voting period",
            ),
            (
                Params {
                    min_initial_deposit_ratio: "2".into(),
                    ..p.clone()
                },
                "minimum initial deposit ratio",
            ),
            (
                Params {
                    min_deposit_ratio: "x".into(),
                    ..p.clone()
                },
                "minimum deposit ratio",
            ),
            (
                Params {
                    expedited_min_deposit: p.min_deposit.clone(),
                    ..p.clone()
                },
                "expedited minimum deposit",
            ),
            (
                Params {
                    expedited_threshold: "0.4".into(),
                    ..p.clone()
                },
                "expedited vote threshold",
            ),
        ];
        for (bad, want) in cases {
            let err = validate(&bad).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
        }
    }
}
