//! `cosmos.gov.v1.Query`, answered from a state snapshot through the keeper.

use cosmrs::proto::cosmos::gov::v1::*;
use openledger_framework::pagination::paginate;
use openledger_framework::{KvRead, QueryRouter, Result};

use crate::msgs::parse_address;
use crate::{GovError, GovKeeper, keys, status_of, tally};

const Q: &str = "/cosmos.gov.v1.Query/";

fn check_id(id: u64) -> Result<()> {
    if id == 0 {
        return Err(GovError::InvalidRequest("proposal id can not be 0".into()).into());
    }
    Ok(())
}

fn proposals(
    k: &GovKeeper,
    s: &dyn KvRead,
    req: QueryProposalsRequest,
) -> Result<QueryProposalsResponse> {
    let mut r = s;
    let status = ProposalStatus::try_from(req.proposal_status).map_err(|_| {
        GovError::InvalidRequest(format!("invalid proposal status {}", req.proposal_status))
    })?;
    let voter = if req.voter.is_empty() {
        None
    } else {
        Some(parse_address("voter", &req.voter)?)
    };
    let depositor = if req.depositor.is_empty() {
        None
    } else {
        Some(parse_address("depositor", &req.depositor)?)
    };
    let mut items = Vec::new();
    for p in k.proposals(&mut r)? {
        if status != ProposalStatus::Unspecified && status_of(&p)? != status {
            continue;
        }
        if let Some(v) = &voter
            && k.vote(&mut r, p.id, v)?.is_none()
        {
            continue;
        }
        if let Some(d) = &depositor
            && k.deposit(&mut r, p.id, d)?.is_none()
        {
            continue;
        }
        items.push((keys::proposal(p.id), p));
    }
    let (proposals, pagination) = paginate(items, req.pagination.as_ref())?;
    Ok(QueryProposalsResponse {
        proposals,
        pagination: Some(pagination),
    })
}

/// The tally of a proposal: empty in the deposit period, the current one while voting, the
/// final one afterwards.
fn tally_result(k: &GovKeeper, s: &dyn KvRead, id: u64) -> Result<TallyResult> {
    let mut r = s;
    check_id(id)?;
    let p = k
        .proposal(&mut r, id)?
        .ok_or_else(|| GovError::NotFound(format!("proposal {id} doesn't exist")))?;
    Ok(match status_of(&p)? {
        ProposalStatus::VotingPeriod => k.tally(&mut r, id)?.result,
        ProposalStatus::Passed | ProposalStatus::Rejected | ProposalStatus::Failed => {
            p.final_tally_result.unwrap_or_else(tally::empty_result)
        }
        _ => tally::empty_result(),
    })
}

pub fn register(keeper: GovKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        &format!("{Q}Constitution"),
        move |s: &dyn KvRead, _: QueryConstitutionRequest| {
            let mut s = s;
            Ok(QueryConstitutionResponse {
                constitution: k.constitution(&mut s)?,
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Proposal"),
        move |s: &dyn KvRead, req: QueryProposalRequest| {
            let mut s = s;
            check_id(req.proposal_id)?;
            let p = k.proposal(&mut s, req.proposal_id)?.ok_or_else(|| {
                GovError::NotFound(format!("proposal {} doesn't exist", req.proposal_id))
            })?;
            Ok(QueryProposalResponse { proposal: Some(p) })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Proposals"),
        move |s: &dyn KvRead, req: QueryProposalsRequest| proposals(&k, s, req),
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Vote"),
        move |s: &dyn KvRead, req: QueryVoteRequest| {
            let mut s = s;
            check_id(req.proposal_id)?;
            let voter = parse_address("voter", &req.voter)?;
            let vote = k.vote(&mut s, req.proposal_id, &voter)?.ok_or_else(|| {
                GovError::NotFound(format!(
                    "voter: {} not found for proposal: {}",
                    req.voter, req.proposal_id
                ))
            })?;
            Ok(QueryVoteResponse { vote: Some(vote) })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Votes"),
        move |s: &dyn KvRead, req: QueryVotesRequest| {
            let mut s = s;
            check_id(req.proposal_id)?;
            let mut items = Vec::new();
            for v in k.votes(&mut s, req.proposal_id)? {
                let voter = parse_address("voter", &v.voter)
                    .map_err(|e| GovError::Corrupt(format!("vote: {e}")))?;
                items.push((keys::vote(req.proposal_id, &voter), v));
            }
            let (votes, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryVotesResponse {
                votes,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Params"),
        move |s: &dyn KvRead, req: QueryParamsRequest| {
            let mut s = s;
            let p = k.params(&mut s)?;
            #[allow(deprecated)]
            let mut resp = QueryParamsResponse {
                voting_params: None,
                deposit_params: None,
                tally_params: None,
                params: None,
            };
            #[allow(deprecated)]
            match req.params_type.as_str() {
                "deposit" => {
                    resp.deposit_params = Some(DepositParams {
                        min_deposit: p.min_deposit.clone(),
                        max_deposit_period: p.max_deposit_period,
                    })
                }
                "voting" => {
                    resp.voting_params = Some(VotingParams {
                        voting_period: p.voting_period,
                    })
                }
                "tallying" => {
                    resp.tally_params = Some(TallyParams {
                        quorum: p.quorum.clone(),
                        threshold: p.threshold.clone(),
                        veto_threshold: p.veto_threshold.clone(),
                    })
                }
                "" => {}
                other => {
                    return Err(GovError::InvalidRequest(format!(
                        "unknown params type: {other} (expected deposit, voting or tallying)"
                    ))
                    .into());
                }
            }
            resp.params = Some(p);
            Ok(resp)
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Deposit"),
        move |s: &dyn KvRead, req: QueryDepositRequest| {
            let mut s = s;
            check_id(req.proposal_id)?;
            let depositor = parse_address("depositor", &req.depositor)?;
            let deposit = k
                .deposit(&mut s, req.proposal_id, &depositor)?
                .ok_or_else(|| {
                    GovError::NotFound(format!(
                        "depositor: {} not found for proposal: {}",
                        req.depositor, req.proposal_id
                    ))
                })?;
            Ok(QueryDepositResponse {
                deposit: Some(deposit),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        &format!("{Q}Deposits"),
        move |s: &dyn KvRead, req: QueryDepositsRequest| {
            let mut s = s;
            check_id(req.proposal_id)?;
            let mut items = Vec::new();
            for d in k.deposits(&mut s, req.proposal_id)? {
                let depositor = parse_address("depositor", &d.depositor)
                    .map_err(|e| GovError::Corrupt(format!("deposit: {e}")))?;
                items.push((keys::deposit(req.proposal_id, &depositor), d));
            }
            let (deposits, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryDepositsResponse {
                deposits,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper;
    r.add(
        &format!("{Q}TallyResult"),
        move |s: &dyn KvRead, req: QueryTallyResultRequest| {
            Ok(QueryTallyResultResponse {
                tally: Some(tally_result(&k, s, req.proposal_id)?),
            })
        },
    );
}
