//! Values in the forms proto3 JSON gives them (genesis files, gRPC-gateway answers).

use serde::{Deserialize, Serialize};

/// A `uint64` as proto3 JSON writes it (a string); a bare number is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct U64(pub u64);

impl Serialize for U64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(u64),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(U64(n)),
            Either::S(s) => s.parse().map(U64).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_u64_is_a_string_and_reads_back_from_a_number_too() {
        assert_eq!(serde_json::to_string(&U64(7)).unwrap(), "\"7\"");
        assert_eq!(
            serde_json::from_str::<U64>("\"18446744073709551615\"").unwrap(),
            U64(u64::MAX)
        );
        assert_eq!(serde_json::from_str::<U64>("42").unwrap(), U64(42));
        assert!(serde_json::from_str::<U64>("\"-1\"").is_err());
    }
}
