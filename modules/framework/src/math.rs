//! Fixed-point arithmetic as the Cosmos SDK does it: integer products on 256 bits so that
//! `shares × tokens / total` never overflows (`mul_div_*`), and `LegacyDec` arithmetic on the
//! framework's [`Dec`]: `*_trunc` rounds toward zero, the others round half to even (the SDK's
//! `chopPrecisionAndRound`); a result above `u128::MAX` atomics gives `None`. Also the two
//! string forms of a `LegacyDec`: atomics in protobuf, the decimal form in JSON.

use crate::Dec;
use crate::coins::parse_amount;

const ONE: u128 = 1_000_000_000_000_000_000;

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

/// `a × b / d` rounded down; `None` on overflow or `d == 0`.
pub fn mul_div_floor(a: u128, b: u128, d: u128) -> Option<u128> {
    mul_div(a, b, d).map(|(q, _)| q)
}

/// `a × b / d` rounded up; `None` on overflow or `d == 0`.
pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> Option<u128> {
    let (q, r) = mul_div(a, b, d)?;
    if r == 0 { Some(q) } else { q.checked_add(1) }
}

/// `amount × dec`, rounded down.
pub fn mul_dec_floor(amount: u128, dec: Dec) -> Option<u128> {
    mul_div_floor(amount, dec.atomics(), Dec::ONE.atomics())
}

/// `a × b / d` rounded half to even; `None` on overflow or `d == 0`.
pub fn mul_div_round(a: u128, b: u128, d: u128) -> Option<u128> {
    let q = mul_div_floor(a, b, d)?;
    if mul_div_ceil(a, b, d)? == q {
        return Some(q);
    }
    // Compare the fraction with one half through floor/ceil of 2ab/d.
    let (a2, b2) = match a.checked_mul(2) {
        Some(a2) => (a2, b),
        None => (a, b.checked_mul(2)?),
    };
    let f2 = mul_div_floor(a2, b2, d)?;
    let twice_q = q.checked_mul(2)?;
    if f2 == twice_q {
        return Some(q); // below one half
    }
    let exact_half = mul_div_ceil(a2, b2, d)? == f2;
    if exact_half && q % 2 == 0 {
        Some(q)
    } else {
        q.checked_add(1)
    }
}

/// `a × b`, truncated (`MulTruncate`).
pub fn mul_trunc(a: Dec, b: Dec) -> Option<Dec> {
    mul_div_floor(a.atomics(), b.atomics(), ONE).map(Dec::from_atomics)
}

/// `a × b`, rounded (`Mul`).
pub fn mul_round(a: Dec, b: Dec) -> Option<Dec> {
    mul_div_round(a.atomics(), b.atomics(), ONE).map(Dec::from_atomics)
}

/// `a / b`, truncated (`QuoTruncate`); `None` when `b` is zero.
pub fn quo_trunc(a: Dec, b: Dec) -> Option<Dec> {
    mul_div_floor(a.atomics(), ONE, b.atomics()).map(Dec::from_atomics)
}

/// `a / b`, rounded (`Quo`); `None` when `b` is zero.
pub fn quo_round(a: Dec, b: Dec) -> Option<Dec> {
    mul_div_round(a.atomics(), ONE, b.atomics()).map(Dec::from_atomics)
}

pub fn add(a: Dec, b: Dec) -> Option<Dec> {
    a.atomics().checked_add(b.atomics()).map(Dec::from_atomics)
}

/// `a - b`, `None` when negative.
pub fn sub(a: Dec, b: Dec) -> Option<Dec> {
    a.atomics().checked_sub(b.atomics()).map(Dec::from_atomics)
}

/// An integer as a decimal (`LegacyNewDecFromInt`).
pub fn from_int(n: u128) -> Option<Dec> {
    n.checked_mul(ONE).map(Dec::from_atomics)
}

/// The integer part (`TruncateInt`).
pub fn truncate(d: Dec) -> u128 {
    d.atomics() / ONE
}

/// Parses a `LegacyDec` as protobuf carries it (atomics) or, leniently, in decimal form.
/// The empty string is zero (an unset field).
pub fn parse_proto_dec(s: &str) -> Result<Dec, String> {
    if s.is_empty() {
        return Ok(Dec::ZERO);
    }
    if s.contains('.') {
        s.parse::<Dec>().map_err(|e| e.to_string())
    } else {
        parse_amount(s)
            .map(Dec::from_atomics)
            .map_err(|e| e.to_string())
    }
}

/// A `LegacyDec` as protobuf carries it: its atomics.
pub fn proto_dec(d: Dec) -> String {
    d.atomics().to_string()
}

/// Parses a `LegacyDec` in JSON (decimal) form: `"0.02"`, `"1"`, `"0.020000000000000000"`.
pub fn parse_json_dec(s: &str) -> Result<Dec, String> {
    s.parse::<Dec>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_matches_the_sdk() {
        // Half to even at the 18th decimal.
        assert_eq!(mul_div_round(5, 1, 10), Some(0));
        assert_eq!(mul_div_round(15, 1, 10), Some(2));
        assert_eq!(mul_div_round(25, 1, 10), Some(2));
        assert_eq!(mul_div_round(26, 1, 10), Some(3));
        assert_eq!(mul_div_round(24, 1, 10), Some(2));
        assert_eq!(mul_div_round(7, 1, 0), None);
        assert_eq!(quo_trunc(d("1"), d("3")), Some(d("0.333333333333333333")));
        assert_eq!(quo_round(d("2"), d("3")), Some(d("0.666666666666666667")));
        assert_eq!(quo_trunc(d("2"), d("3")), Some(d("0.666666666666666666")));
        assert_eq!(
            mul_trunc(d("0.5"), d("0.000000000000000001")),
            Some(Dec::ZERO)
        );
        assert_eq!(
            mul_round(d("0.5"), d("0.000000000000000001")),
            Some(Dec::ZERO)
        );
        assert_eq!(
            mul_round(d("1.5"), d("0.000000000000000001")),
            Some(d("0.000000000000000002"))
        );
        assert_eq!(quo_trunc(d("1"), Dec::ZERO), None);
    }

    #[test]
    fn dec_forms() {
        assert_eq!(parse_proto_dec("20000000000000000").unwrap(), d("0.02"));
        assert_eq!(parse_proto_dec("0.02").unwrap(), d("0.02"));
        assert_eq!(parse_proto_dec("").unwrap(), Dec::ZERO);
        assert!(parse_proto_dec("-1").is_err());
        assert_eq!(proto_dec(d("0.02")), "20000000000000000");
        assert_eq!(truncate(d("12.99")), 12);
        assert_eq!(from_int(3), Some(d("3")));
    }

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

    proptest! {
        #[test]
        fn mul_div_matches_small_arithmetic(a in 0u128..u64::MAX as u128, b in 0u128..u64::MAX as u128, d in 1u128..u64::MAX as u128) {
            prop_assert_eq!(mul_div_floor(a, b, d), Some(a * b / d));
            prop_assert_eq!(mul_div_ceil(a, b, d), Some((a * b).div_ceil(d)));
        }
    }
}
