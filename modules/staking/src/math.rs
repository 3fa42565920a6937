//! Staking's parsing of the two string forms of a Cosmos `LegacyDec` and of `Int`s, with its
//! errors; the arithmetic (256-bit `mul_div_*`) is the framework's (`openledger_framework::math`).
//!
//! In protobuf (messages, stored state, gRPC answers) the SDK writes a `LegacyDec` as its
//! atomics, the integer `value × 10^18` ("100000000000000000" is 0.1); in JSON (genesis) it
//! writes the decimal form ("0.100000000000000000"). Both are handled here.

use openledger_framework::Dec;
use openledger_framework::coins::parse_amount;

use crate::StakingError;

pub use openledger_framework::math::{mul_dec_floor, mul_div_ceil, mul_div_floor, proto_dec};

/// Parses a `LegacyDec` from protobuf: atomics, or (leniently) a decimal with a point.
pub fn parse_proto_dec(what: &str, s: &str) -> Result<Dec, StakingError> {
    let bad = |e: String| StakingError::InvalidRequest(format!("invalid {what} {s:?}: {e}"));
    if s.contains('.') {
        s.parse::<Dec>().map_err(|e| bad(e.to_string()))
    } else {
        parse_amount(s)
            .map(Dec::from_atomics)
            .map_err(|e| bad(e.to_string()))
    }
}

/// Parses a `LegacyDec` from JSON: `"0.05"`, `"1"`, `"1000000.000000000000000000"`.
pub fn parse_json_dec(what: &str, s: &str) -> Result<Dec, StakingError> {
    s.parse::<Dec>()
        .map_err(|e| StakingError::Genesis(format!("invalid {what} {s:?}: {e}")))
}

/// A `LegacyDec` as JSON shows it: 18 decimals.
pub fn json_dec(d: Dec) -> String {
    d.to_string()
}

/// Parses an `Int` (tokens, amounts): a non-negative integer; empty is zero.
pub fn parse_int(what: &str, s: &str) -> Result<u128, StakingError> {
    if s.is_empty() {
        return Ok(0);
    }
    parse_amount(s).map_err(|e| StakingError::InvalidRequest(format!("invalid {what} {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dec_forms() {
        let tenth = parse_proto_dec("rate", "100000000000000000").unwrap();
        assert_eq!(tenth, "0.1".parse().unwrap());
        assert_eq!(parse_proto_dec("rate", "0.1").unwrap(), tenth);
        assert_eq!(proto_dec(tenth), "100000000000000000");
        assert_eq!(json_dec(tenth), "0.100000000000000000");
        assert_eq!(parse_json_dec("rate", "1").unwrap(), Dec::ONE);
        assert!(parse_proto_dec("rate", "-1").is_err());
        assert!(parse_int("amount", "1.5").is_err());
    }
}
