//! [`TestChain`]: the chain the module tests run on. The real bank and staking keepers over an
//! in-memory state; messages routed through a [`MsgServiceRouter`] of the chain's modules and
//! run as the app runs them (stateless checks, then delivery); blocks ended and begun by hand,
//! the modules' hooks in a set order (the SDK's `SetOrderBeginBlockers`/`SetOrderEndBlockers`).
//! Each module's test suite wraps it with what only that module needs.

use std::sync::Arc;

use cosmrs::Any;
use openledger_bank::{BankKeeper, BankModule};
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::store::{Changes, EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Ctx, Event, GasMeter, KvRead, Misbehavior, Module, MsgResponse,
    MsgServiceRouter, QueryRouter, VoteInfo, pack_any,
};

use super::{Accounts, DENOM, addr, gov};
use crate::{
    BONDED_POOL, NOT_BONDED_POOL, StakingKeeper, StakingModule, Validator, ValidatorUpdate,
};

pub const GENESIS_TIME: i64 = 1_700_000_000;

/// The bank over [`Accounts`], gov its authority; staking's pools and `module_accounts` may not
/// receive sends.
pub fn bank(module_accounts: &[&str]) -> BankKeeper {
    let blocked: Vec<&str> = [BONDED_POOL, NOT_BONDED_POOL]
        .into_iter()
        .chain(module_accounts.iter().copied())
        .collect();
    BankKeeper::new(Arc::new(Accounts), &blocked, gov())
}

/// Bank genesis where accounts 1..=`accounts` hold `balance` [`DENOM`] each.
pub fn bank_genesis(accounts: u8, balance: u128) -> serde_json::Value {
    let balances: Vec<_> = (1..=accounts)
        .map(|n| {
            serde_json::json!({
                "address": addr(n).to_bech32(),
                "coins": [{"denom": DENOM, "amount": balance.to_string()}],
            })
        })
        .collect();
    serde_json::json!({ "balances": balances })
}

pub struct TestChain {
    pub state: Overlay<EmptyState>,
    pub block: BlockInfo,
    pub bank: BankKeeper,
    pub staking: StakingModule,
    /// The messages of the chain's modules, as the app routes them.
    pub router: Arc<MsgServiceRouter>,
    pub queries: QueryRouter,
    /// The gRPC service whose methods [`query`](Self::query) takes by bare name.
    query_service: &'static str,
    /// The modules whose begin block runs, in order (staking alone unless set otherwise).
    pub begin_blockers: Vec<Arc<dyn Module>>,
    /// The modules whose end block runs, in order (staking alone unless set otherwise).
    pub end_blockers: Vec<Arc<dyn Module>>,
    /// Events of the last run: a message, a block's begin or end, genesis.
    pub events: Vec<Event>,
}

impl TestChain {
    /// A chain at height 1, before genesis, over `bank` and `staking` (built on that bank),
    /// routing the messages and queries of `modules`. [`query`](Self::query) takes the methods
    /// of `query_service` (`cosmos.staking.v1beta1.Query`) by name.
    pub fn new(
        bank: BankKeeper,
        staking: StakingModule,
        modules: &[&dyn Module],
        query_service: &'static str,
    ) -> Self {
        let mut queries = QueryRouter::new();
        for m in modules {
            m.register_queries(&mut queries);
        }
        let staking_hooks: Arc<dyn Module> = Arc::new(staking.clone());
        Self {
            state: Overlay::new(EmptyState),
            block: BlockInfo {
                height: 1,
                time_seconds: GENESIS_TIME,
                time_nanos: 0,
                chain_id: "openledger-test-1".into(),
                ..Default::default()
            },
            bank,
            staking,
            router: Arc::new(MsgServiceRouter::of(modules.iter().copied())),
            queries,
            query_service,
            begin_blockers: vec![staking_hooks.clone()],
            end_blockers: vec![staking_hooks],
            events: Vec::new(),
        }
    }

    pub fn with_begin_blockers(mut self, order: Vec<Arc<dyn Module>>) -> Self {
        self.begin_blockers = order;
        self
    }

    pub fn with_end_blockers(mut self, order: Vec<Arc<dyn Module>>) -> Self {
        self.end_blockers = order;
        self
    }

    /// Loads bank's genesis, then each module's, in order.
    pub fn init_genesis(
        &mut self,
        bank_genesis: &serde_json::Value,
        modules: &[(&dyn Module, &serde_json::Value)],
    ) {
        let bank = BankModule::new(self.bank.clone());
        self.run(|c| {
            bank.init_genesis(c, bank_genesis)?;
            modules.iter().try_for_each(|(m, g)| m.init_genesis(c, g))
        })
        .expect("genesis");
    }

    pub fn staking_keeper(&self) -> &StakingKeeper {
        &self.staking.keeper
    }

    /// Runs `f` with a context over the block state (no branch: `f` sees and keeps everything);
    /// its events land in [`events`](Self::events).
    pub fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Ctx<'_>) -> Result<R, AbciError>,
    ) -> Result<R, AbciError> {
        let (r, events) = self.run_collect(f);
        self.events = events;
        r
    }

    /// [`run`](Self::run), returning the events instead of keeping them.
    pub fn run_collect<R>(
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

    /// Delivers one message as a transaction would: stateless checks, then the handler.
    pub fn send<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        self.send_any(&pack_any(msg))
    }

    pub fn send_any(&mut self, msg: &Any) -> Result<MsgResponse, AbciError> {
        self.router.validate(msg)?;
        self.deliver_any(msg)
    }

    /// Delivers one message signed by `signer`, as the ante pipeline would allow it: the
    /// signer must be one the stateless checks ask for.
    pub fn send_as<M: prost::Name>(
        &mut self,
        signer: Address,
        msg: &M,
    ) -> Result<MsgResponse, AbciError> {
        let any = pack_any(msg);
        let signers = self.router.validate(&any)?;
        if !signers.contains(&signer) {
            return Err(SdkError::Unauthorized(format!(
                "{signer} is not a required signer ({signers:?})"
            ))
            .into());
        }
        self.deliver_any(&any)
    }

    /// Delivers without the stateless checks (the handler must refuse bad input by itself).
    pub fn deliver_only<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        self.deliver_any(&pack_any(msg))
    }

    fn deliver_any(&mut self, msg: &Any) -> Result<MsgResponse, AbciError> {
        let router = self.router.clone();
        self.run(|c| router.deliver(c, msg))
    }

    /// Ends this block: the end blockers in order; returns staking's updates for CometBFT.
    pub fn end_block(&mut self) -> Vec<ValidatorUpdate> {
        let order = self.end_blockers.clone();
        self.run(|c| order.iter().try_for_each(|m| m.end_block(c)))
            .expect("end block");
        self.staking.take_validator_updates()
    }

    /// Begins the next block, `seconds` later, with this last commit and misbehaviour: the
    /// begin blockers in order.
    pub fn begin_block(
        &mut self,
        seconds: i64,
        last_commit: Vec<VoteInfo>,
        misbehavior: Vec<Misbehavior>,
    ) {
        self.block.height += 1;
        self.block.time_seconds += seconds;
        self.block.last_commit = last_commit;
        self.block.misbehavior = misbehavior;
        let order = self.begin_blockers.clone();
        self.run(|c| order.iter().try_for_each(|m| m.begin_block(c)))
            .expect("begin block");
    }

    /// The commit of the validator set staking last sent to CometBFT, with their last power:
    /// every validator signed except those in `absent` (by validator number).
    pub fn votes(&self, absent: &[u8]) -> Vec<VoteInfo> {
        let k = self.staking_keeper();
        k.last_validator_powers(&mut &self.state)
            .expect("last powers")
            .into_iter()
            .map(|(op, power)| VoteInfo {
                validator: self.validator_of(&op).cons_address(),
                power,
                signed: !absent.contains(&op.as_bytes()[0]),
            })
            .collect()
    }

    /// Queries `method` of the chain's query service, or the full gRPC path `method`
    /// (`/cosmos.mint.v1beta1.Query/Params`).
    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp, AbciError> {
        let path = if method.starts_with('/') {
            method.to_string()
        } else {
            format!("/{}/{method}", self.query_service)
        };
        self.queries.query(&path, &self.state as &dyn KvRead, req)
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.bank
            .balance(&mut &self.state, a, DENOM)
            .expect("balance")
    }

    /// The balance of module account `name`.
    pub fn module_balance(&self, name: &str) -> u128 {
        self.balance(&Address::module(name))
    }

    pub fn bonded_pool(&self) -> u128 {
        self.module_balance(BONDED_POOL)
    }

    pub fn not_bonded_pool(&self) -> u128 {
        self.module_balance(NOT_BONDED_POOL)
    }

    pub fn supply(&self) -> u128 {
        self.bank.supply(&mut &self.state, DENOM).expect("supply")
    }

    /// Sum of every balance of [`DENOM`], module accounts included.
    pub fn all_balances(&self) -> u128 {
        super::all_balances(&self.state)
    }

    /// Validator `n`.
    pub fn validator(&self, n: u8) -> Validator {
        self.validator_of(&addr(n))
    }

    fn validator_of(&self, op: &Address) -> Validator {
        self.staking_keeper()
            .must_validator(&mut &self.state, op)
            .expect("validator")
    }

    /// Everything written so far (to check that a refused message changed nothing).
    pub fn snapshot(&self) -> Changes {
        self.state.changes().clone()
    }

    /// The events of the last run of type `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<&Event> {
        self.events.iter().filter(|e| e.kind == kind).collect()
    }

    /// The events of the last run of type `kind`, as attribute lists.
    pub fn attributes_of(&self, kind: &str) -> Vec<Vec<(String, String)>> {
        self.events_of(kind)
            .into_iter()
            .map(|e| e.attributes.clone())
            .collect()
    }

    /// The first attribute `key` of the events of the last run of type `kind`.
    pub fn event(&self, kind: &str, key: &str) -> Option<String> {
        self.events_of(kind)
            .into_iter()
            .flat_map(|e| e.attributes.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The pool invariants staking keeps: the bonded pool holds the bonded validators'
    /// tokens, the not-bonded pool the others' plus every unbonding entry.
    pub fn check_pools(&self) {
        if let Err(e) = super::check_pools(self.staking_keeper(), &self.state) {
            panic!("{e}");
        }
    }

    /// Bank's invariant: the supply is the sum of all balances (module accounts included).
    pub fn check_supply(&self) {
        assert_eq!(self.all_balances(), self.supply(), "balances vs supply");
    }
}
