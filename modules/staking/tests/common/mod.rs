//! Staking's tests run on the shared [`TestChain`] with staking alone; this adds staking's
//! invariants and block steps that return the validator set changes.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::ops::{Deref, DerefMut};

use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use openledger_staking::testutil::{TestChain, bank, bank_genesis};
use openledger_staking::{StakingKeeper, StakingModule, ValidatorUpdate, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{
    Accounts, DAY, DENOM, OPEN, addr, coin, dec_atomics as dec, delegate, gov, redelegate,
    undelegate,
};

pub fn pubkey(n: u8) -> [u8; 32] {
    [n; 32]
}

/// Validator `op` with consensus key `[key; 32]`, commission 0.1 (max 0.2).
pub fn create_validator(op: u8, key: u8, amount: u128) -> pb::MsgCreateValidator {
    openledger_staking::testutil::create_validator(op, key, amount, "0.1", "0.2")
}

pub struct Chain(TestChain);

impl Deref for Chain {
    type Target = TestChain;
    fn deref(&self) -> &TestChain {
        &self.0
    }
}

impl DerefMut for Chain {
    fn deref_mut(&mut self) -> &mut TestChain {
        &mut self.0
    }
}

impl Chain {
    /// A chain whose accounts 1..=`accounts` hold `balance` uopen each, default staking params.
    pub fn new(accounts: u8, balance: u128) -> Self {
        Self::with_genesis(bank_genesis(accounts, balance), serde_json::Value::Null)
    }

    pub fn with_genesis(
        bank_genesis: serde_json::Value,
        staking_genesis: serde_json::Value,
    ) -> Self {
        let bank = bank(&[]);
        let staking = StakingModule::new(StakingKeeper::new(bank.clone(), gov()));
        let mut chain = TestChain::new(
            bank,
            staking.clone(),
            &[&staking],
            "cosmos.staking.v1beta1.Query",
        );
        chain.init_genesis(&bank_genesis, &[(&staking, &staking_genesis)]);
        Self(chain)
    }

    pub fn keeper(&self) -> &StakingKeeper {
        self.staking_keeper()
    }

    /// Ends this block (returning CometBFT's updates) and begins the next, `seconds` later.
    pub fn next_block(&mut self, seconds: i64) -> Vec<ValidatorUpdate> {
        let updates = self.end_block();
        self.begin_block(seconds, Vec::new(), Vec::new());
        updates
    }

    /// The pool invariants: the bonded pool holds the bonded validators' tokens; the
    /// not-bonded pool the others' plus every unbonding entry; balances add up to the supply;
    /// every validator's shares are the sum of its delegations' shares.
    pub fn check_invariants(&self) {
        self.check_pools();
        self.check_supply();
        let k = self.keeper();
        for v in k.all_validators(&mut &self.state).unwrap() {
            let sum: u128 = k
                .delegations_to(&mut &self.state, &v.operator)
                .unwrap()
                .iter()
                .map(|d| d.shares.atomics())
                .sum();
            assert_eq!(
                sum,
                v.delegator_shares.atomics(),
                "shares of {}",
                valoper(&v.operator)
            );
        }
    }
}
