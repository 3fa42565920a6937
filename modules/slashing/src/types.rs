//! A validator's signing record, typed, and the `openvalcons1…` address form.

use cosmrs::proto::cosmos::slashing::v1beta1 as pb;
use openledger_framework::Address;
use openledger_framework::address::VALCONS_PREFIX;
use openledger_staking::Time;

use crate::SlashingError;

/// `time.Unix(253402300799, 0)`, 9999-12-31T23:59:59Z: how long a double signer stays jailed.
pub const DOUBLE_SIGN_JAIL_END: Time = Time {
    seconds: 253_402_300_799,
    nanos: 0,
};

/// The bech32 `openvalcons1…` form of a consensus address.
pub fn valcons(cons: &Address) -> String {
    cons.with_prefix(VALCONS_PREFIX)
}

/// Parses an `openvalcons1…` address (20 bytes, as CometBFT derives them).
pub fn parse_valcons(s: &str) -> Result<Address, SlashingError> {
    let bad =
        |e: String| SlashingError::InvalidRequest(format!("invalid consensus address {s:?}: {e}"));
    if s.is_empty() {
        return Err(bad("empty".into()));
    }
    let id: cosmrs::AccountId = s.parse().map_err(|e| bad(format!("{e}")))?;
    if id.prefix() != VALCONS_PREFIX {
        return Err(bad(format!(
            "expected prefix {VALCONS_PREFIX}, got {}",
            id.prefix()
        )));
    }
    let bytes = <[u8; 20]>::try_from(id.to_bytes().as_slice())
        .map_err(|_| bad("consensus addresses have 20 bytes".into()))?;
    Ok(Address::from(bytes))
}

/// `ValidatorSigningInfo`: liveness bookkeeping of one consensus address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningInfo {
    pub address: Address,
    /// Height at which the validator (last) became bonded.
    pub start_height: i64,
    /// Blocks counted since the window was last reset; `index_offset % window` is the bitmap
    /// position of the next block.
    pub index_offset: i64,
    /// Before this block time the validator may not unjail.
    pub jailed_until: Time,
    /// Double-signed: jailed for good.
    pub tombstoned: bool,
    /// Missed blocks in the window (the number of bits set in the bitmap).
    pub missed_blocks_counter: i64,
}

impl SigningInfo {
    /// A fresh record, as the SDK's `AfterValidatorBonded` makes it (jailed until the epoch).
    pub fn new(address: Address, start_height: i64) -> Self {
        Self {
            address,
            start_height,
            index_offset: 0,
            jailed_until: Time::default(),
            tombstoned: false,
            missed_blocks_counter: 0,
        }
    }

    pub fn to_proto(&self) -> pb::ValidatorSigningInfo {
        pb::ValidatorSigningInfo {
            address: valcons(&self.address),
            start_height: self.start_height,
            index_offset: self.index_offset,
            jailed_until: Some(self.jailed_until.to_proto()),
            tombstoned: self.tombstoned,
            missed_blocks_counter: self.missed_blocks_counter,
        }
    }

    pub fn from_proto(p: &pb::ValidatorSigningInfo) -> Result<Self, SlashingError> {
        Ok(Self {
            address: parse_valcons(&p.address)?,
            start_height: p.start_height,
            index_offset: p.index_offset,
            jailed_until: Time::from_proto(p.jailed_until.as_ref()),
            tombstoned: p.tombstoned,
            missed_blocks_counter: p.missed_blocks_counter,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valcons_round_trip_and_refusals() {
        let a = Address::from([3u8; 20]);
        let s = valcons(&a);
        assert!(s.starts_with("openvalcons1"));
        assert_eq!(parse_valcons(&s).unwrap(), a);
        assert!(parse_valcons("").is_err());
        assert!(parse_valcons(&a.to_bech32()).is_err());
        assert!(parse_valcons(&Address::from([3u8; 32]).with_prefix(VALCONS_PREFIX)).is_err());
        let info = SigningInfo {
            jailed_until: DOUBLE_SIGN_JAIL_END,
            tombstoned: true,
            missed_blocks_counter: 4,
            ..SigningInfo::new(a, 7)
        };
        assert_eq!(SigningInfo::from_proto(&info.to_proto()).unwrap(), info);
    }
}
