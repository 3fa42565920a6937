//! Account addresses, shown as bech32 with the `open` prefix: 20 bytes for keys and module
//! accounts, 32 bytes for CosmWasm contracts (ADR-028 derived addresses), as in the Cosmos SDK.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::SdkError;

pub const ACCOUNT_PREFIX: &str = "open";
pub const VALOPER_PREFIX: &str = "openvaloper";
pub const VALCONS_PREFIX: &str = "openvalcons";

/// The longest address the chain uses (contract addresses).
pub const MAX_ADDRESS_LEN: usize = 32;

/// An address of 20 or 32 bytes. Unused trailing bytes are always zero, so the derived equality
/// and hash are those of the bytes; ordering is the lexicographic order of the bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    len: u8,
    bytes: [u8; MAX_ADDRESS_LEN],
}

impl From<[u8; 20]> for Address {
    fn from(short: [u8; 20]) -> Self {
        let mut bytes = [0u8; MAX_ADDRESS_LEN];
        bytes[..20].copy_from_slice(&short);
        Self { len: 20, bytes }
    }
}

impl From<[u8; 32]> for Address {
    fn from(bytes: [u8; 32]) -> Self {
        Self { len: 32, bytes }
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Address {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Address {
    /// The address bytes (20 or 32 of them).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Parses a bech32 `open1…` address.
    pub fn from_bech32(s: &str) -> Result<Self, SdkError> {
        let id = cosmrs::AccountId::from_str(s)
            .map_err(|e| SdkError::InvalidAddress(format!("{s:?}: {e}")))?;
        if id.prefix() != ACCOUNT_PREFIX {
            return Err(SdkError::InvalidAddress(format!(
                "{s:?}: expected prefix {ACCOUNT_PREFIX}, got {}",
                id.prefix()
            )));
        }
        Self::from_slice(&id.to_bytes())
    }

    /// Parses the bech32 address in a message's `field` (`from`, `authority`, …); the error
    /// names the field.
    pub fn from_field(field: &str, s: &str) -> Result<Self, SdkError> {
        Self::from_bech32(s)
            .map_err(|e| SdkError::InvalidAddress(format!("invalid {field} address: {e}")))
    }

    /// An address from its bytes: 20 (accounts) or 32 (contracts) of them.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SdkError> {
        if let Ok(short) = <[u8; 20]>::try_from(bytes) {
            return Ok(short.into());
        }
        if let Ok(long) = <[u8; 32]>::try_from(bytes) {
            return Ok(long.into());
        }
        Err(SdkError::InvalidAddress(format!(
            "address must be 20 or 32 bytes, got {}",
            bytes.len()
        )))
    }

    /// The address of a module account: the first 20 bytes of `sha256(name)`, as in the SDK.
    pub fn module(name: &str) -> Self {
        let hash = Sha256::digest(name.as_bytes());
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash[..20]);
        out.into()
    }

    /// The account address of a secp256k1 public key: `ripemd160(sha256(pubkey))`.
    pub fn from_secp256k1(compressed: &[u8]) -> Result<Self, SdkError> {
        if compressed.len() != 33 || !matches!(compressed[0], 2 | 3) {
            return Err(SdkError::InvalidPubKey(
                "not a compressed secp256k1 key".into(),
            ));
        }
        let digest = ripemd::Ripemd160::digest(Sha256::digest(compressed));
        Self::from_slice(&digest)
    }

    /// The `open1…` form. Events name every address they touch, so encodings are memoised per
    /// thread (bech32's checksum dominates otherwise); the result is the same either way.
    pub fn to_bech32(&self) -> String {
        thread_local! {
            static MEMO: std::cell::RefCell<std::collections::HashMap<Address, String>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            if let Some(s) = memo.get(self) {
                return s.clone();
            }
            if memo.len() >= 65_536 {
                memo.clear();
            }
            let s = self.with_prefix(ACCOUNT_PREFIX);
            memo.insert(*self, s.clone());
            s
        })
    }

    pub fn with_prefix(&self, prefix: &str) -> String {
        match cosmrs::AccountId::new(prefix, self.as_bytes()) {
            Ok(id) => id.to_string(),
            // Only an invalid prefix can fail, and ours are constants.
            Err(_) => hex::encode(self.as_bytes()),
        }
    }

    /// Lower-case hex, the form used inside store keys.
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    pub fn from_hex(s: &str) -> Result<Self, SdkError> {
        let bytes = hex::decode(s).map_err(|e| SdkError::InvalidAddress(e.to_string()))?;
        Self::from_slice(&bytes)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_bech32())
    }
}

impl FromStr for Address {
    type Err = SdkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bech32(s)
    }
}

/// The check of every authority-only message (`MsgUpdateParams`, …): its `authority` field
/// must be the module's authority (the gov module account unless the app chose another).
pub fn check_authority(expected: &Address, authority: &str) -> Result<(), SdkError> {
    if Address::from_field("authority", authority)? != *expected {
        return Err(SdkError::InvalidAuthority {
            expected: expected.to_bech32(),
            got: authority.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_roundtrip_and_prefix_check() {
        let a = Address::from([7u8; 20]);
        let s = a.to_bech32();
        assert!(s.starts_with("open1"));
        assert_eq!(Address::from_bech32(&s).unwrap(), a);
        let cosmos = a.with_prefix("cosmos");
        assert!(Address::from_bech32(&cosmos).is_err());
        assert!(Address::from_bech32("open1notanaddress").is_err());
    }

    #[test]
    fn contract_addresses_have_32_bytes() {
        let c = Address::from([9u8; 32]);
        assert_eq!(c.as_bytes().len(), 32);
        let s = c.to_bech32();
        assert_eq!(Address::from_bech32(&s).unwrap(), c);
        assert_eq!(Address::from_hex(&c.to_hex()).unwrap(), c);
        assert!(Address::from_slice(&[1u8; 21]).is_err());
        // Byte order, whatever the length: a 20-byte prefix sorts before its 32-byte extension.
        let mut long = [7u8; 32];
        long[20..].fill(0);
        assert!(Address::from([7u8; 20]) < Address::from(long));
        assert!(Address::from([8u8; 20]) > Address::from(long));
    }

    #[test]
    fn module_address_matches_the_sdk() {
        // authtypes.NewModuleAddress("fee_collector") in the Cosmos SDK.
        assert_eq!(
            Address::module("fee_collector").with_prefix("cosmos"),
            "cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta"
        );
    }

    #[test]
    fn only_the_authority_passes_the_authority_check() {
        let gov = Address::module("gov");
        assert_eq!(check_authority(&gov, &gov.to_bech32()), Ok(()));
        let other = Address::from([7u8; 20]).to_bech32();
        let err = check_authority(&gov, &other).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid authority; expected {}, got {other}",
                gov.to_bech32()
            )
        );
        assert_eq!(crate::CodedError::code(&err), 4);
        let err = check_authority(&gov, "not-an-address").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid address: invalid authority address")
        );
    }
}
