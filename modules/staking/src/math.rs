//! Integer arithmetic for tokens and shares: 256-bit intermediate products so that
//! `shares × tokens / total` never overflows, and the two string forms of a Cosmos `LegacyDec`.
//!
//! In protobuf (messages, stored state, gRPC answers) the SDK writes a `LegacyDec` as its
//! atomics, the integer `value × 10^18` ("100000000000000000" is 0.1); in JSON (genesis) it
//! writes the decimal form ("0.100000000000000000"). Both are handled here.

use openledger_framework::Dec;
use openledger_framework::coins::parse_amount;

use crate::StakingError;

/// `a × b` as a 256-bit number `(high, low)`.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let low = (p00 & MASK) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// `a × b / d` rounded down and the remainder, or `None` when `d` is zero or the quotient
/// does not fit in 128 bits.
fn mul_div(a: u128, b: u128, d: u128) -> Option<(u128, u128)> {
    if d == 0 {
        return None;
    }
    let (high, low) = mul_wide(a, b);
    if high >= d {
        return None;
    }
    // Long division of the low half, carrying the remainder (which stays below `d`).
    let mut rem = high;
    let mut q = 0u128;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((low >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    Some((q, rem))
}

pub fn mul_div_floor(a: u128, b: u128, d: u128) -> Option<u128> {
    mul_div(a, b, d).map(|(q, _)| q)
}

pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> Option<u128> {
    let (q, r) = mul_div(a, b, d)?;
    if r == 0 { Some(q) } else { q.checked_add(1) }
}

/// `amount × dec`, rounded down.
pub fn mul_dec_floor(amount: u128, dec: Dec) -> Option<u128> {
    mul_div_floor(amount, dec.atomics(), Dec::ONE.atomics())
}

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

/// A `LegacyDec` as protobuf carries it: its atomics.
pub fn proto_dec(d: Dec) -> String {
    d.atomics().to_string()
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
    use proptest::prelude::*;

    #[test]
    fn mul_div_handles_wide_products() {
        let big = 10u128.pow(30);
        assert_eq!(mul_div_floor(big, big, big), Some(big));
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX),
            Some(u128::MAX)
        );
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), None);
        assert_eq!(mul_div_floor(7, 3, 2), Some(10));
        assert_eq!(mul_div_ceil(7, 3, 2), Some(11));
        assert_eq!(mul_div_floor(1, 1, 0), None);
    }

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

    proptest! {
        #[test]
        fn mul_div_matches_small_arithmetic(a in 0u128..u64::MAX as u128, b in 0u128..u64::MAX as u128, d in 1u128..u64::MAX as u128) {
            prop_assert_eq!(mul_div_floor(a, b, d), Some(a * b / d));
            prop_assert_eq!(mul_div_ceil(a, b, d), Some((a * b).div_ceil(d)));
        }
    }
}
