//! `app_state.gov` in genesis.json, in the Cosmos SDK v0.50 JSON shape:
//! `{"starting_proposal_id": "1", "deposits": [], "votes": [], "proposals": [],
//! "deposit_params": null, "voting_params": null, "tally_params": null, "params": {...},
//! "constitution": ""}` — integers as strings, decimals as `"0.334000000000000000"`, durations
//! as `"172800s"`, times in RFC 3339, enums by name. A proposal's messages are
//! `{"@type": type_url, "value": base64(protobuf bytes)}` (gov cannot know every message's
//! JSON form). The gov account's balance must equal the sum of the deposits.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cosmrs::Any;
use cosmrs::proto::cosmos::gov::v1 as pb;
use cosmrs::proto::tendermint::google::protobuf::{Duration, Timestamp};
use openledger_framework::{Address, Coin, Coins, Ctx, KvRead, Result};
use openledger_staking::Time;
use openledger_staking::genesis::{format_duration, format_time, parse_duration, parse_time};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::msgs::{normalize_options, parse_address};
use crate::{GOV_MODULE, GovError, GovKeeper, ProposalStatus, VoteOption, keys, params};

fn err(e: impl std::fmt::Display) -> GovError {
    GovError::InvalidGenesis(e.to_string())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default = "one")]
    pub starting_proposal_id: String,
    #[serde(default)]
    pub deposits: Vec<DepositJson>,
    #[serde(default)]
    pub votes: Vec<VoteJson>,
    #[serde(default)]
    pub proposals: Vec<ProposalJson>,
    #[serde(default)]
    pub deposit_params: Option<serde_json::Value>,
    #[serde(default)]
    pub voting_params: Option<serde_json::Value>,
    #[serde(default)]
    pub tally_params: Option<serde_json::Value>,
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub constitution: String,
}

impl Default for GenesisState {
    fn default() -> Self {
        Self {
            starting_proposal_id: one(),
            deposits: Vec::new(),
            votes: Vec::new(),
            proposals: Vec::new(),
            deposit_params: None,
            voting_params: None,
            tally_params: None,
            params: None,
            constitution: String::new(),
        }
    }
}

fn one() -> String {
    "1".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamsJson {
    pub min_deposit: Vec<Coin>,
    pub max_deposit_period: String,
    pub voting_period: String,
    pub quorum: String,
    pub threshold: String,
    pub veto_threshold: String,
    #[serde(default = "zero_dec")]
    pub min_initial_deposit_ratio: String,
    #[serde(default = "zero_dec")]
    pub proposal_cancel_ratio: String,
    #[serde(default)]
    pub proposal_cancel_dest: String,
    pub expedited_voting_period: String,
    pub expedited_threshold: String,
    pub expedited_min_deposit: Vec<Coin>,
    #[serde(default)]
    pub burn_vote_quorum: bool,
    #[serde(default)]
    pub burn_proposal_deposit_prevote: bool,
    #[serde(default)]
    pub burn_vote_veto: bool,
    #[serde(default = "zero_dec")]
    pub min_deposit_ratio: String,
}

fn zero_dec() -> String {
    "0.000000000000000000".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositJson {
    pub proposal_id: String,
    pub depositor: String,
    pub amount: Vec<Coin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedVoteOptionJson {
    pub option: String,
    pub weight: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteJson {
    pub proposal_id: String,
    pub voter: String,
    pub options: Vec<WeightedVoteOptionJson>,
    #[serde(default)]
    pub metadata: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnyJson {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TallyJson {
    pub yes_count: String,
    pub abstain_count: String,
    pub no_count: String,
    pub no_with_veto_count: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalJson {
    pub id: String,
    #[serde(default)]
    pub messages: Vec<AnyJson>,
    pub status: String,
    #[serde(default)]
    pub final_tally_result: Option<TallyJson>,
    #[serde(default)]
    pub submit_time: Option<String>,
    #[serde(default)]
    pub deposit_end_time: Option<String>,
    #[serde(default)]
    pub total_deposit: Vec<Coin>,
    #[serde(default)]
    pub voting_start_time: Option<String>,
    #[serde(default)]
    pub voting_end_time: Option<String>,
    #[serde(default)]
    pub metadata: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub proposer: String,
    #[serde(default)]
    pub expedited: bool,
    #[serde(default)]
    pub failed_reason: String,
}

// --- conversions ---

fn duration_to_json(d: Option<&Duration>) -> String {
    format_duration(d.map_or((0, 0), |d| (d.seconds, d.nanos)))
}

fn duration_from_json(s: &str) -> std::result::Result<Option<Duration>, GovError> {
    let (seconds, nanos) = parse_duration(s).map_err(err)?;
    Ok(Some(Duration { seconds, nanos }))
}

fn time_to_json(t: Option<&Timestamp>) -> Option<String> {
    t.map(|t| format_time(Time::new(t.seconds, t.nanos)))
}

fn time_from_json(s: Option<&String>) -> std::result::Result<Option<Timestamp>, GovError> {
    s.map(|s| parse_time(s).map(Time::to_proto).map_err(err))
        .transpose()
}

fn coins_to_json(c: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Vec<Coin> {
    c.iter()
        .map(|c| Coin {
            denom: c.denom.clone(),
            amount: c.amount.parse().unwrap_or_default(),
        })
        .collect()
}

fn coins_from_json(what: &str, c: &[Coin]) -> std::result::Result<Coins, GovError> {
    Coins::from_vec(c.to_vec()).map_err(|e| err(format!("{what}: {e}")))
}

fn id_from_json(what: &str, s: &str) -> std::result::Result<u64, GovError> {
    s.parse().map_err(|_| err(format!("invalid {what} {s:?}")))
}

pub fn params_to_json(p: &pb::Params) -> ParamsJson {
    ParamsJson {
        min_deposit: coins_to_json(&p.min_deposit),
        max_deposit_period: duration_to_json(p.max_deposit_period.as_ref()),
        voting_period: duration_to_json(p.voting_period.as_ref()),
        quorum: p.quorum.clone(),
        threshold: p.threshold.clone(),
        veto_threshold: p.veto_threshold.clone(),
        min_initial_deposit_ratio: p.min_initial_deposit_ratio.clone(),
        proposal_cancel_ratio: p.proposal_cancel_ratio.clone(),
        proposal_cancel_dest: p.proposal_cancel_dest.clone(),
        expedited_voting_period: duration_to_json(p.expedited_voting_period.as_ref()),
        expedited_threshold: p.expedited_threshold.clone(),
        expedited_min_deposit: coins_to_json(&p.expedited_min_deposit),
        burn_vote_quorum: p.burn_vote_quorum,
        burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
        burn_vote_veto: p.burn_vote_veto,
        min_deposit_ratio: p.min_deposit_ratio.clone(),
    }
}

pub fn params_from_json(j: &ParamsJson) -> std::result::Result<pb::Params, GovError> {
    let p = pb::Params {
        min_deposit: coins_from_json("min deposit", &j.min_deposit)?.to_proto(),
        max_deposit_period: duration_from_json(&j.max_deposit_period)?,
        voting_period: duration_from_json(&j.voting_period)?,
        quorum: j.quorum.clone(),
        threshold: j.threshold.clone(),
        veto_threshold: j.veto_threshold.clone(),
        min_initial_deposit_ratio: j.min_initial_deposit_ratio.clone(),
        proposal_cancel_ratio: j.proposal_cancel_ratio.clone(),
        proposal_cancel_dest: j.proposal_cancel_dest.clone(),
        expedited_voting_period: duration_from_json(&j.expedited_voting_period)?,
        expedited_threshold: j.expedited_threshold.clone(),
        expedited_min_deposit: coins_from_json("expedited min deposit", &j.expedited_min_deposit)?
            .to_proto(),
        burn_vote_quorum: j.burn_vote_quorum,
        burn_proposal_deposit_prevote: j.burn_proposal_deposit_prevote,
        burn_vote_veto: j.burn_vote_veto,
        min_deposit_ratio: j.min_deposit_ratio.clone(),
    };
    params::validate(&p).map_err(err)?;
    Ok(p)
}

fn status_name(status: i32) -> String {
    ProposalStatus::try_from(status)
        .unwrap_or(ProposalStatus::Unspecified)
        .as_str_name()
        .to_string()
}

pub fn proposal_to_json(p: &pb::Proposal) -> ProposalJson {
    ProposalJson {
        id: p.id.to_string(),
        messages: p
            .messages
            .iter()
            .map(|m| AnyJson {
                type_url: m.type_url.clone(),
                value: B64.encode(&m.value),
            })
            .collect(),
        status: status_name(p.status),
        final_tally_result: p.final_tally_result.as_ref().map(|t| TallyJson {
            yes_count: t.yes_count.clone(),
            abstain_count: t.abstain_count.clone(),
            no_count: t.no_count.clone(),
            no_with_veto_count: t.no_with_veto_count.clone(),
        }),
        submit_time: time_to_json(p.submit_time.as_ref()),
        deposit_end_time: time_to_json(p.deposit_end_time.as_ref()),
        total_deposit: coins_to_json(&p.total_deposit),
        voting_start_time: time_to_json(p.voting_start_time.as_ref()),
        voting_end_time: time_to_json(p.voting_end_time.as_ref()),
        metadata: p.metadata.clone(),
        title: p.title.clone(),
        summary: p.summary.clone(),
        proposer: p.proposer.clone(),
        expedited: p.expedited,
        failed_reason: p.failed_reason.clone(),
    }
}

fn count(what: &str, s: &str) -> std::result::Result<String, GovError> {
    s.parse::<u128>()
        .map(|n| n.to_string())
        .map_err(|_| err(format!("invalid {what} {s:?}")))
}

pub fn proposal_from_json(j: &ProposalJson) -> std::result::Result<pb::Proposal, GovError> {
    let id = id_from_json("proposal id", &j.id)?;
    let status = ProposalStatus::from_str_name(&j.status)
        .filter(|s| *s != ProposalStatus::Unspecified)
        .ok_or_else(|| err(format!("proposal {id}: invalid status {:?}", j.status)))?;
    if j.expedited {
        return Err(err(format!(
            "proposal {id}: expedited proposals are not supported"
        )));
    }
    let messages = j
        .messages
        .iter()
        .map(|m| {
            Ok(Any {
                type_url: m.type_url.clone(),
                value: B64
                    .decode(&m.value)
                    .map_err(|e| err(format!("proposal {id}: message {}: {e}", m.type_url)))?,
            })
        })
        .collect::<std::result::Result<_, GovError>>()?;
    let final_tally_result = j
        .final_tally_result
        .as_ref()
        .map(|t| {
            Ok::<_, GovError>(pb::TallyResult {
                yes_count: count("yes count", &t.yes_count)?,
                abstain_count: count("abstain count", &t.abstain_count)?,
                no_count: count("no count", &t.no_count)?,
                no_with_veto_count: count("no with veto count", &t.no_with_veto_count)?,
            })
        })
        .transpose()?;
    if !j.proposer.is_empty() {
        parse_address("proposer", &j.proposer).map_err(err)?;
    }
    Ok(pb::Proposal {
        id,
        messages,
        status: status as i32,
        final_tally_result,
        submit_time: time_from_json(j.submit_time.as_ref())?,
        deposit_end_time: time_from_json(j.deposit_end_time.as_ref())?,
        total_deposit: coins_from_json("total deposit", &j.total_deposit)?.to_proto(),
        voting_start_time: time_from_json(j.voting_start_time.as_ref())?,
        voting_end_time: time_from_json(j.voting_end_time.as_ref())?,
        metadata: j.metadata.clone(),
        title: j.title.clone(),
        summary: j.summary.clone(),
        proposer: j.proposer.clone(),
        expedited: false,
        failed_reason: j.failed_reason.clone(),
    })
}

pub fn vote_to_json(v: &pb::Vote) -> VoteJson {
    VoteJson {
        proposal_id: v.proposal_id.to_string(),
        voter: v.voter.clone(),
        options: v
            .options
            .iter()
            .map(|o| WeightedVoteOptionJson {
                option: VoteOption::try_from(o.option)
                    .unwrap_or(VoteOption::Unspecified)
                    .as_str_name()
                    .to_string(),
                weight: o.weight.clone(),
            })
            .collect(),
        metadata: v.metadata.clone(),
    }
}

// --- init / export ---

pub fn init(keeper: &GovKeeper, ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<()> {
    let state: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(err)?
    };
    let p = match &state.params {
        Some(j) => params_from_json(j)?,
        None => params::default_params(),
    };
    keeper.set_params(ctx, &p)?;
    let start = id_from_json("starting proposal id", &state.starting_proposal_id)?;
    if start == 0 {
        return Err(err("starting proposal id must be positive").into());
    }
    keeper.set_next_proposal_id(ctx, start)?;
    if !state.constitution.is_empty() {
        keeper.set_constitution(ctx, &state.constitution)?;
    }

    let mut ids = BTreeSet::new();
    for j in &state.proposals {
        let p = proposal_from_json(j)?;
        if p.id == 0 || p.id >= start {
            return Err(err(format!(
                "proposal id {} must be in [1, starting proposal id {start})",
                p.id
            ))
            .into());
        }
        if !ids.insert(p.id) {
            return Err(err(format!("duplicate proposal id {}", p.id)).into());
        }
        match ProposalStatus::try_from(p.status) {
            Ok(ProposalStatus::DepositPeriod) => {
                let end = p
                    .deposit_end_time
                    .as_ref()
                    .ok_or_else(|| err(format!("proposal {} has no deposit end time", p.id)))?;
                let end = Time::new(end.seconds, end.nanos);
                ctx.set(keys::inactive_queue(&end.key(), p.id), Vec::new())?;
            }
            Ok(ProposalStatus::VotingPeriod) => {
                let end = p
                    .voting_end_time
                    .as_ref()
                    .ok_or_else(|| err(format!("proposal {} has no voting end time", p.id)))?;
                let end = Time::new(end.seconds, end.nanos);
                ctx.set(keys::active_queue(&end.key(), p.id), Vec::new())?;
            }
            _ => {}
        }
        keeper.set_proposal(ctx, &p)?;
    }

    let mut total = Coins::new();
    let mut seen = BTreeSet::new();
    for d in &state.deposits {
        let id = id_from_json("deposit proposal id", &d.proposal_id)?;
        if !ids.contains(&id) {
            return Err(err(format!("deposit on unknown proposal {id}")).into());
        }
        let depositor = parse_address("depositor", &d.depositor).map_err(err)?;
        if !seen.insert((id, depositor)) {
            return Err(err(format!(
                "duplicate deposit of {} on proposal {id}",
                d.depositor
            ))
            .into());
        }
        let amount = coins_from_json("deposit", &d.amount)?;
        total = total.checked_add(&amount)?;
        let deposit = pb::Deposit {
            proposal_id: id,
            depositor: depositor.to_bech32(),
            amount: amount.to_proto(),
        };
        ctx.set(keys::deposit(id, &depositor), deposit.encode_to_vec())?;
    }

    let mut seen = BTreeSet::new();
    for v in &state.votes {
        let id = id_from_json("vote proposal id", &v.proposal_id)?;
        if !ids.contains(&id) {
            return Err(err(format!("vote on unknown proposal {id}")).into());
        }
        let voter = parse_address("voter", &v.voter).map_err(err)?;
        if !seen.insert((id, voter)) {
            return Err(err(format!("duplicate vote of {} on proposal {id}", v.voter)).into());
        }
        let options: Vec<pb::WeightedVoteOption> = v
            .options
            .iter()
            .map(|o| {
                let option = VoteOption::from_str_name(&o.option)
                    .ok_or_else(|| err(format!("invalid vote option {:?}", o.option)))?;
                Ok(pb::WeightedVoteOption {
                    option: option as i32,
                    weight: o.weight.clone(),
                })
            })
            .collect::<std::result::Result<_, GovError>>()?;
        let vote = pb::Vote {
            proposal_id: id,
            voter: voter.to_bech32(),
            options: normalize_options(&options).map_err(err)?,
            metadata: v.metadata.clone(),
        };
        ctx.set(keys::vote(id, &voter), vote.encode_to_vec())?;
    }

    // The gov account holds exactly the deposits.
    let gov = Address::module(GOV_MODULE);
    let mut held = Vec::new();
    for (k, v) in ctx.prefix(&openledger_bank::keys::balances_of(&gov))? {
        let Some((_, denom)) = openledger_bank::keys::parse_balance_key(&k) else {
            continue;
        };
        let amount = std::str::from_utf8(&v)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err(format!("{k}: bad balance")))?;
        held.push(Coin::new(amount, denom));
    }
    let held = Coins::from_vec(held.into_iter().filter(|c| c.amount > 0).collect())?;
    if held != total {
        return Err(err(format!(
            "the gov module account holds {held:?} but the deposits add up to {total:?}"
        ))
        .into());
    }
    Ok(())
}

pub fn export_state(keeper: &GovKeeper, state: &dyn KvRead) -> Result<GenesisState> {
    let mut r = state;
    let p = keeper.params(&mut r)?;
    Ok(GenesisState {
        starting_proposal_id: keeper.next_proposal_id(&mut r)?.to_string(),
        deposits: keeper
            .all_deposits(&mut r)?
            .iter()
            .map(|d| DepositJson {
                proposal_id: d.proposal_id.to_string(),
                depositor: d.depositor.clone(),
                amount: coins_to_json(&d.amount),
            })
            .collect(),
        votes: keeper.all_votes(&mut r)?.iter().map(vote_to_json).collect(),
        proposals: keeper
            .proposals(&mut r)?
            .iter()
            .map(proposal_to_json)
            .collect(),
        deposit_params: None,
        voting_params: None,
        tally_params: None,
        params: Some(params_to_json(&p)),
        constitution: keeper.constitution(&mut r)?,
    })
}

pub fn export(keeper: &GovKeeper, state: &dyn KvRead) -> Result<serde_json::Value> {
    serde_json::to_value(export_state(keeper, state)?)
        .map_err(|e| GovError::Corrupt(e.to_string()).into())
}
