//! A small chain for distribution's tests: the real bank, staking, distribution and mint
//! keepers over an in-memory state, with distribution installed as staking's hooks. Messages
//! run as the app runs them (stateless checks, then delivery in a branch); blocks are advanced
//! by hand, with the previous block's commit built from the bonded set (or given by the test).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::Any;
use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_bank::{BankKeeper, BankModule};
use openledger_distribution::{
    DecCoins, DistributionKeeper, DistributionModule, MintKeeper, MintModule,
};
use openledger_framework::context::ExecMode;
use openledger_framework::store::{Changes, EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Coin, Coins, Ctx, Dec, Event, GasMeter, KvRead, Module,
    MsgResponse, QueryRouter, VoteInfo, pack_any,
};
use openledger_staking::{MultiStakingHooks, StakingKeeper, StakingModule, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{
    Accounts, DENOM, OPEN, addr, cons, dec_atomics as pdec, delegate, gov, redelegate, undelegate,
};

pub const FEE_COLLECTOR: &str = "fee_collector";
/// Seconds between blocks.
pub const BLOCK_SECONDS: i64 = 5;

pub fn dec(s: &str) -> Dec {
    s.parse().unwrap()
}

pub fn coins(amount: u128) -> Vec<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    vec![Coin::new(amount, DENOM).to_proto()]
}

pub fn dec_coins(amount: &str) -> DecCoins {
    DecCoins::of(DENOM, dec(amount))
}

/// Validator `op` (consensus key `[op; 32]`) with commission `rate` (max 1).
pub fn create_validator(op: u8, amount: u128, rate: &str) -> spb::MsgCreateValidator {
    openledger_staking::testutil::create_validator(op, op, amount, rate, "1")
}

pub struct Chain {
    pub state: Overlay<EmptyState>,
    pub bank: BankKeeper,
    pub staking: StakingModule,
    pub distr: DistributionModule,
    pub mint: MintModule,
    pub block: BlockInfo,
    pub queries: QueryRouter,
    /// Whether begin block runs mint (off by default, so fees alone are allocated).
    pub mint_enabled: bool,
    /// Events of the last `send` / block.
    pub events: Vec<Event>,
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

impl Chain {
    /// Accounts 1..=`accounts` hold `balance` uopen each.
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
        let bank = BankKeeper::new(
            Arc::new(Accounts),
            &[
                openledger_staking::BONDED_POOL,
                openledger_staking::NOT_BONDED_POOL,
                FEE_COLLECTOR,
                "mint",
            ],
            gov(),
        );
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
        let mut queries = QueryRouter::new();
        staking.register_queries(&mut queries);
        distr.register_queries(&mut queries);
        mint.register_queries(&mut queries);
        let mut chain = Self {
            state: Overlay::new(EmptyState),
            bank: bank.clone(),
            staking,
            distr,
            mint,
            block: BlockInfo {
                height: 1,
                time_seconds: 1_700_000_000,
                time_nanos: 0,
                chain_id: "openledger-test-1".into(),
                ..Default::default()
            },
            queries,
            mint_enabled: false,
            events: Vec::new(),
        };
        let bank_module = BankModule::new(bank);
        let (staking, distr, mint) = (
            chain.staking.clone(),
            chain.distr.clone(),
            chain.mint.clone(),
        );
        chain
            .run(|c| {
                bank_module.init_genesis(c, &bank_genesis)?;
                distr.init_genesis(c, &distr_genesis)?;
                staking.init_genesis(c, &staking_genesis)?;
                mint.init_genesis(c, &mint_genesis)
            })
            .expect("genesis");
        chain
    }

    pub fn keeper(&self) -> &DistributionKeeper {
        &self.distr.keeper
    }

    pub fn staking_keeper(&self) -> &StakingKeeper {
        &self.staking.keeper
    }

    /// Runs `f` with a context over the block state (no branch: `f` keeps everything);
    /// its events land in `self.events`.
    pub fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> Result<R, AbciError> {
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        let r = {
            let mut ctx = Ctx::new(
                &self.block,
                ExecMode::Finalize,
                &mut self.state,
                &mut gas,
                &mut events,
            );
            f(&mut ctx)
        };
        self.events = events;
        r
    }

    /// Delivers one message as a transaction would: the module owning its type URL, stateless
    /// checks, then the handler (which runs in a branch).
    pub fn send<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        let any: Any = pack_any(msg);
        let modules: [Box<dyn Module>; 3] = [
            Box::new(self.staking.clone()),
            Box::new(self.distr.clone()),
            Box::new(self.mint.clone()),
        ];
        let module = modules
            .into_iter()
            .find(|m| m.msg_type_urls().contains(&any.type_url))
            .expect("a module handles this message");
        module.validate_msg(&any)?;
        self.run(|c| module.deliver(c, &any))
    }

    /// The commit of the bonded set as staking last sent it to CometBFT, everyone signing.
    pub fn bonded_commit(&self) -> Vec<VoteInfo> {
        let mut s: &dyn KvRead = &self.state;
        let k = self.staking_keeper();
        k.last_validator_powers(&mut s)
            .unwrap()
            .into_iter()
            .map(|(op, power)| VoteInfo {
                validator: k.must_validator(&mut s, &op).unwrap().cons_address(),
                power,
                signed: true,
            })
            .collect()
    }

    /// Ends this block and begins the next with `commit` as its last commit.
    pub fn next_block_with(&mut self, commit: Vec<VoteInfo>) {
        let staking = self.staking.clone();
        self.run(|c| staking.end_block(c)).expect("end block");
        self.staking.take_validator_updates();
        self.block.height += 1;
        self.block.time_seconds += BLOCK_SECONDS;
        self.block.last_commit = commit;
        let (mint, distr, enabled) = (self.mint.clone(), self.distr.clone(), self.mint_enabled);
        self.run(|c| {
            if enabled {
                mint.begin_block(c)?;
            }
            distr.begin_block(c)?;
            staking.begin_block(c)
        })
        .expect("begin block");
    }

    /// Ends this block and begins the next, the bonded set (before this end block) signing.
    pub fn next_block(&mut self) {
        let commit = self.bonded_commit();
        self.next_block_with(commit);
    }

    /// Puts `amount` uopen of fees (paid by account `payer`) in the fee collector.
    pub fn collect_fees(&mut self, payer: u8, amount: u128) {
        let bank = self.bank.clone();
        let coins = Coins::from_vec(vec![Coin::new(amount, DENOM)]).unwrap();
        self.run(|c| bank.send_to_module(c, &addr(payer), FEE_COLLECTOR, &coins))
            .expect("fees");
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.bank.balance_at(&self.state, a, DENOM).unwrap()
    }

    pub fn module_balance(&self, name: &str) -> u128 {
        self.balance(&Address::module(name))
    }

    pub fn supply(&self) -> u128 {
        self.bank.supply_at(&self.state, DENOM).unwrap()
    }

    /// Sum of every balance of the bond denom, module accounts included.
    pub fn all_balances(&self) -> u128 {
        openledger_staking::testutil::all_balances(&self.state)
    }

    pub fn snapshot(&self) -> Changes {
        self.state.changes().clone()
    }

    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, AbciError> {
        self.queries.query(path, &self.state as &dyn KvRead, req)
    }

    pub fn outstanding(&self, val: u8) -> DecCoins {
        let mut s: &dyn KvRead = &self.state;
        self.keeper()
            .outstanding_rewards(&mut s, &addr(val))
            .unwrap()
    }

    pub fn commission(&self, val: u8) -> DecCoins {
        let mut s: &dyn KvRead = &self.state;
        self.keeper()
            .accumulated_commission(&mut s, &addr(val))
            .unwrap()
    }

    pub fn community_pool(&self) -> DecCoins {
        let mut s: &dyn KvRead = &self.state;
        self.keeper().community_pool(&mut s).unwrap()
    }

    pub fn rewards(&self, del: u8, val: u8) -> DecCoins {
        self.keeper()
            .delegation_rewards(&self.state, &addr(del), &addr(val))
            .unwrap()
    }

    /// The events of type `kind` in `self.events`, as attribute lists.
    pub fn events_of(&self, kind: &str) -> Vec<Vec<(String, String)>> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.attributes.clone())
            .collect()
    }

    /// The accounting invariants:
    /// - bank: the supply equals the sum of all balances (module accounts included);
    /// - distribution: its module account holds exactly the whole part of the community pool
    ///   plus every validator's outstanding rewards;
    /// - F1: what every delegator of a validator can withdraw plus its commission never
    ///   exceeds its outstanding rewards (per denom).
    pub fn check_invariants(&self) {
        assert_eq!(self.all_balances(), self.supply(), "balances vs supply");
        let mut s: &dyn KvRead = &self.state;
        let k = self.keeper();
        let mut holdings = k.community_pool(&mut s).unwrap();
        for val in k.tracked_validators(&mut s).unwrap() {
            let outstanding = k.outstanding_rewards(&mut s, &val).unwrap();
            holdings = holdings.add(&outstanding).unwrap();
            let mut owed = k.accumulated_commission(&mut s, &val).unwrap();
            for d in self.staking_keeper().delegations_to(&mut s, &val).unwrap() {
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
