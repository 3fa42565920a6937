//! The gov module (Cosmos `x/gov` v1 semantics, `cosmos.gov.v1` messages, queries and genesis):
//! proposals carrying messages, deposits held by the gov module account, stake-weighted voting
//! with delegators inheriting their validator's vote, the SDK v0.50 tally (quorum, threshold,
//! veto) and execution of passed proposals' messages as the gov authority.
//!
//! Layout: the keeper's storage and proposal lifecycle in this file, [`tally`], [`msgs`],
//! [`query`], [`genesis`], [`params`], [`math`] (the SDK's `LegacyDec` arithmetic), [`keys`],
//! [`error`].
//!
//! # Wiring (for the application)
//!
//! ```ignore
//! let gov_addr = Address::module(openledger_gov::GOV_MODULE); // the authority of every module
//! let gov = GovModule::new(GovKeeper::new(bank.clone(), staking_keeper.clone(), gov_addr));
//! // after the app's message router exists (gov itself is one of its routes):
//! gov.keeper.set_router(Arc::new(AppRouter { .. }));
//! ```
//!
//! - Module account `"gov"` (= [`GOV_MODULE`], `openledger_auth::GOV_MODULE`) with the
//!   **Burner** permission: it holds every deposit and burns them per params. It must not be a
//!   blocked address for bank's module sends (gov uses `send_to_module`/`send_from_module`).
//! - [`MsgRouter`]: implement it over the app's message router. `signers` is the stateless
//!   check of a message (the router's `validate`: it must fail for unknown type URLs and
//!   malformed messages); `deliver` runs it (the router's `deliver`). Install it once
//!   with [`GovKeeper::set_router`]; every clone of the keeper sees it. Without a router,
//!   proposals with messages are refused and passed ones fail.
//! - Module order: genesis after bank and staking (gov's genesis checks that the gov account's
//!   balance equals the deposits); `end_block` before staking's, as in the SDK (proposals end
//!   against the validator set of this block). No begin block, no hooks to install.
//! - FinalizeBlock must provide the block time (`ctx.block.time_seconds/nanos`): deposit and
//!   voting periods are measured in it. End block runs with an infinite gas meter.
//! - Queries: `/cosmos.gov.v1.Query/*` via [`Module::register_queries`].
//!
//! Deviations from the SDK, on purpose: expedited proposals and `MsgCancelProposal` are not
//! supported (refused with a clear error); `MsgExecLegacyContent` is not routed; in genesis
//! JSON a proposal's messages are `{"@type": url, "value": base64(protobuf)}` since gov cannot
//! know every message's JSON form.

pub mod error;
pub mod genesis;
pub mod keys;
pub mod math;
pub mod msgs;
pub mod params;
pub mod query;
pub mod tally;

use std::sync::{Arc, OnceLock};

use cosmrs::Any;
use cosmrs::proto::cosmos::gov::v1 as pb;
use openledger_bank::BankKeeper;
use openledger_framework::{
    AbciError, Address, Coin, Coins, Ctx, Dec, Event, KvRead, Module, MsgResponse,
    MsgServiceRouter, QueryRouter, Result, StateRead, read_proto,
};
use openledger_staking::{StakingKeeper, Time};
use prost::Message;

pub use error::GovError;
pub use params::GovParams;
pub use pb::{ProposalStatus, VoteOption};
pub use tally::TallyOutcome;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// The gov module account: holds deposits, is the authority of every module's params.
pub const GOV_MODULE: &str = "gov";
/// Limits of the SDK's default gov config.
pub const MAX_METADATA_LEN: usize = 255;
pub const MAX_TITLE_LEN: usize = 255;
pub const MAX_SUMMARY_LEN: usize = 10_200;

/// What gov needs from the application's message router: the stateless check of a message
/// (returning its signers) and its execution. Declared here because gov is itself a route of
/// that router.
pub trait MsgRouter: Send + Sync {
    /// Stateless checks of `msg`; its signers. Fails for unknown type URLs and bad messages.
    fn signers(&self, msg: &Any) -> Result<Vec<Address>>;
    /// Executes `msg` (already checked by `signers`).
    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> Result<MsgResponse>;
}

fn corrupt(m: String) -> GovError {
    GovError::Corrupt(m)
}

fn load<M: Message + Default>(r: &mut impl StateRead, key: &str) -> Result<Option<M>> {
    read_proto(r, key, corrupt)
}

fn decode_all<M: Message + Default>(items: Vec<(String, Vec<u8>)>) -> Result<Vec<M>> {
    items
        .into_iter()
        .map(|(k, v)| M::decode(v.as_slice()).map_err(|e| corrupt(format!("{k}: {e}")).into()))
        .collect()
}

/// The status of a stored proposal.
pub fn status_of(p: &pb::Proposal) -> Result<ProposalStatus> {
    ProposalStatus::try_from(p.status)
        .map_err(|_| corrupt(format!("proposal {}: status {}", p.id, p.status)).into())
}

pub(crate) fn now(ctx: &Ctx<'_>) -> Time {
    Time::new(ctx.block.time_seconds, ctx.block.time_nanos as i32)
}

fn stored_coins(what: &str, c: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Result<Coins> {
    Coins::from_proto(c).map_err(|e| corrupt(format!("{what}: {e}")).into())
}

/// `a ≥ b` in every denom of `b` (the SDK's `IsAllGTE`).
pub(crate) fn all_gte(a: &Coins, b: &Coins) -> bool {
    b.iter().all(|c| a.amount_of(&c.denom) >= c.amount)
}

/// Keeper of proposals, deposits and votes: the only way into gov state.
#[derive(Clone)]
pub struct GovKeeper {
    bank: BankKeeper,
    staking: StakingKeeper,
    authority: Address,
    router: Arc<OnceLock<Arc<dyn MsgRouter>>>,
}

impl GovKeeper {
    /// `authority` is the gov module account's address (`Address::module("gov")`): the only
    /// signer allowed for `MsgUpdateParams` and for the messages of a proposal.
    pub fn new(bank: BankKeeper, staking: StakingKeeper, authority: Address) -> Self {
        Self {
            bank,
            staking,
            authority,
            router: Arc::new(OnceLock::new()),
        }
    }

    /// Installs the message router, once; every clone sees it. False if one was already set.
    pub fn set_router(&self, router: Arc<dyn MsgRouter>) -> bool {
        self.router.set(router).is_ok()
    }

    pub fn router(&self) -> Option<&Arc<dyn MsgRouter>> {
        self.router.get()
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn bank(&self) -> &BankKeeper {
        &self.bank
    }

    pub fn staking(&self) -> &StakingKeeper {
        &self.staking
    }

    // --- params, constitution, ids ---

    pub fn params(&self, r: &mut impl StateRead) -> Result<pb::Params> {
        Ok(load(r, keys::params())?.unwrap_or_else(params::default_params))
    }

    pub fn gov_params(&self, r: &mut impl StateRead) -> Result<GovParams> {
        let p = self.params(r)?;
        params::parse(&p).map_err(|e| corrupt(format!("stored params: {e}")).into())
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &pb::Params) -> Result<()> {
        params::validate(p)?;
        ctx.set(keys::params().into(), p.encode_to_vec())
    }

    pub fn constitution(&self, r: &mut impl StateRead) -> Result<String> {
        match r.read(keys::constitution())? {
            None => Ok(String::new()),
            Some(b) => {
                String::from_utf8(b).map_err(|e| corrupt(format!("constitution: {e}")).into())
            }
        }
    }

    pub fn set_constitution(&self, ctx: &mut Ctx<'_>, c: &str) -> Result<()> {
        ctx.set(keys::constitution().into(), c.as_bytes().to_vec())
    }

    /// The id the next proposal gets (1 on a new chain).
    pub fn next_proposal_id(&self, r: &mut impl StateRead) -> Result<u64> {
        match r.read(keys::next_proposal_id())? {
            None => Ok(1),
            Some(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| corrupt("next proposal id".into()).into()),
        }
    }

    pub(crate) fn set_next_proposal_id(&self, ctx: &mut Ctx<'_>, id: u64) -> Result<()> {
        ctx.set(keys::next_proposal_id().into(), id.to_string().into_bytes())
    }

    // --- proposals, deposits, votes ---

    pub fn proposal(&self, r: &mut impl StateRead, id: u64) -> Result<Option<pb::Proposal>> {
        load(r, &keys::proposal(id))
    }

    pub fn must_proposal(&self, r: &mut impl StateRead, id: u64) -> Result<pb::Proposal> {
        self.proposal(r, id)?
            .ok_or_else(|| GovError::UnknownProposal(id).into())
    }

    /// Every proposal, by id.
    pub fn proposals(&self, r: &mut impl StateRead) -> Result<Vec<pb::Proposal>> {
        decode_all(r.read_prefix(keys::all_proposals())?)
    }

    pub(crate) fn set_proposal(&self, ctx: &mut Ctx<'_>, p: &pb::Proposal) -> Result<()> {
        ctx.set(keys::proposal(p.id), p.encode_to_vec())
    }

    pub fn deposit(
        &self,
        r: &mut impl StateRead,
        id: u64,
        depositor: &Address,
    ) -> Result<Option<pb::Deposit>> {
        load(r, &keys::deposit(id, depositor))
    }

    /// The deposits on a proposal, by depositor address.
    pub fn deposits(&self, r: &mut impl StateRead, id: u64) -> Result<Vec<pb::Deposit>> {
        decode_all(r.read_prefix(&keys::deposits_of(id))?)
    }

    pub fn all_deposits(&self, r: &mut impl StateRead) -> Result<Vec<pb::Deposit>> {
        decode_all(r.read_prefix(keys::all_deposits())?)
    }

    pub fn vote(
        &self,
        r: &mut impl StateRead,
        id: u64,
        voter: &Address,
    ) -> Result<Option<pb::Vote>> {
        load(r, &keys::vote(id, voter))
    }

    /// The votes on a proposal, by voter address (deleted once the proposal is tallied, as
    /// in the SDK).
    pub fn votes(&self, r: &mut impl StateRead, id: u64) -> Result<Vec<pb::Vote>> {
        decode_all(r.read_prefix(&keys::votes_of(id))?)
    }

    pub fn all_votes(&self, r: &mut impl StateRead) -> Result<Vec<pb::Vote>> {
        decode_all(r.read_prefix(keys::all_votes())?)
    }

    /// Tally of a proposal's current votes (reads only).
    pub fn tally(&self, r: &mut impl StateRead, id: u64) -> Result<TallyOutcome> {
        let p = self.gov_params(r)?;
        tally::tally(self, r, id, &p)
    }

    // --- submit ---

    /// Checks that every message routes and is signed by the gov account alone.
    pub fn check_proposal_messages(&self, msgs: &[Any]) -> Result<()> {
        if msgs.is_empty() {
            return Ok(());
        }
        let router = self.router().ok_or_else(|| {
            GovError::UnroutableProposalMsg("the gov message router is not set".into())
        })?;
        for (i, msg) in msgs.iter().enumerate() {
            let signers = router.signers(msg).map_err(|e| {
                if e.codespace == "sdk" && e.code == 6 {
                    GovError::UnroutableProposalMsg(format!("msg {i} ({}): {e}", msg.type_url))
                } else {
                    GovError::InvalidProposalMsg(format!("msg {i} ({}): {e}", msg.type_url))
                }
            })?;
            if signers.as_slice() != [self.authority] {
                let got: Vec<String> = signers.iter().map(Address::to_bech32).collect();
                return Err(GovError::InvalidSigner(format!(
                    "msg {i} ({}) is signed by [{}], expected {}",
                    msg.type_url,
                    got.join(", "),
                    self.authority
                ))
                .into());
            }
        }
        Ok(())
    }

    /// Creates a proposal in its deposit period and takes the initial deposit; returns its id.
    pub fn submit_proposal(&self, ctx: &mut Ctx<'_>, msg: &pb::MsgSubmitProposal) -> Result<u64> {
        let proposer = msgs::parse_address("proposer", &msg.proposer)?;
        let initial = msgs::check_submit(msg)?;
        self.check_proposal_messages(&msg.messages)?;
        let params = self.gov_params(ctx)?;
        validate_deposit_denoms(&params, &initial)?;
        // The initial deposit must be at least min_deposit × min_initial_deposit_ratio.
        if !params.min_initial_deposit_ratio.is_zero() {
            let mut need = Vec::new();
            for c in params.min_deposit.iter() {
                let amount = math::round_int(
                    math::mul(
                        math::int_dec(c.amount)
                            .ok_or_else(|| GovError::Overflow("min deposit".into()))?,
                        params.min_initial_deposit_ratio,
                    )
                    .ok_or_else(|| GovError::Overflow("min initial deposit".into()))?,
                );
                if amount > 0 {
                    need.push(Coin::new(amount, c.denom.clone()));
                }
            }
            let need = Coins::from_vec(need)?;
            if !all_gte(&initial, &need) {
                return Err(GovError::MinDepositTooSmall(format!(
                    "initial deposit was ({initial}), need ({need}): min_initial_deposit_ratio is {}",
                    params.min_initial_deposit_ratio
                ))
                .into());
            }
        }

        let id = self.next_proposal_id(ctx)?;
        let submit = now(ctx);
        let deposit_end = submit.plus(params.max_deposit_period);
        let proposal = pb::Proposal {
            id,
            messages: msg.messages.clone(),
            status: ProposalStatus::DepositPeriod as i32,
            final_tally_result: Some(tally::empty_result()),
            submit_time: Some(submit.to_proto()),
            deposit_end_time: Some(deposit_end.to_proto()),
            total_deposit: Vec::new(),
            voting_start_time: None,
            voting_end_time: None,
            metadata: msg.metadata.clone(),
            title: msg.title.clone(),
            summary: msg.summary.clone(),
            proposer: msg.proposer.clone(),
            expedited: false,
            failed_reason: String::new(),
        };
        self.set_proposal(ctx, &proposal)?;
        ctx.set(keys::inactive_queue(&deposit_end.key(), id), Vec::new())?;
        self.set_next_proposal_id(
            ctx,
            id.checked_add(1)
                .ok_or_else(|| GovError::Overflow("proposal id".into()))?,
        )?;
        let mut urls = String::new();
        for m in &msg.messages {
            urls.push(',');
            urls.push_str(&m.type_url);
        }
        ctx.emit(
            Event::new("submit_proposal")
                .attr("proposal_id", id.to_string())
                .attr("proposal_proposer", msg.proposer.clone())
                .attr("proposal_messages", urls),
        );
        if !initial.is_empty() {
            let started = self.add_deposit(ctx, id, &proposer, &initial)?;
            if started {
                ctx.emit(Event::new("submit_proposal").attr("voting_period_start", id.to_string()));
            }
        }
        Ok(id)
    }

    // --- deposits ---

    /// Adds a deposit (held by the gov account); starts the voting period when the total
    /// reaches the minimum. Returns whether it did.
    pub fn add_deposit(
        &self,
        ctx: &mut Ctx<'_>,
        id: u64,
        depositor: &Address,
        amount: &Coins,
    ) -> Result<bool> {
        let mut p = self.must_proposal(ctx, id)?;
        let status = status_of(&p)?;
        if status != ProposalStatus::DepositPeriod && status != ProposalStatus::VotingPeriod {
            return Err(GovError::ClosedForDeposits(id).into());
        }
        if amount.is_empty() {
            return Err(GovError::InvalidCoins("deposit amount must not be empty".into()).into());
        }
        let params = self.gov_params(ctx)?;
        validate_deposit_denoms(&params, amount)?;
        // Each deposit must reach min_deposit × min_deposit_ratio in one of the denoms.
        if !params.min_deposit_ratio.is_zero() {
            let mut need = Vec::new();
            for c in params.min_deposit.iter() {
                let amt = math::mul_int(params.min_deposit_ratio, c.amount)
                    .and_then(|w| w.div_rem_u128(Dec::ONE.atomics()))
                    .and_then(|(q, _)| q.to_u128())
                    .ok_or_else(|| GovError::Overflow("min deposit".into()))?;
                if amt > 0 {
                    need.push(Coin::new(amt, c.denom.clone()));
                }
            }
            if !need.is_empty() && !need.iter().any(|c| amount.amount_of(&c.denom) >= c.amount) {
                let need = Coins::from_vec(need)?;
                return Err(GovError::MinDepositTooSmall(format!(
                    "received {amount} but need at least one of the following: {need}"
                ))
                .into());
            }
        }

        self.bank
            .send_to_module(ctx, depositor, GOV_MODULE, amount)?;
        let total = stored_coins("total deposit", &p.total_deposit)?.checked_add(amount)?;
        p.total_deposit = total.to_proto();
        let mut started = false;
        if status == ProposalStatus::DepositPeriod && all_gte(&total, &params.min_deposit) {
            let start = now(ctx);
            let end = start.plus(params.voting_period);
            let deposit_end = Time::from_proto(p.deposit_end_time.as_ref());
            ctx.delete(keys::inactive_queue(&deposit_end.key(), id))?;
            ctx.set(keys::active_queue(&end.key(), id), Vec::new())?;
            p.status = ProposalStatus::VotingPeriod as i32;
            p.voting_start_time = Some(start.to_proto());
            p.voting_end_time = Some(end.to_proto());
            started = true;
        }
        self.set_proposal(ctx, &p)?;

        let previous = match self.deposit(ctx, id, depositor)? {
            Some(d) => stored_coins("deposit", &d.amount)?,
            None => Coins::new(),
        };
        let deposit = pb::Deposit {
            proposal_id: id,
            depositor: depositor.to_bech32(),
            amount: previous.checked_add(amount)?.to_proto(),
        };
        ctx.set(keys::deposit(id, depositor), deposit.encode_to_vec())?;
        ctx.emit(
            Event::new("proposal_deposit")
                .attr("amount", amount.to_string())
                .attr("proposal_id", id.to_string())
                .attr("depositor", depositor.to_bech32()),
        );
        Ok(started)
    }

    /// Burns (`burn`) or refunds every deposit on a proposal and deletes them.
    fn settle_deposits(&self, ctx: &mut Ctx<'_>, id: u64, burn: bool) -> Result<()> {
        let mut total = Coins::new();
        for (k, v) in ctx.prefix(&keys::deposits_of(id))? {
            let d = pb::Deposit::decode(v.as_slice()).map_err(|e| corrupt(format!("{k}: {e}")))?;
            let amount = stored_coins(&k, &d.amount)?;
            if !burn && !amount.is_empty() {
                let to = msgs::parse_address("depositor", &d.depositor)
                    .map_err(|e| corrupt(format!("{k}: {e}")))?;
                self.bank.send_from_module(ctx, GOV_MODULE, &to, &amount)?;
            }
            total = total.checked_add(&amount)?;
            ctx.delete(k)?;
        }
        if burn && !total.is_empty() {
            self.bank.burn(ctx, GOV_MODULE, &total)?;
        }
        Ok(())
    }

    // --- votes ---

    /// Records (or replaces) a vote; only in the voting period.
    pub fn add_vote(
        &self,
        ctx: &mut Ctx<'_>,
        id: u64,
        voter: &Address,
        options: &[pb::WeightedVoteOption],
        metadata: &str,
    ) -> Result<()> {
        let options = msgs::normalize_options(options)?;
        if metadata.len() > MAX_METADATA_LEN {
            return Err(GovError::MetadataTooLong {
                len: metadata.len(),
                max: MAX_METADATA_LEN,
            }
            .into());
        }
        let p = self.must_proposal(ctx, id)?;
        if status_of(&p)? != ProposalStatus::VotingPeriod {
            return Err(GovError::InactiveProposal(id).into());
        }
        let vote = pb::Vote {
            proposal_id: id,
            voter: voter.to_bech32(),
            options: options.clone(),
            metadata: metadata.to_string(),
        };
        ctx.set(keys::vote(id, voter), vote.encode_to_vec())?;
        ctx.emit(
            Event::new("proposal_vote")
                .attr("voter", voter.to_bech32())
                .attr("option", msgs::options_json(&options))
                .attr("proposal_id", id.to_string()),
        );
        Ok(())
    }

    // --- end block ---

    /// Ends the deposit periods and voting periods that are over at this block's time.
    pub fn end_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        let now_key = now(ctx).key();
        let params = self.gov_params(ctx)?;

        for (k, _) in ctx.prefix(keys::inactive_queue_all())? {
            let (time, id) = keys::parse_queue_key(keys::inactive_queue_all(), &k)
                .ok_or_else(|| corrupt(format!("{k}: bad queue key")))?;
            if time > now_key.as_str() {
                break;
            }
            ctx.delete(k.clone())?;
            ctx.delete(keys::proposal(id))?;
            self.settle_deposits(ctx, id, params.burn_proposal_deposit_prevote)?;
            ctx.emit(
                Event::new("inactive_proposal")
                    .attr("proposal_id", id.to_string())
                    .attr("proposal_result", "proposal_dropped"),
            );
        }

        for (k, _) in ctx.prefix(keys::active_queue_all())? {
            let (time, id) = keys::parse_queue_key(keys::active_queue_all(), &k)
                .ok_or_else(|| corrupt(format!("{k}: bad queue key")))?;
            if time > now_key.as_str() {
                break;
            }
            let mut p = self.must_proposal(ctx, id)?;
            let outcome = tally::tally(self, ctx, id, &params)?;
            for (vk, _) in ctx.prefix(&keys::votes_of(id))? {
                ctx.delete(vk)?;
            }
            self.settle_deposits(ctx, id, outcome.burn_deposits)?;

            let (status, result, log) = if outcome.passes {
                match self.execute(ctx, &p.messages) {
                    Ok(()) => (
                        ProposalStatus::Passed,
                        "proposal_passed",
                        "passed".to_string(),
                    ),
                    Err(reason) => {
                        p.failed_reason = reason.clone();
                        (ProposalStatus::Failed, "proposal_failed", reason)
                    }
                }
            } else {
                (
                    ProposalStatus::Rejected,
                    "proposal_rejected",
                    "rejected".to_string(),
                )
            };
            p.status = status as i32;
            p.final_tally_result = Some(outcome.result);
            self.set_proposal(ctx, &p)?;
            ctx.delete(k)?;
            ctx.emit(
                Event::new("active_proposal")
                    .attr("proposal_id", id.to_string())
                    .attr("proposal_result", result)
                    .attr("proposal_log", log),
            );
        }
        Ok(())
    }

    /// Runs a passed proposal's messages in one branch: all of them take effect, or none.
    /// Returns why it failed.
    fn execute(&self, ctx: &mut Ctx<'_>, messages: &[Any]) -> std::result::Result<(), String> {
        if messages.is_empty() {
            return Ok(());
        }
        let Some(router) = self.router().cloned() else {
            return Err("passed, but the gov message router is not set".into());
        };
        let authority = self.authority;
        ctx.branch(|c| {
            for (i, msg) in messages.iter().enumerate() {
                let fail = |e: AbciError| {
                    format!(
                        "passed, but msg {i} ({}) failed on execution: {e}",
                        msg.type_url
                    )
                };
                let signers = router.signers(msg).map_err(fail)?;
                if signers.as_slice() != [authority] {
                    return Err(fail(
                        GovError::InvalidSigner(format!("msg {i} is not signed by gov")).into(),
                    ));
                }
                router.deliver(c, msg).map_err(fail)?;
            }
            Ok(())
        })
    }
}

/// Deposits may only be in the denoms of `min_deposit`.
fn validate_deposit_denoms(params: &GovParams, amount: &Coins) -> Result<()> {
    for c in amount.iter() {
        if params.min_deposit.amount_of(&c.denom) == 0 {
            let accepted: Vec<&str> = params
                .min_deposit
                .iter()
                .map(|c| c.denom.as_str())
                .collect();
            return Err(GovError::InvalidDepositDenom(format!(
                "deposited {amount}, but gov accepts only the following denom(s): [{}]",
                accepted.join(" ")
            ))
            .into());
        }
    }
    Ok(())
}

/// The gov module as the application drives it.
#[derive(Clone)]
pub struct GovModule {
    pub keeper: GovKeeper,
}

impl GovModule {
    pub fn new(keeper: GovKeeper) -> Self {
        Self { keeper }
    }
}

impl Module for GovModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<()> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn end_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        self.keeper.end_block(ctx)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
