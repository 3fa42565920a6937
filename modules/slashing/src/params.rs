//! Slashing params: the SDK's defaults (window 100, 50 % signed, 600 s jail, 5 % double sign,
//! 1 % downtime) and validation. Stored as `cosmos.slashing.v1beta1.Params`, whose decimals
//! are `bytes` holding the `LegacyDec` atomics as ASCII (`b"500000000000000000"` is 0.5), as
//! the SDK's gogoproto custom type writes them.

use cosmrs::proto::cosmos::slashing::v1beta1 as pb;
use cosmrs::proto::tendermint::google::protobuf::Duration;
use openledger_framework::Dec;
use openledger_framework::coins::parse_amount;

use crate::SlashingError;

pub const DEFAULT_SIGNED_BLOCKS_WINDOW: i64 = 100;
pub const DEFAULT_DOWNTIME_JAIL_SECONDS: i64 = 600;

/// Typed params.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub signed_blocks_window: i64,
    pub min_signed_per_window: Dec,
    /// `(seconds, nanos)`.
    pub downtime_jail_duration: (i64, i32),
    pub slash_fraction_double_sign: Dec,
    pub slash_fraction_downtime: Dec,
}

fn dec(atomics: u128) -> Dec {
    Dec::from_atomics(atomics)
}

impl Default for Params {
    fn default() -> Self {
        const E18: u128 = 1_000_000_000_000_000_000;
        Self {
            signed_blocks_window: DEFAULT_SIGNED_BLOCKS_WINDOW,
            min_signed_per_window: dec(E18 / 2),
            downtime_jail_duration: (DEFAULT_DOWNTIME_JAIL_SECONDS, 0),
            slash_fraction_double_sign: dec(E18 / 20),
            slash_fraction_downtime: dec(E18 / 100),
        }
    }
}

/// A `LegacyDec` in protobuf `bytes`: its atomics as ASCII (leniently, a decimal with a point).
pub fn parse_dec_bytes(what: &str, b: &[u8]) -> Result<Dec, SlashingError> {
    let bad = |e: String| SlashingError::InvalidParams(format!("{what}: {e}"));
    if b.is_empty() {
        return Err(bad("is missing".into()));
    }
    let s = std::str::from_utf8(b).map_err(|_| bad("not a decimal".into()))?;
    if s.contains('.') {
        s.parse::<Dec>()
            .map_err(|e| bad(format!("invalid decimal {s:?}: {e}")))
    } else {
        parse_amount(s)
            .map(Dec::from_atomics)
            .map_err(|e| bad(format!("invalid decimal {s:?}: {e}")))
    }
}

pub fn dec_bytes(d: Dec) -> Vec<u8> {
    d.atomics().to_string().into_bytes()
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, SlashingError> {
        let d = p.downtime_jail_duration.as_ref().ok_or_else(|| {
            SlashingError::InvalidParams("downtime jail duration is missing".into())
        })?;
        let out = Self {
            signed_blocks_window: p.signed_blocks_window,
            min_signed_per_window: parse_dec_bytes(
                "min signed per window",
                &p.min_signed_per_window,
            )?,
            downtime_jail_duration: (d.seconds, d.nanos),
            slash_fraction_double_sign: parse_dec_bytes(
                "slash fraction double sign",
                &p.slash_fraction_double_sign,
            )?,
            slash_fraction_downtime: parse_dec_bytes(
                "slash fraction downtime",
                &p.slash_fraction_downtime,
            )?,
        };
        out.validate()?;
        Ok(out)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            signed_blocks_window: self.signed_blocks_window,
            min_signed_per_window: dec_bytes(self.min_signed_per_window),
            downtime_jail_duration: Some(Duration {
                seconds: self.downtime_jail_duration.0,
                nanos: self.downtime_jail_duration.1,
            }),
            slash_fraction_double_sign: dec_bytes(self.slash_fraction_double_sign),
            slash_fraction_downtime: dec_bytes(self.slash_fraction_downtime),
        }
    }

    /// The SDK's checks: a positive window and jail duration, fractions within `[0, 1]`.
    pub fn validate(&self) -> Result<(), SlashingError> {
        let bad = |m: &str| Err(SlashingError::InvalidParams(m.to_string()));
        if self.signed_blocks_window <= 0 {
            return bad(&format!(
                "signed blocks window must be positive: {}",
                self.signed_blocks_window
            ));
        }
        let (s, n) = self.downtime_jail_duration;
        if !(0..1_000_000_000).contains(&n) || s < 0 || (s == 0 && n == 0) {
            return bad("downtime jail duration must be positive");
        }
        for (what, d) in [
            ("min signed per window", self.min_signed_per_window),
            (
                "double sign slash fraction",
                self.slash_fraction_double_sign,
            ),
            ("downtime slash fraction", self.slash_fraction_downtime),
        ] {
            if d > Dec::ONE {
                return bad(&format!("{what} too large: {d}"));
            }
        }
        Ok(())
    }

    /// `min_signed_per_window × signed_blocks_window`, rounded half to even as the SDK's
    /// `LegacyDec.RoundInt64`.
    pub fn min_signed_per_window_int(&self) -> i64 {
        let window = u128::try_from(self.signed_blocks_window.max(0)).unwrap_or(0);
        let one = Dec::ONE.atomics();
        // atomics ≤ 10^18 (validated) × window < 2^63: fits in u128.
        let prod = self.min_signed_per_window.atomics().saturating_mul(window);
        let (q, r) = (prod / one, prod % one);
        let rounded = match (r * 2).cmp(&one) {
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal if q % 2 == 1 => q + 1,
            _ => q,
        };
        i64::try_from(rounded).unwrap_or(i64::MAX)
    }

    /// Most blocks a validator may miss in a window before it is slashed for downtime.
    pub fn max_missed_blocks(&self) -> i64 {
        self.signed_blocks_window - self.min_signed_per_window_int()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_sdks_and_round_trip() {
        let p = Params::default();
        p.validate().unwrap();
        assert_eq!(p.min_signed_per_window, "0.5".parse().unwrap());
        assert_eq!(p.slash_fraction_double_sign, "0.05".parse().unwrap());
        assert_eq!(p.slash_fraction_downtime, "0.01".parse().unwrap());
        let proto = p.to_proto();
        assert_eq!(proto.min_signed_per_window, b"500000000000000000");
        assert_eq!(Params::from_proto(&proto).unwrap(), p);
        assert_eq!(p.min_signed_per_window_int(), 50);
        assert_eq!(p.max_missed_blocks(), 50);
    }

    #[test]
    fn bankers_rounding_of_min_signed() {
        let p = |min: &str, window| Params {
            min_signed_per_window: min.parse().unwrap(),
            signed_blocks_window: window,
            ..Params::default()
        };
        assert_eq!(p("0.5", 5).min_signed_per_window_int(), 2); // 2.5 -> 2
        assert_eq!(p("0.5", 7).min_signed_per_window_int(), 4); // 3.5 -> 4
        assert_eq!(p("0.51", 5).min_signed_per_window_int(), 3); // 2.55 -> 3
        assert_eq!(p("1", 10_000).min_signed_per_window_int(), 10_000);
        assert_eq!(p("0", 10).max_missed_blocks(), 10);
    }

    #[test]
    fn bad_params_are_refused() {
        let ok = Params::default();
        let bads = [
            Params {
                signed_blocks_window: 0,
                ..ok
            },
            Params {
                signed_blocks_window: -5,
                ..ok
            },
            Params {
                downtime_jail_duration: (0, 0),
                ..ok
            },
            Params {
                downtime_jail_duration: (-1, 0),
                ..ok
            },
            Params {
                min_signed_per_window: "1.5".parse().unwrap(),
                ..ok
            },
            Params {
                slash_fraction_double_sign: "1.000000000000000001".parse().unwrap(),
                ..ok
            },
            Params {
                slash_fraction_downtime: "2".parse().unwrap(),
                ..ok
            },
        ];
        for bad in bads {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let mut proto = ok.to_proto();
        proto.slash_fraction_downtime = b"-1".to_vec();
        assert!(Params::from_proto(&proto).is_err());
        proto.slash_fraction_downtime = Vec::new();
        assert!(Params::from_proto(&proto).is_err());
        proto = ok.to_proto();
        proto.downtime_jail_duration = None;
        assert!(Params::from_proto(&proto).is_err());
        proto = ok.to_proto();
        proto.min_signed_per_window = b"0.25".to_vec();
        assert_eq!(
            Params::from_proto(&proto).unwrap().min_signed_per_window,
            "0.25".parse().unwrap()
        );
    }
}
