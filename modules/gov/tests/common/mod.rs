//! A small chain for gov's tests: the real bank and staking keepers over an in-memory state, a
//! message router over the real bank, staking and gov modules (as the app's router), messages
//! run as the app runs them (stateless checks, then delivery), blocks advanced by hand.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::sync::Arc;

use cosmrs::Any;
use cosmrs::proto::cosmos::gov::v1 as gpb;
use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_bank::{BankKeeper, BankModule};
use openledger_framework::context::ExecMode;
use openledger_framework::store::{Changes, EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Coin, Ctx, Event, GasMeter, KvRead, Module, MsgResponse,
    MsgServiceRouter, QueryRouter, pack_any,
};
use openledger_gov::{GovKeeper, GovModule, MsgRouter};
use openledger_staking::{StakingKeeper, StakingModule, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{Accounts, DENOM, OPEN, addr, gov};

/// Voting and deposit periods of the test chain.
pub const PERIOD: i64 = 100;

pub fn coins(amount: u128) -> Vec<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    vec![Coin::new(amount, DENOM).to_proto()]
}

/// The app's router, over the real modules' message handlers.
pub struct TestRouter(pub MsgServiceRouter);

impl MsgRouter for TestRouter {
    fn signers(&self, msg: &Any) -> Result<Vec<Address>, AbciError> {
        self.0.validate(msg)
    }
    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> Result<MsgResponse, AbciError> {
        self.0.deliver(ctx, msg)
    }
}

/// Gov genesis with the test periods; `edit` changes its params JSON.
pub fn gov_genesis(edit: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
    let mut p = serde_json::to_value(openledger_gov::genesis::params_to_json(
        &openledger_gov::params::default_params(),
    ))
    .unwrap();
    p["voting_period"] = format!("{PERIOD}s").into();
    p["max_deposit_period"] = format!("{PERIOD}s").into();
    p["expedited_voting_period"] = "50s".into();
    edit(&mut p);
    serde_json::json!({ "starting_proposal_id": "1", "params": p })
}

pub struct Chain {
    pub state: Overlay<EmptyState>,
    pub bank: BankKeeper,
    pub staking: StakingModule,
    pub gov: GovModule,
    pub router: Arc<TestRouter>,
    pub block: BlockInfo,
    pub queries: QueryRouter,
    /// Events of the last message or block end.
    pub events: Vec<Event>,
}

impl Chain {
    pub fn with_genesis(
        bank_genesis: serde_json::Value,
        staking_genesis: serde_json::Value,
        gov_genesis: serde_json::Value,
    ) -> Self {
        let bank = BankKeeper::new(
            Arc::new(Accounts),
            &[
                openledger_staking::BONDED_POOL,
                openledger_staking::NOT_BONDED_POOL,
            ],
            gov(),
        );
        let staking = StakingModule::new(StakingKeeper::new(bank.clone(), gov()));
        let gov_module =
            GovModule::new(GovKeeper::new(bank.clone(), staking.keeper.clone(), gov()));
        let bank_module = BankModule::new(bank.clone());
        let router = Arc::new(TestRouter(MsgServiceRouter::of([
            &bank_module as &dyn Module,
            &staking,
            &gov_module,
        ])));
        assert!(gov_module.keeper.set_router(router.clone()));
        let mut queries = QueryRouter::new();
        gov_module.register_queries(&mut queries);
        let mut chain = Self {
            state: Overlay::new(EmptyState),
            bank,
            staking,
            gov: gov_module,
            router,
            block: BlockInfo {
                height: 1,
                time_seconds: 1_700_000_000,
                time_nanos: 0,
                chain_id: "openledger-test-1".into(),
                ..Default::default()
            },
            queries,
            events: Vec::new(),
        };
        let (staking, gov) = (chain.staking.clone(), chain.gov.clone());
        chain
            .run(|c| {
                bank_module.init_genesis(c, &bank_genesis)?;
                staking.init_genesis(c, &staking_genesis)?;
                gov.init_genesis(c, &gov_genesis)
            })
            .expect("genesis");
        chain
    }

    /// Accounts 1..=6 with 1000 OPEN; validator 1 self-bonds 60 OPEN, validator 2 40 OPEN,
    /// account 3 delegates 20 OPEN to validator 1; all bonded. Total bonded: 120 OPEN.
    pub fn new(gov_genesis: serde_json::Value) -> Self {
        let balances: Vec<_> = (1..=6)
            .map(|n| {
                serde_json::json!({
                    "address": addr(n).to_bech32(),
                    "coins": [{"denom": DENOM, "amount": (1000 * OPEN).to_string()}],
                })
            })
            .collect();
        let mut chain = Self::with_genesis(
            serde_json::json!({ "balances": balances }),
            serde_json::Value::Null,
            gov_genesis,
        );
        chain.send(&create_validator(1, 60 * OPEN)).unwrap();
        chain.send(&create_validator(2, 40 * OPEN)).unwrap();
        chain
            .send(&spb::MsgDelegate {
                delegator_address: addr(3).to_bech32(),
                validator_address: valoper(&addr(1)),
                amount: coins(20 * OPEN).pop(),
            })
            .unwrap();
        chain.next_block(5);
        chain
    }

    pub fn keeper(&self) -> &GovKeeper {
        &self.gov.keeper
    }

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

    /// Delivers one message as a transaction would: stateless checks, then the handler.
    pub fn send_any(&mut self, any: &Any) -> Result<MsgResponse, AbciError> {
        self.router.signers(any)?;
        let router = self.router.clone();
        self.run(|c| router.deliver(c, any))
    }

    pub fn send<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        self.send_any(&pack_any(msg))
    }

    /// Delivers without the stateless checks (the handler must refuse bad input by itself).
    pub fn deliver_only<M: prost::Name>(&mut self, msg: &M) -> Result<MsgResponse, AbciError> {
        let any = pack_any(msg);
        let router = self.router.clone();
        self.run(|c| router.deliver(c, &any))
    }

    /// Ends this block (gov, then staking, as in the SDK) and begins the next `seconds` later.
    pub fn next_block(&mut self, seconds: i64) {
        let (gov, staking) = (self.gov.clone(), self.staking.clone());
        self.run(|c| {
            gov.end_block(c)?;
            staking.end_block(c)
        })
        .expect("end block");
        let ended = std::mem::take(&mut self.events);
        self.block.height += 1;
        self.block.time_seconds += seconds;
        self.run(|c| staking.begin_block(c)).expect("begin block");
        self.events = ended;
    }

    /// Runs blocks until the periods that started in this block are over.
    pub fn pass_period(&mut self) {
        self.next_block(PERIOD);
        self.next_block(1);
    }

    pub fn changes(&self) -> Changes {
        self.state.changes().clone()
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.bank.balance_at(&self.state, a, DENOM).unwrap()
    }

    pub fn supply(&self) -> u128 {
        self.bank.supply_at(&self.state, DENOM).unwrap()
    }

    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp, AbciError> {
        self.queries.query(
            &format!("/cosmos.gov.v1.Query/{method}"),
            &self.state as &dyn KvRead,
            req,
        )
    }

    pub fn proposal(&self, id: u64) -> gpb::Proposal {
        let r: gpb::QueryProposalResponse = self
            .query("Proposal", &gpb::QueryProposalRequest { proposal_id: id })
            .unwrap();
        r.proposal.unwrap()
    }

    pub fn tally(&self, id: u64) -> gpb::TallyResult {
        let r: gpb::QueryTallyResultResponse = self
            .query(
                "TallyResult",
                &gpb::QueryTallyResultRequest { proposal_id: id },
            )
            .unwrap();
        r.tally.unwrap()
    }

    pub fn staking_params(&self) -> spb::Params {
        let mut s: &dyn KvRead = &self.state;
        self.staking.keeper.params(&mut s).unwrap()
    }

    pub fn event(&self, kind: &str, key: &str) -> Option<String> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// Submits a proposal from account `proposer` with `deposit` uopen; returns its id.
    pub fn submit(&mut self, proposer: u8, messages: Vec<Any>, deposit: u128) -> u64 {
        let r = self.send(&submit_msg(proposer, messages, deposit)).unwrap();
        let any = r.response.unwrap();
        let resp: gpb::MsgSubmitProposalResponse =
            prost::Message::decode(any.value.as_slice()).unwrap();
        resp.proposal_id
    }

    pub fn vote(&mut self, voter: u8, id: u64, option: gpb::VoteOption) {
        self.send(&gpb::MsgVote {
            proposal_id: id,
            voter: addr(voter).to_bech32(),
            option: option as i32,
            metadata: String::new(),
        })
        .unwrap();
    }

    /// Asserts that `msg` is refused with an error mentioning `want`, through the full path
    /// and through the handler alone, and that nothing changed.
    pub fn refuse<M: prost::Name>(&mut self, msg: &M, want: &str) -> AbciError {
        let before = self.changes();
        let err = self.send(msg).unwrap_err();
        assert!(
            err.message.contains(want),
            "{:?} should mention {want:?}",
            err.message
        );
        let err2 = self.deliver_only(msg).unwrap_err();
        assert!(
            err2.message.contains(want),
            "handler: {:?} should mention {want:?}",
            err2.message
        );
        assert!(self.changes() == before, "a refused message changed state");
        err
    }
}

pub fn submit_msg(proposer: u8, messages: Vec<Any>, deposit: u128) -> gpb::MsgSubmitProposal {
    gpb::MsgSubmitProposal {
        messages,
        initial_deposit: if deposit == 0 { vec![] } else { coins(deposit) },
        proposer: addr(proposer).to_bech32(),
        metadata: String::new(),
        title: "A proposal".into(),
        summary: "It changes something".into(),
        expedited: false,
    }
}

/// Staking `MsgUpdateParams` setting the unbonding time, signed by gov.
pub fn staking_update(unbonding_seconds: i64) -> Any {
    let mut p = openledger_staking::params::default_params();
    p.unbonding_time = Some(cosmrs::proto::tendermint::google::protobuf::Duration {
        seconds: unbonding_seconds,
        nanos: 0,
    });
    pack_any(&spb::MsgUpdateParams {
        authority: gov().to_bech32(),
        params: Some(p),
    })
}

/// Bank `MsgUpdateParams`, signed by gov.
#[allow(deprecated)]
pub fn bank_update(default_send_enabled: bool, send_enabled_denom: Option<&str>) -> Any {
    use cosmrs::proto::cosmos::bank::v1beta1 as bpb;
    pack_any(&bpb::MsgUpdateParams {
        authority: gov().to_bech32(),
        params: Some(bpb::Params {
            send_enabled: send_enabled_denom
                .map(|d| {
                    vec![bpb::SendEnabled {
                        denom: d.into(),
                        enabled: true,
                    }]
                })
                .unwrap_or_default(),
            default_send_enabled,
        }),
    })
}

/// Validator `op` (consensus key `[op; 32]`), commission 0.1 (max 0.2).
pub fn create_validator(op: u8, amount: u128) -> spb::MsgCreateValidator {
    openledger_staking::testutil::create_validator(op, op, amount, "0.1", "0.2")
}
