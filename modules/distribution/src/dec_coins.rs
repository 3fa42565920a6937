//! `DecCoins`: decimal amounts per denom (the SDK's `sdk.DecCoins`), what distribution keeps its
//! reward accounting in. Sorted by denom, no zero amounts, non-negative; every operation is
//! checked (`Sub` below zero is an error, never a wrap).

use std::collections::BTreeMap;
use std::fmt;

use cosmrs::proto::cosmos::base::v1beta1::DecCoin as ProtoDecCoin;
use openledger_framework::coins::validate_denom;
use openledger_framework::{Coin, Coins, Dec};
use serde::{Deserialize, Serialize};

use openledger_framework::math;

/// Why a `DecCoins` operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecCoinsError {
    Overflow(String),
    Negative(String),
    Invalid(String),
}

impl fmt::Display for DecCoinsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecCoinsError::Overflow(s) => write!(f, "overflow: {s}"),
            DecCoinsError::Negative(s) => write!(f, "negative amount: {s}"),
            DecCoinsError::Invalid(s) => write!(f, "invalid decimal coins: {s}"),
        }
    }
}

type R<T> = Result<T, DecCoinsError>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecCoins(BTreeMap<String, Dec>);

/// A `DecCoin` in genesis JSON: `{"denom": "uopen", "amount": "1.500000000000000000"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecCoinJson {
    pub denom: String,
    pub amount: String,
}

impl DecCoins {
    pub fn new() -> Self {
        Self::default()
    }

    /// One denom (nothing when `amount` is zero).
    pub fn of(denom: &str, amount: Dec) -> Self {
        let mut out = Self::new();
        if !amount.is_zero() {
            out.0.insert(denom.to_string(), amount);
        }
        out
    }

    pub fn from_coins(coins: &Coins) -> R<Self> {
        let mut out = Self::new();
        for c in coins.iter() {
            let amount =
                math::from_int(c.amount).ok_or_else(|| DecCoinsError::Overflow(c.to_string()))?;
            out = out.add(&Self::of(&c.denom, amount))?;
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn amount_of(&self, denom: &str) -> Dec {
        self.0.get(denom).copied().unwrap_or(Dec::ZERO)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Dec)> {
        self.0.iter()
    }

    pub fn add(&self, other: &DecCoins) -> R<DecCoins> {
        let mut out = self.0.clone();
        for (denom, amount) in &other.0 {
            let e = out.entry(denom.clone()).or_insert(Dec::ZERO);
            *e = math::add(*e, *amount)
                .ok_or_else(|| DecCoinsError::Overflow(format!("{amount}{denom}")))?;
        }
        Ok(DecCoins(out))
    }

    /// `self - other`; an error if any denom would go below zero (the SDK panics there).
    pub fn checked_sub(&self, other: &DecCoins) -> R<DecCoins> {
        let mut out = self.0.clone();
        for (denom, amount) in &other.0 {
            let have = out.get(denom).copied().unwrap_or(Dec::ZERO);
            let left = math::sub(have, *amount).ok_or_else(|| {
                DecCoinsError::Negative(format!("{have}{denom} - {amount}{denom}"))
            })?;
            if left.is_zero() {
                out.remove(denom);
            } else {
                out.insert(denom.clone(), left);
            }
        }
        Ok(DecCoins(out))
    }

    /// The smaller amount of each denom present in both (`Intersect`).
    pub fn intersect(&self, other: &DecCoins) -> DecCoins {
        DecCoins(
            self.0
                .iter()
                .filter_map(|(denom, a)| {
                    let m = (*a).min(other.amount_of(denom));
                    (!m.is_zero()).then(|| (denom.clone(), m))
                })
                .collect(),
        )
    }

    /// Whether every amount is at most `other`'s (`IsAllLTE`).
    pub fn is_all_lte(&self, other: &DecCoins) -> bool {
        self.0.iter().all(|(d, a)| *a <= other.amount_of(d))
    }

    fn map(&self, what: &str, f: impl Fn(Dec) -> Option<Dec>) -> R<DecCoins> {
        let mut out = BTreeMap::new();
        for (denom, a) in &self.0 {
            let v =
                f(*a).ok_or_else(|| DecCoinsError::Overflow(format!("{what} of {a}{denom}")))?;
            if !v.is_zero() {
                out.insert(denom.clone(), v);
            }
        }
        Ok(DecCoins(out))
    }

    /// Each amount × `d`, truncated (`MulDecTruncate`).
    pub fn mul_dec_truncate(&self, d: Dec) -> R<DecCoins> {
        self.map("product", |a| math::mul_trunc(a, d))
    }

    /// Each amount × `d`, rounded half to even (`MulDec`).
    pub fn mul_dec(&self, d: Dec) -> R<DecCoins> {
        self.map("product", |a| math::mul_round(a, d))
    }

    /// Each amount / `d`, truncated (`QuoDecTruncate`); an error when `d` is zero.
    pub fn quo_dec_truncate(&self, d: Dec) -> R<DecCoins> {
        if d.is_zero() {
            return Err(DecCoinsError::Invalid("division by zero".into()));
        }
        self.map("quotient", |a| math::quo_trunc(a, d))
    }

    /// The whole coins and the decimal remainder (`TruncateDecimal`).
    pub fn truncate_decimal(&self) -> (Coins, DecCoins) {
        let mut whole = Vec::new();
        let mut rest = BTreeMap::new();
        for (denom, a) in &self.0 {
            let int = math::truncate(*a);
            if int > 0 {
                whole.push(Coin::new(int, denom.clone()));
            }
            let frac = Dec::from_atomics(a.atomics() % Dec::ONE.atomics());
            if !frac.is_zero() {
                rest.insert(denom.clone(), frac);
            }
        }
        // Denoms come from a valid set and the amounts are positive.
        let whole = Coins::from_vec(whole).unwrap_or_default();
        (whole, DecCoins(rest))
    }

    /// Protobuf form: amounts as `LegacyDec` atomics.
    pub fn to_proto(&self) -> Vec<ProtoDecCoin> {
        self.0
            .iter()
            .map(|(denom, a)| ProtoDecCoin {
                denom: denom.clone(),
                amount: math::proto_dec(*a),
            })
            .collect()
    }

    fn from_pairs<'a>(
        pairs: impl Iterator<Item = (&'a str, &'a str)>,
        parse: impl Fn(&str) -> Result<Dec, String>,
    ) -> R<DecCoins> {
        let mut out = BTreeMap::new();
        for (denom, amount) in pairs {
            validate_denom(denom).map_err(|e| DecCoinsError::Invalid(e.to_string()))?;
            let a = parse(amount)
                .map_err(|e| DecCoinsError::Invalid(format!("{amount:?} of {denom}: {e}")))?;
            if out.contains_key(denom) {
                return Err(DecCoinsError::Invalid(format!("duplicate denom {denom}")));
            }
            if !a.is_zero() {
                out.insert(denom.to_string(), a);
            }
        }
        Ok(DecCoins(out))
    }

    pub fn from_proto(coins: &[ProtoDecCoin]) -> R<DecCoins> {
        Self::from_pairs(
            coins.iter().map(|c| (c.denom.as_str(), c.amount.as_str())),
            math::parse_proto_dec,
        )
    }

    /// JSON (genesis) form: amounts as decimals with 18 places.
    pub fn to_json(&self) -> Vec<DecCoinJson> {
        self.0
            .iter()
            .map(|(denom, a)| DecCoinJson {
                denom: denom.clone(),
                amount: a.to_string(),
            })
            .collect()
    }

    pub fn from_json(coins: &[DecCoinJson]) -> R<DecCoins> {
        Self::from_pairs(
            coins.iter().map(|c| (c.denom.as_str(), c.amount.as_str())),
            math::parse_json_dec,
        )
    }
}

/// `1.500000000000000000uopen,2.000000000000000000stake`, as the SDK's `DecCoins.String()`.
impl fmt::Display for DecCoins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(d, a)| format!("{a}{d}")).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(s: &[(&str, &str)]) -> DecCoins {
        let mut out = DecCoins::new();
        for (d, a) in s {
            out = out.add(&DecCoins::of(d, a.parse().unwrap())).unwrap();
        }
        out
    }

    #[test]
    fn arithmetic_and_forms() {
        let a = dc(&[("uopen", "10.5"), ("stake", "1")]);
        let b = dc(&[("uopen", "0.5")]);
        assert_eq!(
            a.checked_sub(&b).unwrap(),
            dc(&[("uopen", "10"), ("stake", "1")])
        );
        assert!(b.checked_sub(&a).is_err());
        assert_eq!(a.intersect(&b), b);
        let (whole, rest) = a.truncate_decimal();
        assert_eq!(whole.to_string(), "1stake,10uopen");
        assert_eq!(rest, b);
        assert_eq!(
            a.to_string(),
            "1.000000000000000000stake,10.500000000000000000uopen"
        );
        assert_eq!(DecCoins::from_proto(&a.to_proto()).unwrap(), a);
        assert_eq!(DecCoins::from_json(&a.to_json()).unwrap(), a);
        let third = a.quo_dec_truncate("3".parse().unwrap()).unwrap();
        assert_eq!(third.amount_of("uopen"), "3.5".parse().unwrap());
        assert!(a.quo_dec_truncate(Dec::ZERO).is_err());
        assert!(
            DecCoins::from_json(&[
                DecCoinJson {
                    denom: "uopen".into(),
                    amount: "1".into()
                },
                DecCoinJson {
                    denom: "uopen".into(),
                    amount: "2".into()
                }
            ])
            .is_err()
        );
    }
}
