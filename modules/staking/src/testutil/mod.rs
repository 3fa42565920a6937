//! Helpers for the tests of staking and of the modules built on it (distribution, slashing,
//! gov): the chain they run on ([`TestChain`]), numbered accounts and validators, module
//! accounts without auth, and the staking messages those tests send. Behind the `testutil`
//! feature; never in the node.

mod chain;

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use openledger_bank::AccountKeeper;
use openledger_framework::{AbciError, Address, Coin, Ctx, Dec, KvRead};

use crate::types::{cons_address, encode_consensus_pubkey, valoper};
use crate::{BONDED_POOL, NOT_BONDED_POOL, StakingKeeper};

pub use chain::{GENESIS_TIME, TestChain, bank, bank_genesis};

pub const DENOM: &str = "uopen";
pub const OPEN: u128 = 1_000_000;
pub const DAY: i64 = 24 * 3600;

/// Module accounts without auth: a module's address is `Address::module(name)`.
pub struct Accounts;

impl AccountKeeper for Accounts {
    fn ensure_account(&self, _: &mut Ctx<'_>, _: Address) -> Result<(), AbciError> {
        Ok(())
    }
    fn module_address(&self, _: &mut Ctx<'_>, name: &str) -> Result<Address, AbciError> {
        Ok(Address::module(name))
    }
}

/// Account (and operator) `n`.
pub fn addr(n: u8) -> Address {
    Address::from([n; 20])
}

/// Consensus address of key `[n; 32]`.
pub fn cons(n: u8) -> Address {
    cons_address(&[n; 32])
}

pub fn gov() -> Address {
    Address::module("gov")
}

pub fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(Coin::new(amount, DENOM).to_proto())
}

pub fn coins(amount: u128) -> Vec<ProtoCoin> {
    vec![Coin::new(amount, DENOM).to_proto()]
}

/// A `LegacyDec` as protobuf carries it (atomics), from its decimal form.
pub fn dec_atomics(s: &str) -> String {
    let d: Dec = s.parse().expect("a decimal");
    d.atomics().to_string()
}

/// Validator `op` (moniker `validator-{op}`) with consensus key `[key; 32]`, self-delegating
/// `amount`, commission `rate` up to `max_rate` (max change 0.01), min self-delegation 1.
#[allow(deprecated)]
pub fn create_validator(
    op: u8,
    key: u8,
    amount: u128,
    rate: &str,
    max_rate: &str,
) -> pb::MsgCreateValidator {
    pb::MsgCreateValidator {
        description: Some(pb::Description {
            moniker: format!("validator-{op}"),
            ..Default::default()
        }),
        commission: Some(pb::CommissionRates {
            rate: dec_atomics(rate),
            max_rate: dec_atomics(max_rate),
            max_change_rate: dec_atomics("0.01"),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: valoper(&addr(op)),
        pubkey: Some(encode_consensus_pubkey(&[key; 32])),
        value: coin(amount),
    }
}

pub fn delegate(del: u8, val: u8, amount: u128) -> pb::MsgDelegate {
    pb::MsgDelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: valoper(&addr(val)),
        amount: coin(amount),
    }
}

pub fn undelegate(del: u8, val: u8, amount: u128) -> pb::MsgUndelegate {
    pb::MsgUndelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: valoper(&addr(val)),
        amount: coin(amount),
    }
}

pub fn redelegate(del: u8, src: u8, dst: u8, amount: u128) -> pb::MsgBeginRedelegate {
    pb::MsgBeginRedelegate {
        delegator_address: addr(del).to_bech32(),
        validator_src_address: valoper(&addr(src)),
        validator_dst_address: valoper(&addr(dst)),
        amount: coin(amount),
    }
}

/// Sum of every balance of [`DENOM`], module accounts included.
pub fn all_balances(state: &dyn KvRead) -> u128 {
    state
        .prefix(openledger_bank::keys::all_balances())
        .expect("balances")
        .into_iter()
        .filter(|(k, _)| k.ends_with(&format!("/{DENOM}")))
        .map(|(_, v)| {
            String::from_utf8(v)
                .expect("utf-8")
                .parse::<u128>()
                .expect("amount")
        })
        .sum()
}

/// Staking's pool invariant over any state: the bonded pool holds the bonded validators' tokens,
/// the not-bonded pool the others' plus every unbonding entry. The error says which one broke.
pub fn check_pools(staking: &StakingKeeper, mut state: &dyn KvRead) -> Result<(), String> {
    let vals = staking.all_validators(&mut state).expect("validators");
    let bonded: u128 = vals
        .iter()
        .filter(|v| v.is_bonded())
        .map(|v| v.tokens)
        .sum();
    let not_bonded: u128 = vals
        .iter()
        .filter(|v| !v.is_bonded())
        .map(|v| v.tokens)
        .sum();
    let unbonding: u128 = staking
        .all_unbonding_delegations(&mut state)
        .expect("unbonding delegations")
        .iter()
        .map(|u| u.total_balance())
        .sum();
    let pool = |name: &str| {
        staking
            .bank()
            .balance(&mut &*state, &Address::module(name), DENOM)
            .expect("pool balance")
    };
    let (bonded_pool, not_bonded_pool) = (pool(BONDED_POOL), pool(NOT_BONDED_POOL));
    if bonded_pool != bonded {
        return Err(format!(
            "bonded pool {bonded_pool} but bonded validators hold {bonded}"
        ));
    }
    if not_bonded_pool != not_bonded + unbonding {
        return Err(format!(
            "not-bonded pool {not_bonded_pool} but unbonded validators hold {not_bonded} and \
             unbondings {unbonding}"
        ));
    }
    Ok(())
}
