//! The module's domain types, typed (integers and fixed-point decimals) and converted to and
//! from the standard `cosmos.staking.v1beta1` protobuf messages they are stored as.

use cosmrs::proto::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::proto::tendermint::google::protobuf::{Any, Timestamp};
use openledger_framework::address::VALOPER_PREFIX;
use openledger_framework::{Address, Dec};
use prost::Message;
use sha2::{Digest, Sha256};

pub use pb::BondStatus;

use crate::StakingError;
use crate::math::{parse_int, parse_proto_dec, proto_dec};

pub const ED25519_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.ed25519.PubKey";

/// A point in block time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    pub seconds: i64,
    pub nanos: i32,
}

impl Time {
    pub fn new(seconds: i64, nanos: i32) -> Self {
        Self { seconds, nanos }
    }

    /// `self + (seconds, nanos)`, saturating.
    pub fn plus(self, (seconds, nanos): (i64, i32)) -> Self {
        let mut s = self.seconds.saturating_add(seconds);
        let mut n = self.nanos + nanos;
        if n >= 1_000_000_000 {
            s = s.saturating_add(1);
            n -= 1_000_000_000;
        }
        Self::new(s, n)
    }

    pub fn key(&self) -> String {
        crate::keys::time_key(self.seconds, self.nanos)
    }

    pub fn to_proto(self) -> Timestamp {
        Timestamp {
            seconds: self.seconds,
            nanos: self.nanos,
        }
    }

    pub fn from_proto(t: Option<&Timestamp>) -> Self {
        t.map_or_else(Self::default, |t| Self::new(t.seconds, t.nanos))
    }
}

/// The bech32 `openvaloper1…` form of an operator address.
pub fn valoper(op: &Address) -> String {
    op.with_prefix(VALOPER_PREFIX)
}

/// Parses an `openvaloper1…` address.
pub fn parse_valoper(s: &str) -> Result<Address, StakingError> {
    if s.is_empty() {
        return Err(StakingError::EmptyValidatorAddr);
    }
    let id: cosmrs::AccountId = s.parse().map_err(|e| {
        StakingError::InvalidRequest(format!("invalid validator address {s:?}: {e}"))
    })?;
    if id.prefix() != VALOPER_PREFIX {
        return Err(StakingError::InvalidRequest(format!(
            "invalid validator address {s:?}: expected prefix {VALOPER_PREFIX}, got {}",
            id.prefix()
        )));
    }
    Address::from_slice(&id.to_bytes())
        .map_err(|e| StakingError::InvalidRequest(format!("invalid validator address {s:?}: {e}")))
}

/// Parses an `open1…` account address.
pub fn parse_account(what: &str, s: &str) -> Result<Address, StakingError> {
    Address::from_bech32(s)
        .map_err(|e| StakingError::InvalidRequest(format!("invalid {what} address: {e}")))
}

/// The consensus address CometBFT gives an ed25519 key: the first 20 bytes of its sha256.
pub fn cons_address(pubkey: &[u8; 32]) -> Address {
    let hash = Sha256::digest(pubkey);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[..20]);
    out.into()
}

/// The ed25519 key inside an `Any` of type `/cosmos.crypto.ed25519.PubKey`.
pub fn decode_consensus_pubkey(any: Option<&Any>) -> Result<[u8; 32], StakingError> {
    let any =
        any.ok_or_else(|| StakingError::InvalidPubKey("consensus pubkey is missing".into()))?;
    if any.type_url != ED25519_PUBKEY_TYPE_URL {
        return Err(StakingError::InvalidPubKey(format!(
            "{} is not supported; consensus keys must be {ED25519_PUBKEY_TYPE_URL}",
            any.type_url
        )));
    }
    let pk = Ed25519PubKey::decode(any.value.as_slice())
        .map_err(|e| StakingError::InvalidPubKey(e.to_string()))?;
    <[u8; 32]>::try_from(pk.key.as_slice()).map_err(|_| {
        StakingError::InvalidPubKey(format!("ed25519 keys have 32 bytes, got {}", pk.key.len()))
    })
}

pub fn encode_consensus_pubkey(key: &[u8; 32]) -> Any {
    Any {
        type_url: ED25519_PUBKEY_TYPE_URL.to_string(),
        value: Ed25519PubKey { key: key.to_vec() }.encode_to_vec(),
    }
}

/// Commission rates, validated against each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Commission {
    pub rate: Dec,
    pub max_rate: Dec,
    pub max_change_rate: Dec,
    pub update_time: Time,
}

impl Commission {
    pub fn from_rates(r: &pb::CommissionRates) -> Result<Self, StakingError> {
        let c = Self {
            rate: parse_proto_dec("commission rate", &r.rate)?,
            max_rate: parse_proto_dec("commission max rate", &r.max_rate)?,
            max_change_rate: parse_proto_dec("commission max change rate", &r.max_change_rate)?,
            update_time: Time::default(),
        };
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> Result<(), StakingError> {
        if self.max_rate > Dec::ONE {
            return Err(StakingError::CommissionHuge(self.max_rate.to_string()));
        }
        if self.rate > self.max_rate {
            return Err(StakingError::CommissionGtMaxRate {
                rate: self.rate.to_string(),
                max: self.max_rate.to_string(),
            });
        }
        if self.max_change_rate > self.max_rate {
            return Err(StakingError::CommissionChangeRateGtMaxRate {
                change: self.max_change_rate.to_string(),
                max: self.max_rate.to_string(),
            });
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Commission {
        pb::Commission {
            commission_rates: Some(pb::CommissionRates {
                rate: proto_dec(self.rate),
                max_rate: proto_dec(self.max_rate),
                max_change_rate: proto_dec(self.max_change_rate),
            }),
            update_time: Some(self.update_time.to_proto()),
        }
    }
}

/// A validator. Its tokens are in the bonded pool when it is bonded and in the not-bonded pool
/// otherwise; delegators own it in shares, so a slash lowers every delegator's stake at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Validator {
    pub operator: Address,
    pub consensus_pubkey: [u8; 32],
    pub jailed: bool,
    pub status: BondStatus,
    pub tokens: u128,
    pub delegator_shares: Dec,
    pub description: pb::Description,
    pub unbonding_height: i64,
    pub unbonding_time: Time,
    pub commission: Commission,
    pub min_self_delegation: u128,
}

impl Validator {
    pub fn cons_address(&self) -> Address {
        cons_address(&self.consensus_pubkey)
    }

    pub fn is_bonded(&self) -> bool {
        self.status == BondStatus::Bonded
    }

    /// CometBFT voting power of `tokens` (1 power per 10^6 uopen), saturating at `i64::MAX`.
    pub fn power_of(tokens: u128) -> i64 {
        i64::try_from(tokens / crate::POWER_REDUCTION).unwrap_or(i64::MAX)
    }

    /// This validator's potential power (whether or not it is bonded).
    pub fn power(&self) -> i64 {
        Self::power_of(self.tokens)
    }

    /// The power it has in consensus: zero unless bonded.
    pub fn consensus_power(&self) -> i64 {
        if self.is_bonded() { self.power() } else { 0 }
    }

    /// Shares `amount` tokens would buy now.
    pub fn shares_for_tokens(&self, amount: u128) -> Result<Dec, StakingError> {
        if self.delegator_shares.is_zero() {
            // First delegation (or a validator whose shares were all withdrawn): 1 token = 1 share.
            return amount
                .checked_mul(Dec::ONE.atomics())
                .map(Dec::from_atomics)
                .ok_or_else(|| StakingError::Overflow("shares".into()));
        }
        if self.tokens == 0 {
            return Err(StakingError::DelegatorShareExRateInvalid(valoper(
                &self.operator,
            )));
        }
        crate::math::mul_div_floor(amount, self.delegator_shares.atomics(), self.tokens)
            .map(Dec::from_atomics)
            .ok_or_else(|| StakingError::Overflow("shares".into()))
    }

    /// Tokens that `shares` are worth now, rounded down.
    pub fn tokens_for_shares(&self, shares: Dec) -> u128 {
        if self.delegator_shares.is_zero() {
            return 0;
        }
        crate::math::mul_div_floor(
            shares.atomics(),
            self.tokens,
            self.delegator_shares.atomics(),
        )
        .unwrap_or(self.tokens)
    }

    pub fn to_proto(&self) -> pb::Validator {
        pb::Validator {
            operator_address: valoper(&self.operator),
            consensus_pubkey: Some(encode_consensus_pubkey(&self.consensus_pubkey)),
            jailed: self.jailed,
            status: self.status as i32,
            tokens: self.tokens.to_string(),
            delegator_shares: proto_dec(self.delegator_shares),
            description: Some(self.description.clone()),
            unbonding_height: self.unbonding_height,
            unbonding_time: Some(self.unbonding_time.to_proto()),
            commission: Some(self.commission.to_proto()),
            min_self_delegation: self.min_self_delegation.to_string(),
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        }
    }

    pub fn from_proto(v: &pb::Validator) -> Result<Self, StakingError> {
        let commission = v
            .commission
            .as_ref()
            .ok_or_else(|| StakingError::Corrupt("validator without commission".into()))?;
        let rates = commission
            .commission_rates
            .as_ref()
            .ok_or_else(|| StakingError::Corrupt("validator without commission rates".into()))?;
        let mut c = Commission::from_rates(rates)?;
        c.update_time = Time::from_proto(commission.update_time.as_ref());
        Ok(Self {
            operator: parse_valoper(&v.operator_address)?,
            consensus_pubkey: decode_consensus_pubkey(v.consensus_pubkey.as_ref())?,
            jailed: v.jailed,
            status: BondStatus::try_from(v.status)
                .map_err(|_| StakingError::Corrupt(format!("bond status {}", v.status)))?,
            tokens: parse_int("tokens", &v.tokens)?,
            delegator_shares: parse_proto_dec("delegator shares", &v.delegator_shares)?,
            description: v.description.clone().unwrap_or_default(),
            unbonding_height: v.unbonding_height,
            unbonding_time: Time::from_proto(v.unbonding_time.as_ref()),
            commission: c,
            min_self_delegation: parse_int("min self delegation", &v.min_self_delegation)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub delegator: Address,
    pub validator: Address,
    pub shares: Dec,
}

impl Delegation {
    pub fn to_proto(&self) -> pb::Delegation {
        pb::Delegation {
            delegator_address: self.delegator.to_bech32(),
            validator_address: valoper(&self.validator),
            shares: proto_dec(self.shares),
        }
    }

    pub fn from_proto(d: &pb::Delegation) -> Result<Self, StakingError> {
        Ok(Self {
            delegator: parse_account("delegator", &d.delegator_address)?,
            validator: parse_valoper(&d.validator_address)?,
            shares: parse_proto_dec("shares", &d.shares)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbondingEntry {
    pub creation_height: i64,
    pub completion_time: Time,
    pub initial_balance: u128,
    pub balance: u128,
}

/// Tokens on their way back to a delegator, held in the not-bonded pool until each entry's
/// completion time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbondingDelegation {
    pub delegator: Address,
    pub validator: Address,
    pub entries: Vec<UnbondingEntry>,
}

impl UnbondingDelegation {
    pub fn to_proto(&self) -> pb::UnbondingDelegation {
        pb::UnbondingDelegation {
            delegator_address: self.delegator.to_bech32(),
            validator_address: valoper(&self.validator),
            entries: self
                .entries
                .iter()
                .map(|e| pb::UnbondingDelegationEntry {
                    creation_height: e.creation_height,
                    completion_time: Some(e.completion_time.to_proto()),
                    initial_balance: e.initial_balance.to_string(),
                    balance: e.balance.to_string(),
                    unbonding_id: 0,
                    unbonding_on_hold_ref_count: 0,
                })
                .collect(),
        }
    }

    pub fn from_proto(u: &pb::UnbondingDelegation) -> Result<Self, StakingError> {
        Ok(Self {
            delegator: parse_account("delegator", &u.delegator_address)?,
            validator: parse_valoper(&u.validator_address)?,
            entries: u
                .entries
                .iter()
                .map(|e| {
                    Ok(UnbondingEntry {
                        creation_height: e.creation_height,
                        completion_time: Time::from_proto(e.completion_time.as_ref()),
                        initial_balance: parse_int("initial balance", &e.initial_balance)?,
                        balance: parse_int("balance", &e.balance)?,
                    })
                })
                .collect::<Result<_, StakingError>>()?,
        })
    }

    pub fn total_balance(&self) -> u128 {
        self.entries.iter().map(|e| e.balance).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedelegationEntry {
    pub creation_height: i64,
    pub completion_time: Time,
    pub initial_balance: u128,
    pub shares_dst: Dec,
}

/// A move of stake from one validator to another. The tokens move at once; the entry stays
/// until the unbonding time so that a slash of the source validator still reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redelegation {
    pub delegator: Address,
    pub src: Address,
    pub dst: Address,
    pub entries: Vec<RedelegationEntry>,
}

impl Redelegation {
    pub fn to_proto(&self) -> pb::Redelegation {
        pb::Redelegation {
            delegator_address: self.delegator.to_bech32(),
            validator_src_address: valoper(&self.src),
            validator_dst_address: valoper(&self.dst),
            entries: self
                .entries
                .iter()
                .map(|e| pb::RedelegationEntry {
                    creation_height: e.creation_height,
                    completion_time: Some(e.completion_time.to_proto()),
                    initial_balance: e.initial_balance.to_string(),
                    shares_dst: proto_dec(e.shares_dst),
                    unbonding_id: 0,
                    unbonding_on_hold_ref_count: 0,
                })
                .collect(),
        }
    }

    pub fn from_proto(r: &pb::Redelegation) -> Result<Self, StakingError> {
        Ok(Self {
            delegator: parse_account("delegator", &r.delegator_address)?,
            src: parse_valoper(&r.validator_src_address)?,
            dst: parse_valoper(&r.validator_dst_address)?,
            entries: r
                .entries
                .iter()
                .map(|e| {
                    Ok(RedelegationEntry {
                        creation_height: e.creation_height,
                        completion_time: Time::from_proto(e.completion_time.as_ref()),
                        initial_balance: parse_int("initial balance", &e.initial_balance)?,
                        shares_dst: parse_proto_dec("shares dst", &e.shares_dst)?,
                    })
                })
                .collect::<Result<_, StakingError>>()?,
        })
    }
}

/// A change of the validator set for CometBFT (`FinalizeBlock`'s `validator_updates`); power 0
/// removes the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValidatorUpdate {
    pub pub_key_ed25519: [u8; 32],
    pub power: i64,
}

impl ValidatorUpdate {
    /// CometBFT's wire form (`tendermint.abci.ValidatorUpdate`, v0.38); the app turns it into
    /// `tendermint::abci::types::ValidatorUpdate` with `TryFrom` for `FinalizeBlock`/`InitChain`.
    pub fn to_proto(&self) -> cosmrs::proto::tendermint::abci::ValidatorUpdate {
        use cosmrs::proto::tendermint::crypto::{PublicKey, public_key::Sum};
        cosmrs::proto::tendermint::abci::ValidatorUpdate {
            pub_key: Some(PublicKey {
                sum: Some(Sum::Ed25519(self.pub_key_ed25519.to_vec())),
            }),
            power: self.power,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(tokens: u128, shares: u128) -> Validator {
        Validator {
            operator: Address::from([1u8; 20]),
            consensus_pubkey: [1u8; 32],
            jailed: false,
            status: BondStatus::Bonded,
            tokens,
            delegator_shares: Dec::from_atomics(shares * Dec::ONE.atomics()),
            description: pb::Description::default(),
            unbonding_height: 0,
            unbonding_time: Time::default(),
            commission: Commission::default(),
            min_self_delegation: 1,
        }
    }

    #[test]
    fn shares_follow_the_exchange_rate() {
        // After a 10% slash, 90 tokens back 100 shares: 9 tokens buy 10 shares.
        let v = validator(90, 100);
        assert_eq!(v.shares_for_tokens(9).unwrap(), Dec::from_int(10));
        assert_eq!(v.tokens_for_shares(Dec::from_int(10)), 9);
        assert_eq!(v.power(), 0);
        assert_eq!(Validator::power_of(2_500_000), 2);
        // Slashed to zero: no more delegations.
        assert!(validator(0, 100).shares_for_tokens(1).is_err());
        // The first delegation is 1:1.
        assert_eq!(
            validator(0, 0).shares_for_tokens(7).unwrap(),
            Dec::from_int(7)
        );
    }

    #[test]
    fn consensus_keys_and_addresses() {
        let key = [7u8; 32];
        assert_eq!(
            decode_consensus_pubkey(Some(&encode_consensus_pubkey(&key))).unwrap(),
            key
        );
        assert!(decode_consensus_pubkey(None).is_err());
        let short = Any {
            type_url: ED25519_PUBKEY_TYPE_URL.into(),
            value: Ed25519PubKey { key: vec![1; 31] }.encode_to_vec(),
        };
        assert!(decode_consensus_pubkey(Some(&short)).is_err());
        let op = Address::from([3u8; 20]);
        let s = valoper(&op);
        assert!(s.starts_with("openvaloper1"));
        assert_eq!(parse_valoper(&s).unwrap(), op);
        assert!(
            parse_valoper(&op.to_bech32()).is_err(),
            "an account address is not an operator"
        );
        assert!(matches!(
            parse_valoper(""),
            Err(StakingError::EmptyValidatorAddr)
        ));
    }

    #[test]
    fn updates_in_cometbft_form() {
        let u = ValidatorUpdate {
            pub_key_ed25519: [9u8; 32],
            power: 12,
        };
        let p = u.to_proto();
        assert_eq!(p.power, 12);
        assert_eq!(
            p.pub_key.unwrap().sum,
            Some(cosmrs::proto::tendermint::crypto::public_key::Sum::Ed25519(
                vec![9u8; 32]
            ))
        );
    }

    #[test]
    fn time_keys_sort_like_times() {
        let a = Time::new(99, 5).key();
        let b = Time::new(100, 0).key();
        let c = Time::new(100, 1).key();
        assert!(a < b && b < c);
        assert_eq!(
            Time::new(1, 600_000_000).plus((2, 500_000_000)),
            Time::new(4, 100_000_000)
        );
    }

    #[test]
    fn commission_rules() {
        let rates = |r: &str, m: &str, c: &str| pb::CommissionRates {
            rate: r.into(),
            max_rate: m.into(),
            max_change_rate: c.into(),
        };
        assert!(Commission::from_rates(&rates("0.1", "0.2", "0.01")).is_ok());
        assert!(matches!(
            Commission::from_rates(&rates("0.3", "0.2", "0.01")),
            Err(StakingError::CommissionGtMaxRate { .. })
        ));
        assert!(matches!(
            Commission::from_rates(&rates("0.1", "1.5", "0.01")),
            Err(StakingError::CommissionHuge(_))
        ));
        assert!(matches!(
            Commission::from_rates(&rates("0.1", "0.2", "0.3")),
            Err(StakingError::CommissionChangeRateGtMaxRate { .. })
        ));
    }
}
