//! The Cosmos SDK's `LegacyDec` arithmetic, bit for bit: decimals are `value × 10^18`
//! integers, products and quotients are computed exactly in 512 bits and then rounded the way
//! the SDK's `chopPrecisionAndRound` does (half to even). The tally depends on it: its powers
//! are `shares × tokens / total shares`, whose intermediate products do not fit in 128 bits.

use openledger_framework::Dec;

const PRECISION: u128 = 1_000_000_000_000_000_000;
const HALF: u128 = PRECISION / 2;

/// An unsigned 512-bit integer, little-endian 64-bit limbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wide([u64; 8]);

impl Wide {
    pub fn from_u128(v: u128) -> Self {
        let mut l = [0u64; 8];
        l[0] = v as u64;
        l[1] = (v >> 64) as u64;
        Wide(l)
    }

    fn mul_u64(self, m: u64) -> Option<Self> {
        let mut out = [0u64; 8];
        let mut carry = 0u128;
        for (o, &a) in out.iter_mut().zip(&self.0) {
            let p = a as u128 * m as u128 + carry;
            *o = p as u64;
            carry = p >> 64;
        }
        (carry == 0).then_some(Wide(out))
    }

    fn shl64(self) -> Option<Self> {
        if self.0[7] != 0 {
            return None;
        }
        let mut out = [0u64; 8];
        out[1..].copy_from_slice(&self.0[..7]);
        Some(Wide(out))
    }

    fn add(self, o: Self) -> Option<Self> {
        let mut out = [0u64; 8];
        let mut carry = 0u128;
        for (i, slot) in out.iter_mut().enumerate() {
            let s = self.0[i] as u128 + o.0[i] as u128 + carry;
            *slot = s as u64;
            carry = s >> 64;
        }
        (carry == 0).then_some(Wide(out))
    }

    /// `self × m`, or `None` past 512 bits.
    pub fn mul_u128(self, m: u128) -> Option<Self> {
        let lo = self.mul_u64(m as u64)?;
        let hi = self.mul_u64((m >> 64) as u64)?.shl64()?;
        lo.add(hi)
    }

    /// Quotient (rounded down) and remainder of `self / d`; `None` when `d` is zero.
    pub fn div_rem_u128(self, d: u128) -> Option<(Self, u128)> {
        if d == 0 {
            return None;
        }
        let mut q = [0u64; 8];
        // The remainder stays below `d`; the bit shifted out of it is carried.
        let mut rem = 0u128;
        for i in (0..512).rev() {
            let bit = (self.0[i / 64] >> (i % 64)) & 1;
            let carry = rem >> 127;
            rem = (rem << 1) | bit as u128;
            if carry == 1 || rem >= d {
                rem = rem.wrapping_sub(d);
                q[i / 64] |= 1 << (i % 64);
            }
        }
        Some((Wide(q), rem))
    }

    pub fn to_u128(self) -> Option<u128> {
        if self.0[2..].iter().any(|&l| l != 0) {
            return None;
        }
        Some(self.0[0] as u128 | ((self.0[1] as u128) << 64))
    }
}

/// The SDK's `chopPrecisionAndRound`: divides by 10^18, rounding half to even.
fn chop_round(x: Wide) -> Option<u128> {
    let (q, r) = x.div_rem_u128(PRECISION)?;
    let q = q.to_u128()?;
    if r < HALF || (r == HALF && q % 2 == 0) {
        Some(q)
    } else {
        q.checked_add(1)
    }
}

/// `a × n` for an integer `n` (`LegacyDec.MulInt`), exact and possibly wider than 128 bits.
pub fn mul_int(a: Dec, n: u128) -> Option<Wide> {
    Wide::from_u128(a.atomics()).mul_u128(n)
}

/// `a × b` (`LegacyDec.Mul`).
pub fn mul(a: Dec, b: Dec) -> Option<Dec> {
    chop_round(Wide::from_u128(a.atomics()).mul_u128(b.atomics())?).map(Dec::from_atomics)
}

/// `num / b` where `num` is a decimal's atomics, possibly wide (`LegacyDec.Quo`): the quotient
/// of `num × 10^36 / b` is truncated, then rounded to 18 decimals.
pub fn quo_wide(num: Wide, b: Dec) -> Option<Dec> {
    let scaled = num.mul_u128(PRECISION * PRECISION)?;
    let (q, _) = scaled.div_rem_u128(b.atomics())?;
    chop_round(q).map(Dec::from_atomics)
}

/// `a / b` (`LegacyDec.Quo`).
pub fn quo(a: Dec, b: Dec) -> Option<Dec> {
    quo_wide(Wide::from_u128(a.atomics()), b)
}

/// The integer part (`LegacyDec.TruncateInt`).
pub fn truncate(a: Dec) -> u128 {
    a.atomics() / PRECISION
}

/// Rounded to an integer, half to even (`LegacyDec.RoundInt`).
pub fn round_int(a: Dec) -> u128 {
    // A u128 divided by 10^18 always fits.
    chop_round(Wide::from_u128(a.atomics())).unwrap_or(u128::MAX / PRECISION)
}

/// An integer as a decimal.
pub fn int_dec(n: u128) -> Option<Dec> {
    n.checked_mul(PRECISION).map(Dec::from_atomics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_is_half_to_even() {
        // 1/3 = 0.333…3 (truncated at the 36th digit, rounded down at the 18th).
        assert_eq!(quo(d("1"), d("3")).unwrap(), d("0.333333333333333333"));
        assert_eq!(quo(d("2"), d("3")).unwrap(), d("0.666666666666666667"));
        // 0.5 × 10^-18 rounds to even (0), 1.5 × 10^-18 rounds to 2 × 10^-18.
        let tiny = Dec::from_atomics(1);
        assert_eq!(mul(tiny, d("0.5")).unwrap(), Dec::ZERO);
        assert_eq!(
            mul(Dec::from_atomics(3), d("0.5")).unwrap(),
            Dec::from_atomics(2)
        );
        assert_eq!(round_int(d("2.5")), 2);
        assert_eq!(round_int(d("3.5")), 4);
        assert_eq!(truncate(d("3.99")), 3);
        assert!(quo(d("1"), Dec::ZERO).is_none());
    }

    #[test]
    fn wide_products_do_not_overflow() {
        // 10^15 shares × 10^15 tokens / 10^15 shares: the product is 10^48 atomics.
        let shares = int_dec(10u128.pow(15)).unwrap();
        let num = mul_int(shares, 10u128.pow(15)).unwrap();
        assert!(num.to_u128().is_none());
        assert_eq!(
            quo_wide(num, shares).unwrap(),
            int_dec(10u128.pow(15)).unwrap()
        );
    }

    proptest! {
        #[test]
        fn division_matches_u128(a in 0u128..u128::MAX, b in 1u128..u128::MAX) {
            let (q, r) = Wide::from_u128(a).div_rem_u128(b).unwrap();
            prop_assert_eq!(q.to_u128(), Some(a / b));
            prop_assert_eq!(r, a % b);
        }

        #[test]
        fn multiplication_matches_u128(a in 0u128..u64::MAX as u128, b in 0u128..u64::MAX as u128) {
            prop_assert_eq!(Wide::from_u128(a).mul_u128(b).unwrap().to_u128(), Some(a * b));
        }
    }
}
