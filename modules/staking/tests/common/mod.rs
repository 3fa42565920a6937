//! A small chain for staking's tests: the real bank keeper over an in-memory state, messages
//! run as the app runs them (stateless checks, then delivery in a branch), blocks advanced by
//! hand with their block time.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::Any;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use openledger_bank::BankKeeper;
use openledger_framework::context::ExecMode;
use openledger_framework::store::{EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Ctx, GasMeter, KvRead, Module, MsgResponse, QueryRouter,
    pack_any,
};
use openledger_staking::{StakingKeeper, StakingModule, ValidatorUpdate, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{
    Accounts, DENOM, OPEN, addr, coin, dec_atomics as dec, delegate, gov, redelegate, undelegate,
};

pub const DAY: i64 = 24 * 3600;

pub fn pubkey(n: u8) -> [u8; 32] {
    [n; 32]
}

/// Validator `op` with consensus key `[key; 32]`, commission 0.1 (max 0.2).
pub fn create_validator(op: u8, key: u8, amount: u128) -> pb::MsgCreateValidator {
    openledger_staking::testutil::create_validator(op, key, amount, "0.1", "0.2")
}

pub struct Chain {
    pub state: Overlay<EmptyState>,
    pub bank: BankKeeper,
    pub module: StakingModule,
    pub block: BlockInfo,
    pub queries: QueryRouter,
}

impl Chain {
    /// A chain whose accounts 1..=`accounts` hold `balance` uopen each, default staking params.
    pub fn new(accounts: u8, balance: u128) -> Self {
        let balances: Vec<_> = (1..=accounts)
            .map(|n| {
                serde_json::json!({
                    "address": addr(n).to_bech32(),
                    "coins": [{"denom": DENOM, "amount": balance.to_string()}],
                })
            })
            .collect();
        Self::with_genesis(
            serde_json::json!({ "balances": balances }),
            serde_json::Value::Null,
        )
    }

    pub fn with_genesis(
        bank_genesis: serde_json::Value,
        staking_genesis: serde_json::Value,
    ) -> Self {
        let bank = BankKeeper::new(
            Arc::new(Accounts),
            &[
                openledger_staking::BONDED_POOL,
                openledger_staking::NOT_BONDED_POOL,
            ],
            gov(),
        );
        let module = StakingModule::new(StakingKeeper::new(bank.clone(), gov()));
        let mut queries = QueryRouter::new();
        module.register_queries(&mut queries);
        let mut chain = Self {
            state: Overlay::new(EmptyState),
            bank: bank.clone(),
            module,
            block: BlockInfo {
                height: 1,
                time_seconds: 1_700_000_000,
                time_nanos: 0,
                chain_id: "openledger-test-1".into(),
                ..Default::default()
            },
            queries,
        };
        let bank_module = openledger_bank::BankModule::new(bank);
        let staking = chain.module.clone();
        chain
            .run(|c| {
                bank_module.init_genesis(c, &bank_genesis)?;
                staking.init_genesis(c, &staking_genesis)
            })
            .expect("genesis");
        chain
    }

    pub fn keeper(&self) -> &StakingKeeper {
        &self.module.keeper
    }

    /// Runs `f` with a context over the block state (no branch: `f` sees and keeps everything).
    pub fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> Result<R, AbciError> {
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &self.block,
            ExecMode::Finalize,
            &mut self.state,
            &mut gas,
            &mut events,
        );
        f(&mut ctx)
    }

    /// Delivers one message as a transaction would: stateless checks, then the handler.
    pub fn send<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        let any: Any = pack_any(msg);
        self.module.validate_msg(&any)?;
        let module = self.module.clone();
        self.run(|c| module.deliver(c, &any))
    }

    /// Ends this block (returning CometBFT's updates) and begins the next, `seconds` later.
    pub fn next_block(&mut self, seconds: i64) -> Vec<ValidatorUpdate> {
        let module = self.module.clone();
        self.run(|c| module.end_block(c)).expect("end block");
        let updates = self.module.take_validator_updates();
        self.block.height += 1;
        self.block.time_seconds += seconds;
        self.run(|c| module.begin_block(c)).expect("begin block");
        updates
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.bank.balance_at(&self.state, a, DENOM).unwrap()
    }

    pub fn pool(&self, name: &str) -> u128 {
        self.balance(&Address::module(name))
    }

    pub fn supply(&self) -> u128 {
        self.bank.supply_at(&self.state, DENOM).unwrap()
    }

    /// Sum of every balance of the bond denom, pools included.
    pub fn all_balances(&self) -> u128 {
        openledger_staking::testutil::all_balances(&self.state)
    }

    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp, AbciError> {
        self.queries.query(
            &format!("/cosmos.staking.v1beta1.Query/{method}"),
            &self.state as &dyn KvRead,
            req,
        )
    }

    pub fn validator(&self, n: u8) -> openledger_staking::Validator {
        let mut s: &dyn KvRead = &self.state;
        self.keeper().must_validator(&mut s, &addr(n)).unwrap()
    }

    /// The pool invariants: the bonded pool holds the bonded validators' tokens; the
    /// not-bonded pool the others' plus every unbonding entry; balances add up to the supply.
    pub fn check_invariants(&self) {
        let mut s: &dyn KvRead = &self.state;
        let k = self.keeper();
        let vals = k.all_validators(&mut s).unwrap();
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
        let unbonding: u128 = k
            .all_unbonding_delegations(&mut s)
            .unwrap()
            .iter()
            .map(|u| u.total_balance())
            .sum();
        assert_eq!(
            self.pool(openledger_staking::BONDED_POOL),
            bonded,
            "bonded pool"
        );
        assert_eq!(
            self.pool(openledger_staking::NOT_BONDED_POOL),
            not_bonded + unbonding,
            "not-bonded pool"
        );
        assert_eq!(self.all_balances(), self.supply(), "balances vs supply");
        // Every validator's shares are the sum of its delegations' shares.
        for v in &vals {
            let sum: u128 = k
                .delegations_to(&mut s, &v.operator)
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
