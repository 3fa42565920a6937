//! Distribution's tests run on the shared [`TestChain`] with the real distribution and mint
//! modules, distribution installed as staking's hooks; blocks begin with the previous block's
//! commit built from the bonded set (or given by the test). This adds the rewards accessors and
//! the accounting invariants.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_distribution::{DecCoins, DistributionKeeper, DistributionModule};
use openledger_framework::{Coin, Coins, Dec, Module, VoteInfo};
use openledger_mint::{MintKeeper, MintModule};
use openledger_staking::testutil::{TestChain, bank, bank_genesis};
use openledger_staking::{MultiStakingHooks, StakingKeeper, StakingModule, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{
    Accounts, DENOM, OPEN, addr, coins, cons, dec_atomics as pdec, delegate, gov, redelegate,
    undelegate,
};

pub const FEE_COLLECTOR: &str = "fee_collector";
/// Seconds between blocks.
pub const BLOCK_SECONDS: i64 = 5;

pub fn dec(s: &str) -> Dec {
    s.parse().unwrap()
}

pub fn dec_coins(amount: &str) -> DecCoins {
    DecCoins::of(DENOM, dec(amount))
}

/// Validator `op` (consensus key `[op; 32]`) with commission `rate` (max 1).
pub fn create_validator(op: u8, amount: u128, rate: &str) -> spb::MsgCreateValidator {
    openledger_staking::testutil::create_validator(op, op, amount, rate, "1")
}

/// Staking genesis with a short unbonding time (10 s), so removals happen within a test.
pub fn staking_genesis() -> serde_json::Value {
    serde_json::json!({
        "params": {
            "unbonding_time": "10s",
            "max_validators": 100,
            "max_entries": 7,
            "historical_entries": 0,
            "bond_denom": DENOM,
            "min_commission_rate": "0.000000000000000000"
        }
    })
}

pub struct Chain {
    chain: TestChain,
    pub distr: DistributionModule,
    pub mint: MintModule,
    /// Whether begin block runs mint (off by default, so fees alone are allocated).
    pub mint_enabled: bool,
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
    /// Accounts 1..=`accounts` hold `balance` uopen each.
    pub fn new(accounts: u8, balance: u128) -> Self {
        Self::with_genesis(
            bank_genesis(accounts, balance),
            staking_genesis(),
            serde_json::Value::Null,
            serde_json::Value::Null,
        )
    }

    pub fn with_genesis(
        bank_genesis: serde_json::Value,
        staking_genesis: serde_json::Value,
        distr_genesis: serde_json::Value,
        mint_genesis: serde_json::Value,
    ) -> Self {
        let bank = bank(&[FEE_COLLECTOR, "mint"]);
        let staking_keeper = StakingKeeper::new(bank.clone(), gov());
        let distr_keeper =
            DistributionKeeper::new(bank.clone(), staking_keeper.clone(), gov(), FEE_COLLECTOR);
        let mint_keeper =
            MintKeeper::new(bank.clone(), staking_keeper.clone(), gov(), FEE_COLLECTOR);
        assert!(
            staking_keeper.set_hooks(Arc::new(MultiStakingHooks(vec![Arc::new(
                distr_keeper.clone()
            )])))
        );
        let staking = StakingModule::new(staking_keeper);
        let distr = DistributionModule::new(distr_keeper);
        let mint = MintModule::new(mint_keeper);
        let mut chain = TestChain::new(
            bank,
            staking.clone(),
            &[&staking, &distr, &mint],
            "cosmos.distribution.v1beta1.Query",
        );
        chain.init_genesis(
            &bank_genesis,
            &[
                (&distr, &distr_genesis),
                (&staking, &staking_genesis),
                (&mint, &mint_genesis),
            ],
        );
        Self {
            chain,
            distr,
            mint,
            mint_enabled: false,
        }
    }

    pub fn keeper(&self) -> &DistributionKeeper {
        &self.distr.keeper
    }

    /// Ends this block and begins the next with `commit` as its last commit.
    pub fn next_block_with(&mut self, commit: Vec<VoteInfo>) {
        self.end_block();
        let mut order: Vec<Arc<dyn Module>> =
            vec![Arc::new(self.distr.clone()), Arc::new(self.staking.clone())];
        if self.mint_enabled {
            order.insert(0, Arc::new(self.mint.clone()));
        }
        self.chain.begin_blockers = order;
        self.begin_block(BLOCK_SECONDS, commit, Vec::new());
    }

    /// Ends this block and begins the next, the bonded set (before this end block) signing.
    pub fn next_block(&mut self) {
        let commit = self.votes(&[]);
        self.next_block_with(commit);
    }

    /// Puts `amount` uopen of fees (paid by account `payer`) in the fee collector.
    pub fn collect_fees(&mut self, payer: u8, amount: u128) {
        let bank = self.bank.clone();
        let coins = Coins::from_vec(vec![Coin::new(amount, DENOM)]).unwrap();
        self.run(|c| bank.send_to_module(c, &addr(payer), FEE_COLLECTOR, &coins))
            .expect("fees");
    }

    pub fn outstanding(&self, val: u8) -> DecCoins {
        self.keeper()
            .outstanding_rewards(&mut &self.state, &addr(val))
            .unwrap()
    }

    pub fn commission(&self, val: u8) -> DecCoins {
        self.keeper()
            .accumulated_commission(&mut &self.state, &addr(val))
            .unwrap()
    }

    pub fn community_pool(&self) -> DecCoins {
        self.keeper().community_pool(&mut &self.state).unwrap()
    }

    pub fn rewards(&self, del: u8, val: u8) -> DecCoins {
        self.keeper()
            .delegation_rewards(&self.state, &addr(del), &addr(val))
            .unwrap()
    }

    /// The accounting invariants:
    /// - bank: the supply equals the sum of all balances (module accounts included);
    /// - distribution: its module account holds exactly the whole part of the community pool
    ///   plus every validator's outstanding rewards;
    /// - F1: what every delegator of a validator can withdraw plus its commission never
    ///   exceeds its outstanding rewards (per denom).
    pub fn check_invariants(&self) {
        self.check_supply();
        let s = &mut &self.state;
        let k = self.keeper();
        let mut holdings = k.community_pool(s).unwrap();
        for val in k.tracked_validators(s).unwrap() {
            let outstanding = k.outstanding_rewards(s, &val).unwrap();
            holdings = holdings.add(&outstanding).unwrap();
            let mut owed = k.accumulated_commission(s, &val).unwrap();
            for d in self.staking_keeper().delegations_to(s, &val).unwrap() {
                let r = k
                    .delegation_rewards(&self.state, &d.delegator, &val)
                    .unwrap_or_else(|e| panic!("rewards of {:?}: {e}", d.delegator));
                owed = owed.add(&r).unwrap();
            }
            assert!(
                owed.is_all_lte(&outstanding),
                "validator {}: owed {owed} > outstanding {outstanding}",
                valoper(&val)
            );
        }
        let (whole, _) = holdings.truncate_decimal();
        assert_eq!(
            self.module_balance(openledger_distribution::MODULE_NAME),
            whole.amount_of(DENOM),
            "distribution module balance vs community pool + outstanding"
        );
    }
}
