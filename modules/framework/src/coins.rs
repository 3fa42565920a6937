//! Coins: a denom and a non-negative integer amount, and sorted sets of them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::SdkError;

/// The staking and fee denom: 1 OPEN = 10^6 uopen.
pub const BASE_DENOM: &str = "uopen";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Coin {
    pub denom: String,
    #[serde(with = "amount_string")]
    pub amount: u128,
}

mod amount_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Cosmos denom rules: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> Result<(), SdkError> {
    let bytes = denom.as_bytes();
    let ok = (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(b));
    if ok {
        Ok(())
    } else {
        Err(SdkError::InvalidCoins(format!("invalid denom: {denom:?}")))
    }
}

/// Parses a decimal amount of up to 38 digits, rejecting signs, spaces and leading `+`.
pub fn parse_amount(s: &str) -> Result<u128, SdkError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SdkError::InvalidCoins(format!("invalid amount: {s:?}")));
    }
    s.parse::<u128>()
        .map_err(|_| SdkError::InvalidCoins(format!("amount out of range: {s}")))
}

impl Coin {
    pub fn new(amount: u128, denom: impl Into<String>) -> Self {
        Self {
            denom: denom.into(),
            amount,
        }
    }

    pub fn validate(&self) -> Result<(), SdkError> {
        validate_denom(&self.denom)
    }

    /// From the protobuf form, whose amount is a string.
    pub fn from_proto(c: &cosmrs::proto::cosmos::base::v1beta1::Coin) -> Result<Self, SdkError> {
        validate_denom(&c.denom)?;
        Ok(Self {
            denom: c.denom.clone(),
            amount: parse_amount(&c.amount)?,
        })
    }

    pub fn to_proto(&self) -> cosmrs::proto::cosmos::base::v1beta1::Coin {
        cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

impl FromStr for Coin {
    type Err = SdkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (amount, denom) = s.split_at(split);
        if amount.is_empty() {
            return Err(SdkError::InvalidCoins(format!(
                "invalid coin expression: {s:?}"
            )));
        }
        let coin = Coin {
            amount: parse_amount(amount)?,
            denom: denom.to_string(),
        };
        coin.validate()?;
        Ok(coin)
    }
}

/// A set of coins: sorted by denom, no duplicates, no zero amounts (the SDK's `sdk.Coins`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Coins(Vec<Coin>);

impl Coins {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Builds a validated set: rejects invalid denoms, duplicates; drops nothing silently.
    pub fn from_vec(mut coins: Vec<Coin>) -> Result<Self, SdkError> {
        for c in &coins {
            c.validate()?;
            if c.amount == 0 {
                return Err(SdkError::InvalidCoins(format!(
                    "zero amount of {}",
                    c.denom
                )));
            }
        }
        coins.sort_by(|a, b| a.denom.cmp(&b.denom));
        for pair in coins.windows(2) {
            if pair[0].denom == pair[1].denom {
                return Err(SdkError::InvalidCoins(format!(
                    "duplicate denom {}",
                    pair[0].denom
                )));
            }
        }
        Ok(Self(coins))
    }

    pub fn from_proto(
        coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin],
    ) -> Result<Self, SdkError> {
        Self::from_vec(
            coins
                .iter()
                .map(Coin::from_proto)
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn to_proto(&self) -> Vec<cosmrs::proto::cosmos::base::v1beta1::Coin> {
        self.0.iter().map(Coin::to_proto).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Coin> {
        self.0.iter()
    }

    pub fn amount_of(&self, denom: &str) -> u128 {
        self.0
            .iter()
            .find(|c| c.denom == denom)
            .map_or(0, |c| c.amount)
    }

    pub fn checked_add(&self, other: &Coins) -> Result<Coins, SdkError> {
        let mut map: BTreeMap<String, u128> =
            self.0.iter().map(|c| (c.denom.clone(), c.amount)).collect();
        for c in &other.0 {
            let e = map.entry(c.denom.clone()).or_insert(0);
            *e = e
                .checked_add(c.amount)
                .ok_or_else(|| SdkError::InvalidCoins("amount overflow".into()))?;
        }
        Ok(Coins(
            map.into_iter()
                .map(|(denom, amount)| Coin { denom, amount })
                .collect(),
        ))
    }
}

impl IntoIterator for Coins {
    type Item = Coin;
    type IntoIter = std::vec::IntoIter<Coin>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Coins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|c| c.to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Coins {
    type Err = SdkError;
    /// `"1000uopen,5stake"`; the empty string is the empty set.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(Coins::new());
        }
        Self::from_vec(s.split(',').map(Coin::from_str).collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_rejects() {
        let c: Coins = "5stake,1000uopen".parse().unwrap();
        assert_eq!(c.to_string(), "5stake,1000uopen");
        for bad in [
            "-5uopen",
            "0uopen",
            "uopen",
            "5",
            "5u",
            "1.5uopen",
            "1000uopen,3uopen",
            "99999999999999999999999999999999999999999uopen",
            "+5uopen",
        ] {
            assert!(bad.parse::<Coins>().is_err(), "{bad} should be rejected");
        }
    }

    proptest! {
        #[test]
        fn display_parse_roundtrip(a in 1u128..u128::MAX, b in 1u128..1_000_000) {
            let c = Coins::from_vec(vec![Coin::new(a, "uopen"), Coin::new(b, "ibc/ABC")]).unwrap();
            prop_assert_eq!(c.to_string().parse::<Coins>().unwrap(), c);
        }
    }
}
