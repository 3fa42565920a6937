//! Slashing's tests run on the shared [`TestChain`] with slashing installed as staking's hooks
//! and slashing's begin block before staking's; this adds the last commit's votes,
//! misbehaviour and the signing info.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_framework::{Misbehavior, MisbehaviorKind};
use openledger_slashing::{SigningInfo, SlashingKeeper, SlashingModule};
use openledger_staking::testutil::{TestChain, bank, bank_genesis};
use openledger_staking::{StakingKeeper, StakingModule, ValidatorUpdate, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{
    Accounts, DAY, DENOM, GENESIS_TIME, OPEN, addr, coin, cons, delegate, gov, undelegate,
};

/// Validator `n` (consensus key `[n; 32]`), commission 0.1 (max 0.2).
pub fn create_validator(n: u8, amount: u128) -> spb::MsgCreateValidator {
    openledger_staking::testutil::create_validator(n, n, amount, "0.1", "0.2")
}

pub fn unjail(n: u8) -> cosmrs::proto::cosmos::slashing::v1beta1::MsgUnjail {
    cosmrs::proto::cosmos::slashing::v1beta1::MsgUnjail {
        validator_addr: valoper(&addr(n)),
    }
}

pub struct Chain {
    chain: TestChain,
    pub slashing: SlashingModule,
}

impl Deref for Chain {
    type Target = TestChain;
    fn deref(&self) -> &TestChain {
        &self.chain
    }
}

impl DerefMut for Chain {
    fn deref_mut(&mut self) -> &mut TestChain {
        &mut self.chain
    }
}

impl Chain {
    /// Accounts 1..=`accounts` hold `balance` uopen each; default params everywhere.
    pub fn new(accounts: u8, balance: u128) -> Self {
        Self::with_slashing_genesis(accounts, balance, serde_json::Value::Null)
    }

    pub fn with_slashing_genesis(
        accounts: u8,
        balance: u128,
        slashing_genesis: serde_json::Value,
    ) -> Self {
        let bank = bank(&[]);
        let staking_keeper = StakingKeeper::new(bank.clone(), gov());
        let slashing_keeper = SlashingKeeper::new(staking_keeper.clone(), gov());
        assert!(staking_keeper.set_hooks(slashing_keeper.hooks()));
        let staking = StakingModule::new(staking_keeper);
        let slashing = SlashingModule::new(slashing_keeper);
        let mut chain = TestChain::new(
            bank,
            staking.clone(),
            &[&staking, &slashing],
            "cosmos.slashing.v1beta1.Query",
        )
        .with_begin_blockers(vec![Arc::new(slashing.clone()), Arc::new(staking.clone())]);
        chain.init_genesis(
            &bank_genesis(accounts, balance),
            &[
                (&staking, &serde_json::Value::Null),
                (&slashing, &slashing_genesis),
            ],
        );
        Self { chain, slashing }
    }

    pub fn keeper(&self) -> &SlashingKeeper {
        &self.slashing.keeper
    }

    /// Ends this block and begins the next, where every validator of the current set voted
    /// except those in `absent` (by validator number).
    pub fn next_block(&mut self, seconds: i64, absent: &[u8]) -> Vec<ValidatorUpdate> {
        let updates = self.end_block();
        let votes = self.votes(absent);
        self.begin_block(seconds, votes, Vec::new());
        updates
    }

    /// A duplicate vote by validator `n` at `height`, `age` seconds before this block's time.
    pub fn double_sign(&self, n: u8, height: i64, age: i64, power: i64) -> Misbehavior {
        Misbehavior {
            kind: MisbehaviorKind::DuplicateVote,
            validator: cons(n),
            power,
            height,
            time_seconds: self.block.time_seconds - age,
            time_nanos: 0,
            total_voting_power: 1000,
        }
    }

    pub fn signing_info(&self, n: u8) -> Option<SigningInfo> {
        self.keeper()
            .signing_info(&mut &self.state, &cons(n))
            .unwrap()
    }

    pub fn missed(&self, n: u8) -> Vec<i64> {
        self.keeper()
            .missed_indexes(&mut &self.state, &cons(n))
            .unwrap()
    }

    pub fn in_last_set(&self, n: u8) -> bool {
        self.staking_keeper()
            .last_validator_powers(&mut &self.state)
            .unwrap()
            .contains_key(&addr(n))
    }
}

/// A chain with validators 1..=`n` of `stake` OPEN each, bonded at height 1, and the chain
/// at height 2 (every validator signed height 1).
pub fn chain_with_validators(n: u8, stake: u128, slashing_genesis: serde_json::Value) -> Chain {
    let mut c = Chain::with_slashing_genesis(20, 1_000_000 * OPEN, slashing_genesis);
    for v in 1..=n {
        c.send(&create_validator(v, stake * OPEN))
            .expect("create validator");
    }
    let updates = c.next_block(5, &[]);
    assert_eq!(updates.len(), n as usize);
    c
}

/// Slashing genesis with a small window (`window` blocks, half of them to be signed).
pub fn small_window(window: i64) -> serde_json::Value {
    serde_json::json!({
        "params": {
            "signed_blocks_window": window.to_string(),
            "min_signed_per_window": "0.500000000000000000",
            "downtime_jail_duration": "600s",
            "slash_fraction_double_sign": "0.050000000000000000",
            "slash_fraction_downtime": "0.010000000000000000",
        }
    })
}
