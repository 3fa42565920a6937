//! Gov's tests run on the shared [`TestChain`], its router over the real bank, staking and gov
//! modules (gov executes proposals through it, as through the app's router) and gov's end block
//! before staking's; this adds the proposal helpers.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use cosmrs::Any;
use cosmrs::proto::cosmos::gov::v1 as gpb;
use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_bank::BankModule;
use openledger_framework::{AbciError, Address, Ctx, MsgResponse, MsgServiceRouter, pack_any};
use openledger_gov::{GovKeeper, GovModule, MsgRouter};
use openledger_staking::testutil::{TestChain, bank, bank_genesis};
use openledger_staking::{StakingKeeper, StakingModule, valoper};

#[allow(unused_imports)] // Each test file uses its own share.
pub use openledger_staking::testutil::{Accounts, DENOM, OPEN, addr, coins, gov};

/// Voting and deposit periods of the test chain.
pub const PERIOD: i64 = 100;

/// The chain's router, as gov sees the app's.
struct TestRouter(Arc<MsgServiceRouter>);

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
    chain: TestChain,
    pub gov: GovModule,
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
    pub fn with_genesis(
        bank_genesis: serde_json::Value,
        staking_genesis: serde_json::Value,
        gov_genesis: serde_json::Value,
    ) -> Self {
        let bank = bank(&[]);
        let staking = StakingModule::new(StakingKeeper::new(bank.clone(), gov()));
        let gov_module =
            GovModule::new(GovKeeper::new(bank.clone(), staking.keeper.clone(), gov()));
        let mut chain = TestChain::new(
            bank.clone(),
            staking.clone(),
            &[&BankModule::new(bank), &staking, &gov_module],
            "cosmos.gov.v1.Query",
        )
        .with_end_blockers(vec![
            Arc::new(gov_module.clone()),
            Arc::new(staking.clone()),
        ]);
        assert!(
            gov_module
                .keeper
                .set_router(Arc::new(TestRouter(chain.router.clone())))
        );
        chain.init_genesis(
            &bank_genesis,
            &[(&staking, &staking_genesis), (&gov_module, &gov_genesis)],
        );
        Self {
            chain,
            gov: gov_module,
        }
    }

    /// Accounts 1..=6 with 1000 OPEN; validator 1 self-bonds 60 OPEN, validator 2 40 OPEN,
    /// account 3 delegates 20 OPEN to validator 1; all bonded. Total bonded: 120 OPEN.
    pub fn new(gov_genesis: serde_json::Value) -> Self {
        let mut chain = Self::with_genesis(
            bank_genesis(6, 1000 * OPEN),
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

    /// Ends this block (gov, then staking, as in the SDK) and begins the next `seconds` later;
    /// the events kept are the block end's.
    pub fn next_block(&mut self, seconds: i64) {
        self.end_block();
        let ended = std::mem::take(&mut self.events);
        self.begin_block(seconds, Vec::new(), Vec::new());
        self.events = ended;
    }

    /// Runs blocks until the periods that started in this block are over.
    pub fn pass_period(&mut self) {
        self.next_block(PERIOD);
        self.next_block(1);
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
        self.staking_keeper().params(&mut &self.state).unwrap()
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
        let before = self.snapshot();
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
        assert!(self.snapshot() == before, "a refused message changed state");
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
