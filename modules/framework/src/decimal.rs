//! Fixed-point decimals (18 fractional digits, like the SDK's `LegacyDec`), never floats.

use std::fmt;
use std::str::FromStr;

use crate::coins::validate_denom;
use crate::error::SdkError;

pub const PRECISION: u32 = 18;
const ONE: u128 = 10u128.pow(PRECISION);

/// A non-negative decimal stored as `value × 10^18`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dec(u128);

impl Dec {
    pub const ZERO: Dec = Dec(0);
    pub const ONE: Dec = Dec(ONE);

    pub fn from_int(n: u64) -> Self {
        Dec(n as u128 * ONE)
    }

    pub fn from_atomics(raw: u128) -> Self {
        Dec(raw)
    }

    pub fn atomics(&self) -> u128 {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// `self × n`, rounded up to an integer (how a minimum fee is computed).
    pub fn mul_int_ceil(&self, n: u128) -> Option<u128> {
        let prod = self.0.checked_mul(n)?;
        Some(prod.div_ceil(ONE))
    }

    /// `self × n`, rounded down.
    pub fn mul_int_floor(&self, n: u128) -> Option<u128> {
        Some(self.0.checked_mul(n)? / ONE)
    }
}

impl FromStr for Dec {
    type Err = SdkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SdkError::InvalidRequest(format!("invalid decimal: {s:?}"));
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if frac.len() > PRECISION as usize || (s.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        let int: u128 = int.parse().map_err(|_| bad())?;
        let mut frac_digits = frac.to_string();
        while frac_digits.len() < PRECISION as usize {
            frac_digits.push('0');
        }
        let frac: u128 = frac_digits.parse().map_err(|_| bad())?;
        int.checked_mul(ONE)
            .and_then(|v| v.checked_add(frac))
            .map(Dec)
            .ok_or_else(bad)
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:018}", self.0 / ONE, self.0 % ONE)
    }
}

/// A decimal amount of a denom, e.g. a gas price `0.025uopen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecCoin {
    pub denom: String,
    pub amount: Dec,
}

impl FromStr for DecCoin {
    type Err = SdkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (amount, denom) = s.split_at(split);
        validate_denom(denom)?;
        Ok(DecCoin {
            denom: denom.to_string(),
            amount: amount.parse()?,
        })
    }
}

impl fmt::Display for DecCoin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// Parses `"0.025uopen,0.1stake"` (empty: no minimum).
pub fn parse_dec_coins(s: &str) -> Result<Vec<DecCoin>, SdkError> {
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(DecCoin::from_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_round() {
        let d: Dec = "0.025".parse().unwrap();
        assert_eq!(d.mul_int_ceil(200_000), Some(5000));
        assert_eq!(d.mul_int_ceil(1), Some(1));
        assert_eq!(d.mul_int_floor(1), Some(0));
        assert_eq!(d.to_string(), "0.025000000000000000");
        for bad in ["", ".5", "1.", "-1", "1e3", "0.0000000000000000001"] {
            assert!(bad.parse::<Dec>().is_err(), "{bad}");
        }
        let dc: DecCoin = "0.025uopen".parse().unwrap();
        assert_eq!(dc.denom, "uopen");
    }
}
