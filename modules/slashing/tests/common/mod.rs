//! A small chain for slashing's tests: the real bank and staking keepers with slashing's hooks
//! installed, over an in-memory state. Messages run as the app runs them (stateless checks,
//! signer check, delivery in a branch); blocks are advanced by hand with their block time, the
//! last commit's votes and misbehaviour.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::Any;
use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_bank::BankKeeper;
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::store::{Changes, EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Ctx, Event, GasMeter, KvRead, Misbehavior, MisbehaviorKind,
    Module, MsgResponse, QueryRouter, VoteInfo, pack_any,
};
use openledger_slashing::{SigningInfo, SlashingKeeper, SlashingModule};
use openledger_staking::{StakingKeeper, StakingModule, ValidatorUpdate, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{
    Accounts, DENOM, OPEN, addr, coin, cons, delegate, gov, undelegate,
};

pub const DAY: i64 = 24 * 3600;
pub const GENESIS_TIME: i64 = 1_700_000_000;

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
    pub state: Overlay<EmptyState>,
    pub bank: BankKeeper,
    pub staking: StakingModule,
    pub slashing: SlashingModule,
    pub block: BlockInfo,
    pub queries: QueryRouter,
    /// Events of the last begin block.
    pub events: Vec<Event>,
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
        let balances: Vec<_> = (1..=accounts)
            .map(|n| {
                serde_json::json!({
                    "address": addr(n).to_bech32(),
                    "coins": [{"denom": DENOM, "amount": balance.to_string()}],
                })
            })
            .collect();
        let bank = BankKeeper::new(
            Arc::new(Accounts),
            &[
                openledger_staking::BONDED_POOL,
                openledger_staking::NOT_BONDED_POOL,
            ],
            gov(),
        );
        let staking_keeper = StakingKeeper::new(bank.clone(), gov());
        let slashing_keeper = SlashingKeeper::new(staking_keeper.clone(), gov());
        assert!(staking_keeper.set_hooks(slashing_keeper.hooks()));
        let staking = StakingModule::new(staking_keeper);
        let slashing = SlashingModule::new(slashing_keeper);
        let mut queries = QueryRouter::new();
        staking.register_queries(&mut queries);
        slashing.register_queries(&mut queries);
        let mut chain = Self {
            state: Overlay::new(EmptyState),
            bank: bank.clone(),
            staking,
            slashing,
            block: BlockInfo {
                height: 1,
                time_seconds: GENESIS_TIME,
                time_nanos: 0,
                chain_id: "openledger-test-1".into(),
                ..Default::default()
            },
            queries,
            events: Vec::new(),
        };
        let bank_module = openledger_bank::BankModule::new(bank);
        let (staking, slashing) = (chain.staking.clone(), chain.slashing.clone());
        let bank_genesis = serde_json::json!({ "balances": balances });
        chain
            .run(|c| {
                bank_module.init_genesis(c, &bank_genesis)?;
                staking.init_genesis(c, &serde_json::Value::Null)?;
                slashing.init_genesis(c, &slashing_genesis)
            })
            .expect("genesis");
        chain
    }

    pub fn keeper(&self) -> &SlashingKeeper {
        &self.slashing.keeper
    }

    pub fn staking_keeper(&self) -> &StakingKeeper {
        &self.staking.keeper
    }

    pub fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> Result<R, AbciError> {
        self.run_collect(f).0
    }

    fn run_collect<R>(
        &mut self,
        f: impl FnOnce(&mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> (Result<R, AbciError>, Vec<Event>) {
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &self.block,
            ExecMode::Finalize,
            &mut self.state,
            &mut gas,
            &mut events,
        );
        let r = f(&mut ctx);
        (r, events)
    }

    fn module_for(&self, type_url: &str) -> Box<dyn Module> {
        if self.slashing.msg_type_urls().iter().any(|u| u == type_url) {
            Box::new(self.slashing.clone())
        } else {
            Box::new(self.staking.clone())
        }
    }

    /// Delivers one message signed by `signer`, as the ante pipeline would allow it: the
    /// signer must be one `validate_msg` asks for.
    pub fn send_as<M: prost::Name>(
        &mut self,
        signer: Address,
        msg: &M,
    ) -> Result<MsgResponse, AbciError> {
        let any: Any = pack_any(msg);
        let module = self.module_for(&any.type_url);
        let signers = module.validate_msg(&any)?;
        if !signers.contains(&signer) {
            return Err(SdkError::Unauthorized(format!(
                "{signer} is not a required signer ({signers:?})"
            ))
            .into());
        }
        self.run(|c| module.deliver(c, &any))
    }

    /// Delivers one message signed by its (first) required signer.
    pub fn send<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        let any: Any = pack_any(msg);
        let module = self.module_for(&any.type_url);
        let signers = module.validate_msg(&any)?;
        self.send_as(signers[0], msg)
    }

    /// Ends this block (returning CometBFT's updates).
    pub fn end_block(&mut self) -> Vec<ValidatorUpdate> {
        let staking = self.staking.clone();
        self.run(|c| staking.end_block(c)).expect("end block");
        self.staking.take_validator_updates()
    }

    /// Begins the next block, `seconds` later, with this last commit and misbehaviour.
    pub fn begin_block(&mut self, seconds: i64, votes: Vec<VoteInfo>, evidence: Vec<Misbehavior>) {
        self.block.height += 1;
        self.block.time_seconds += seconds;
        self.block.last_commit = votes;
        self.block.misbehavior = evidence;
        let (slashing, staking) = (self.slashing.clone(), self.staking.clone());
        let (r, events) = self.run_collect(|c| {
            slashing.begin_block(c)?;
            staking.begin_block(c)
        });
        r.expect("begin block");
        self.events = events;
    }

    /// Ends this block and begins the next, where every validator of the current set voted
    /// except those in `absent` (by validator number).
    pub fn next_block(&mut self, seconds: i64, absent: &[u8]) -> Vec<ValidatorUpdate> {
        let updates = self.end_block();
        let votes = self.votes(absent);
        self.begin_block(seconds, votes, Vec::new());
        updates
    }

    /// Votes of the validators in the last set, with their last power.
    pub fn votes(&self, absent: &[u8]) -> Vec<VoteInfo> {
        let mut s: &dyn KvRead = &self.state;
        let k = self.staking_keeper();
        k.last_validator_powers(&mut s)
            .unwrap()
            .into_iter()
            .map(|(op, power)| {
                let v = k.must_validator(&mut s, &op).unwrap();
                VoteInfo {
                    validator: v.cons_address(),
                    power,
                    signed: !absent.contains(&op.as_bytes()[0]),
                }
            })
            .collect()
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

    pub fn balance(&self, a: &Address) -> u128 {
        self.bank.balance_at(&self.state, a, DENOM).unwrap()
    }

    pub fn pool(&self, name: &str) -> u128 {
        self.balance(&Address::module(name))
    }

    pub fn bonded_pool(&self) -> u128 {
        self.pool(openledger_staking::BONDED_POOL)
    }

    pub fn not_bonded_pool(&self) -> u128 {
        self.pool(openledger_staking::NOT_BONDED_POOL)
    }

    pub fn supply(&self) -> u128 {
        self.bank.supply_at(&self.state, DENOM).unwrap()
    }

    pub fn validator(&self, n: u8) -> openledger_staking::Validator {
        let mut s: &dyn KvRead = &self.state;
        self.staking_keeper()
            .must_validator(&mut s, &addr(n))
            .unwrap()
    }

    pub fn signing_info(&self, n: u8) -> Option<SigningInfo> {
        let mut s: &dyn KvRead = &self.state;
        self.keeper().signing_info(&mut s, &cons(n)).unwrap()
    }

    pub fn missed(&self, n: u8) -> Vec<i64> {
        let mut s: &dyn KvRead = &self.state;
        self.keeper().missed_indexes(&mut s, &cons(n)).unwrap()
    }

    pub fn in_last_set(&self, n: u8) -> bool {
        let mut s: &dyn KvRead = &self.state;
        self.staking_keeper()
            .last_validator_powers(&mut s)
            .unwrap()
            .contains_key(&addr(n))
    }

    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp, AbciError> {
        self.queries.query(
            &format!("/cosmos.slashing.v1beta1.Query/{method}"),
            &self.state as &dyn KvRead,
            req,
        )
    }

    /// Everything written so far (to check that a refused message changed nothing).
    pub fn snapshot(&self) -> Changes {
        self.state.changes().clone()
    }

    /// Events of the last begin block of `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<&Event> {
        self.events.iter().filter(|e| e.kind == kind).collect()
    }

    /// The pool invariants staking keeps: the bonded pool holds the bonded validators'
    /// tokens, the not-bonded pool the others' plus every unbonding entry.
    pub fn check_pools(&self) {
        let mut s: &dyn KvRead = &self.state;
        let k = self.staking_keeper();
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
        assert_eq!(self.bonded_pool(), bonded, "bonded pool");
        assert_eq!(
            self.not_bonded_pool(),
            not_bonded + unbonding,
            "not-bonded pool"
        );
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
